//! Plan: turns targets.toml, tests.toml and the detected toolchains into a
//! graph of steps. Nothing here runs a tool or touches the output tree.

pub mod wrappers;

use crate::model::config::{ArchConfig, Config};
use crate::model::targets::expand;
use crate::model::tests::Test;
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What a step does.
#[derive(Debug, Clone)]
pub enum Action {
    /// Run a program (cwd = repository root, scrubbed environment).
    /// `renames` moves each temp output over its final name on success.
    Run {
        program: PathBuf,
        args: Vec<String>,
        renames: Vec<(PathBuf, PathBuf)>,
    },
    /// Write bytes computed at plan time (rendered linker scripts).
    Write { contents: Vec<u8> },
    /// Copy a file (headers, build-machine tools).
    Copy { from: PathBuf },
}

#[derive(Debug, Clone)]
pub struct Step {
    /// Short verb for the progress line: CC, HOSTCC, LD, LINK, LDS, MFT, CP.
    pub verb: &'static str,
    pub arch: String,
    /// What the progress line names (a source, an output).
    pub label: String,
    pub action: Action,
    /// Files read, besides those a depfile reveals (tools included, so a
    /// changed compiler rebuilds).
    pub inputs: Vec<PathBuf>,
    pub outputs: Vec<PathBuf>,
    /// Indices of steps that must finish first.
    pub deps: Vec<usize>,
    /// Make-style depfile the command writes (temp name; the runner reads
    /// and deletes it).
    pub depfile: Option<PathBuf>,
}

#[derive(Debug, Default)]
pub struct Plan {
    pub steps: Vec<Step>,
    /// Parts not built, with the reason (printed, never silently dropped).
    pub skipped: Vec<String>,
    /// What each arch's build produced, for the summary and for tests.
    pub products: Vec<Product>,
}

#[derive(Debug, Clone)]
pub struct Product {
    pub arch: String,
    pub kind: &'static str,
    pub name: String,
    pub path: PathBuf,
}

/// `<arch>-solo5-none-static`: the per-triple directory name.
pub fn solo5_triple(arch: &str) -> String {
    format!("{arch}-solo5-none-static")
}

/// Output layout of one arch, relative to the repository root.
pub struct Layout {
    pub bin: PathBuf,
    pub lib: PathBuf,
    pub include: PathBuf,
    pub tests: PathBuf,
    pub obj: PathBuf,
}

impl Layout {
    /// Generated headers (solo5_version.h), written by the build before
    /// the plan runs, only when their contents change.
    pub fn gen(&self) -> PathBuf {
        self.obj.join("gen")
    }

    pub fn new(arch: &str) -> Layout {
        let base = PathBuf::from("target/solo5").join(arch);
        let t = solo5_triple(arch);
        Layout {
            bin: base.join("bin"),
            lib: base.join("lib").join(&t),
            include: base.join("include").join(&t),
            tests: base.join("tests"),
            obj: base.join("obj"),
        }
    }
}

/// Where build-machine tools go.
pub fn tools_bin() -> PathBuf {
    PathBuf::from("target/solo5/build/bin")
}

fn tmp(p: &Path) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(".tmp");
    PathBuf::from(s)
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// Bytes of the PT_INTERP guard as linker-script data.
fn interp_bytes() -> String {
    b"/nonexistent/solo5/\0"
        .iter()
        .map(|b| format!("BYTE({b:#04x})"))
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn render_script(template: &str, text_start: u64, max_page_size: u64) -> String {
    template
        .replace("@TEXT_START@", &format!("{text_start:#x}"))
        .replace("@MAX_PAGE_SIZE@", &format!("{max_page_size:#x}"))
        .replace("@INTERP_BYTES@", &interp_bytes())
}

struct Builder<'a> {
    cfg: &'a Config,
    plan: Plan,
}

impl Builder<'_> {
    fn add(&mut self, step: Step) -> usize {
        self.plan.steps.push(step);
        self.plan.steps.len() - 1
    }
}

/// Flags for freestanding target code (bindings add their own on top).
pub fn target_cflags(cfg: &Config, a: &ArchConfig) -> Result<Vec<String>> {
    let cc = a.tools.target_cc.as_ref().context("no target compiler")?;
    let arch = &cfg.targets.arch[&a.arch];
    let mut f: Vec<String> = cc.args.clone();
    f.extend(
        [
            "-std=c11",
            "-O2",
            "-g",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-ffreestanding",
            "-nostdinc",
        ]
        .map(String::from),
    );
    f.push("-isystem".into());
    f.push(s(&cc.include_dir));
    f.extend(
        [
            "-fno-pie",
            "-fno-pic",
            "-fno-stack-clash-protection",
            "-fno-asynchronous-unwind-tables",
            "-fno-common",
            "-fno-plt",
        ]
        .map(String::from),
    );
    f.push(format!("-ffile-prefix-map={}=.", cfg.root.display()));
    if cc.family == toolchain::Family::Clang {
        // clang warns about flags that do not apply to an arch (stack
        // clash protection on aarch64); those are not errors for us.
        f.push("-Wno-unused-command-line-argument".into());
    }
    let mut ssp = true;
    for flag in &arch.target_cflags {
        if flag == "-mstack-protector-guard=global" && !cc.ssp_guard_global {
            // The default guard lives in TLS, which the application owns:
            // no protector is better than one that reads its data.
            ssp = false;
            continue;
        }
        f.push(flag.clone());
    }
    f.push(
        if ssp {
            "-fstack-protector-strong"
        } else {
            "-fno-stack-protector"
        }
        .into(),
    );
    f.push("-Iinclude".into());
    Ok(f)
}

fn compile_step(
    verb: &'static str,
    arch: &str,
    cc: &toolchain::Compiler,
    flags: &[String],
    src: &str,
    obj: PathBuf,
    deps: Vec<usize>,
) -> Step {
    let t = tmp(&obj);
    let d = PathBuf::from(format!("{}.d", s(&t)));
    let mut args = flags.to_vec();
    args.extend([
        "-MD".into(),
        "-MF".into(),
        s(&d),
        "-c".into(),
        src.into(),
        "-o".into(),
        s(&t),
    ]);
    Step {
        verb,
        arch: arch.into(),
        label: src.into(),
        action: Action::Run {
            program: cc.path.clone(),
            args,
            renames: vec![(t, obj.clone())],
        },
        inputs: vec![PathBuf::from(src), cc.path.clone()],
        outputs: vec![obj],
        deps,
        depfile: Some(d),
    }
}

/// A step that runs `program` to write `out` through its temp name, which
/// `args` receives. The program is an input, so a changed tool reruns it.
fn tool_step(
    verb: &'static str,
    arch: &str,
    program: &Path,
    args: impl FnOnce(&Path) -> Vec<String>,
    out: &Path,
    mut inputs: Vec<PathBuf>,
    deps: Vec<usize>,
) -> Step {
    let t = tmp(out);
    inputs.push(program.to_path_buf());
    Step {
        verb,
        arch: arch.into(),
        label: s(out),
        action: Action::Run {
            program: program.to_path_buf(),
            args: args(&t),
            renames: vec![(t, out.to_path_buf())],
        },
        inputs,
        outputs: vec![out.to_path_buf()],
        deps,
        depfile: None,
    }
}

fn obj_path(layout: &Layout, group: &str, src: &str) -> PathBuf {
    let rel = src
        .strip_suffix(".c")
        .or_else(|| src.strip_suffix(".S"))
        .unwrap_or(src);
    layout.obj.join(group).join(format!("{rel}.o"))
}

pub fn plan(cfg: &Config, tests: &[Test], elftool: &Path) -> Result<Plan> {
    let mut b = Builder {
        cfg,
        plan: Plan::default(),
    };
    let elftool_out = tools_bin().join("solo5-elftool");
    let elftool_step = b.add(Step {
        verb: "CP",
        arch: "build".into(),
        label: s(&elftool_out),
        action: Action::Copy {
            from: elftool.to_path_buf(),
        },
        inputs: vec![elftool.to_path_buf()],
        outputs: vec![elftool_out.clone()],
        deps: vec![],
        depfile: None,
    });
    for a in &cfg.arches {
        plan_arch(&mut b, a, tests, &elftool_out, elftool_step)?;
    }
    Ok(b.plan)
}

fn plan_arch(
    b: &mut Builder,
    a: &ArchConfig,
    tests: &[Test],
    elftool: &Path,
    elftool_step: usize,
) -> Result<()> {
    let cfg = b.cfg;
    let t = &cfg.targets;
    let arch_name = a.arch.as_str();
    let arch = &t.arch[arch_name];
    let layout = Layout::new(arch_name);
    let Some(support) = t.linux(arch_name) else {
        bail!("targets.toml has no [host.linux.{arch_name}] entry");
    };

    // Headers, for unikernel builds against the output tree.
    let mut headers: Vec<PathBuf> = std::fs::read_dir(cfg.root.join("include"))
        .context("cannot list include/")?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "h"))
        .collect();
    headers.sort();
    for h in headers {
        let name = h.file_name().context("header name")?.to_owned();
        let rel = PathBuf::from("include").join(&name);
        let out = layout.include.join(&name);
        b.add(Step {
            verb: "CP",
            arch: arch_name.into(),
            label: s(&rel),
            action: Action::Copy { from: rel.clone() },
            inputs: vec![rel],
            outputs: vec![out],
            deps: vec![],
            depfile: None,
        });
    }

    let target_ok = a.tools.target_cc.is_some()
        && a.tools.target_ld.is_some()
        && a.tools.target_objcopy.is_some();
    let mut binding_objs: BTreeMap<String, (usize, PathBuf, PathBuf, usize)> = BTreeMap::new();
    for bname in support.bindings.iter().map(|x| x.get_ref()) {
        let binding = &t.binding[bname];
        if binding.sources.is_empty() {
            b.plan
                .skipped
                .push(format!("{arch_name} binding {bname}: not implemented yet"));
            continue;
        }
        if let Some(src) = missing_source(&cfg.root, &binding.sources, arch_name) {
            b.plan.skipped.push(format!(
                "{arch_name} binding {bname}: not implemented for {arch_name} yet ({src} does not exist)"
            ));
            continue;
        }
        if !target_ok {
            b.plan.skipped.push(format!(
                "{arch_name} binding {bname}: no usable target toolchain (run `cargo xtask doctor --target {arch_name}`)"
            ));
            continue;
        }
        let cc = a.tools.target_cc.as_ref().context("target cc")?;
        let ld = a.tools.target_ld.as_ref().context("target ld")?;
        let mut flags = target_cflags(cfg, a)?;
        flags.extend(arch.binding_cflags.iter().cloned());
        flags.push(format!("-I{}", s(&layout.gen())));
        flags.push("-Ibindings".into());
        let mut objs = Vec::new();
        let mut deps = Vec::new();
        for src in &binding.sources {
            let src = expand(src.get_ref(), arch_name);
            let obj = obj_path(&layout, bname, &src);
            deps.push(b.add(compile_step(
                "CC",
                arch_name,
                cc,
                &flags,
                &src,
                obj.clone(),
                vec![],
            )));
            objs.push(obj);
        }
        // One relocatable object, then every symbol the binding marked
        // hidden made local, so its internals cannot clash with the
        // application's (a libc's memcpy, say).
        let relocatable = layout.obj.join(bname).join(format!("solo5_{bname}.r.o"));
        let ld_args = |t: &Path| {
            let mut v = vec!["-r".to_string(), "-o".into(), s(t)];
            v.extend(objs.iter().map(|o| s(o)));
            v
        };
        let r_step = b.add(tool_step(
            "LD",
            arch_name,
            &ld.path,
            ld_args,
            &relocatable,
            objs.clone(),
            deps,
        ));
        let out = layout.lib.join(format!("solo5_{bname}.o"));
        let objcopy = a.tools.target_objcopy.as_ref().context("target objcopy")?;
        let localize = |t: &Path| vec!["--localize-hidden".into(), s(&relocatable), s(t)];
        let obj_step = b.add(tool_step(
            "OBJCOPY",
            arch_name,
            &objcopy.path,
            localize,
            &out,
            vec![relocatable.clone()],
            vec![r_step],
        ));
        let template_path = cfg.root.join("ld-scripts").join(format!("{bname}.lds.in"));
        let template = std::fs::read_to_string(&template_path)
            .with_context(|| format!("cannot read {}", template_path.display()))?;
        let lds = layout.lib.join(format!("solo5_{bname}.lds"));
        let lds_step = b.add(Step {
            verb: "LDS",
            arch: arch_name.into(),
            label: s(&lds),
            action: Action::Write {
                contents: render_script(
                    &template,
                    binding.text_start,
                    *arch.max_page_size.get_ref(),
                )
                .into_bytes(),
            },
            inputs: vec![PathBuf::from("ld-scripts").join(format!("{bname}.lds.in"))],
            outputs: vec![lds.clone()],
            deps: vec![],
            depfile: None,
        });
        b.plan.products.push(Product {
            arch: arch_name.into(),
            kind: "binding",
            name: bname.into(),
            path: out.clone(),
        });
        binding_objs.insert(bname.clone(), (obj_step, out, lds, lds_step));
    }

    plan_wrappers(
        b,
        a,
        &binding_objs.keys().cloned().collect::<Vec<_>>(),
        target_ok,
    )?;

    // Test unikernels: manifest and object once per test, one link per binding.
    if target_ok {
        let cc = a.tools.target_cc.as_ref().context("target cc")?;
        let ld = a.tools.target_ld.as_ref().context("target ld")?;
        let flags = target_cflags(cfg, a)?;
        // Several tests may share one unikernel: build each source once,
        // for the union of their bindings.
        let mut sources: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for test in tests.iter().filter(|t| t.is_built()) {
            let e = sources.entry(test.source().to_string()).or_default();
            for bn in test.bindings.iter().chain(&test.unikernel_from) {
                if !e.contains(bn) {
                    e.push(bn.clone());
                }
            }
        }
        for (source, bindings) in &sources {
            let wanted: Vec<&String> = bindings
                .iter()
                .filter(|bn| binding_objs.contains_key(*bn))
                .collect();
            if wanted.is_empty() {
                continue;
            }
            let dir = format!("tests/test_{source}");
            let mft_json = format!("{dir}/manifest.json");
            let mft_c = layout.obj.join(&dir).join("manifest.c");
            let gen = |t: &Path| vec!["gen-manifest".into(), mft_json.clone(), s(t)];
            let mut mft = tool_step(
                "MFT",
                arch_name,
                elftool,
                gen,
                &mft_c,
                vec![PathBuf::from(&mft_json)],
                vec![elftool_step],
            );
            mft.label = mft_json.clone();
            let mft_step = b.add(mft);
            let mft_o = layout.obj.join(&dir).join("manifest.o");
            let mft_o_step = b.add(compile_step(
                "CC",
                arch_name,
                cc,
                &flags,
                &s(&mft_c),
                mft_o.clone(),
                vec![mft_step],
            ));
            let src = format!("{dir}/test_{source}.c");
            let obj = obj_path(&layout, "", &src);
            let obj_step = b.add(compile_step(
                "CC",
                arch_name,
                cc,
                &flags,
                &src,
                obj.clone(),
                vec![],
            ));
            for bname in wanted {
                let (bstep, bobj, lds, lds_step) = binding_objs[bname].clone();
                let out = layout.tests.join(format!("test_{source}.{bname}"));
                let page = format!("max-page-size={:#x}", arch.max_page_size.get_ref());
                let link = |t: &Path| {
                    let mut v: Vec<String> =
                        ["-nostdlib", "-static", "-z", &page, "-z", "noexecstack"]
                            .map(String::from)
                            .to_vec();
                    v.extend([
                        "--build-id=none".into(),
                        "-T".into(),
                        s(&lds),
                        "-o".into(),
                        s(t),
                    ]);
                    v.extend([s(&bobj), s(&obj), s(&mft_o)]);
                    v
                };
                b.add(tool_step(
                    "LINK",
                    arch_name,
                    &ld.path,
                    link,
                    &out,
                    vec![lds.clone(), bobj.clone(), obj.clone(), mft_o.clone()],
                    vec![bstep, lds_step, obj_step, mft_o_step],
                ));
                b.plan.products.push(Product {
                    arch: arch_name.into(),
                    kind: "test",
                    name: format!("{source}.{bname}"),
                    path: out,
                });
            }
        }
    }

    // Tenders, with the host compiler.
    for tname in support.tenders.iter().map(|x| x.get_ref()) {
        let tender = &t.tender[tname];
        if tender.sources.is_empty() {
            b.plan.skipped.push(format!(
                "{arch_name} tender solo5-{tname}: not implemented yet"
            ));
            continue;
        }
        if let Some(src) = missing_source(&cfg.root, &tender.sources, arch_name) {
            b.plan.skipped.push(format!(
                "{arch_name} tender solo5-{tname}: not implemented for {arch_name} yet ({src} does not exist)"
            ));
            continue;
        }
        let (Some(cc), Some(sc)) = (
            a.tools.host_cc.as_ref(),
            a.tools.seccomp.as_ref().filter(|s| s.works),
        ) else {
            b.plan.skipped.push(format!(
                "{arch_name} tender solo5-{tname}: no host compiler with libseccomp (run `cargo xtask doctor --target {arch_name}`)"
            ));
            continue;
        };
        let mut flags: Vec<String> = cc.args.clone();
        flags.extend(
            [
                "-std=gnu11",
                "-O2",
                "-g",
                "-Wall",
                "-Wextra",
                "-Werror",
                "-D_GNU_SOURCE",
                "-fstack-protector-strong",
            ]
            .map(String::from),
        );
        flags.push(format!("-ffile-prefix-map={}=.", cfg.root.display()));
        flags.push(format!("-I{}", s(&layout.gen())));
        flags.extend(["-Iinclude".into(), "-Itenders/common".into()]);
        flags.extend(sc.cflags.iter().cloned());
        let mut objs = Vec::new();
        let mut deps = Vec::new();
        for src in &tender.sources {
            let src = expand(src.get_ref(), arch_name);
            let obj = obj_path(&layout, &format!("solo5-{tname}"), &src);
            deps.push(b.add(compile_step(
                "HOSTCC",
                arch_name,
                cc,
                &flags,
                &src,
                obj.clone(),
                vec![],
            )));
            objs.push(obj);
        }
        let out = layout.bin.join(format!("solo5-{tname}"));
        let link = |t: &Path| {
            let mut v: Vec<String> = cc.args.clone();
            v.extend(["-o".into(), s(t)]);
            v.extend(objs.iter().map(|o| s(o)));
            for lib in &tender.libs {
                if lib == "seccomp" {
                    v.extend(sc.libs.iter().cloned());
                } else {
                    v.push(format!("-l{lib}"));
                }
            }
            v
        };
        b.add(tool_step(
            "HOSTLD",
            arch_name,
            &cc.path,
            link,
            &out,
            objs.clone(),
            deps,
        ));
        b.plan.products.push(Product {
            arch: arch_name.into(),
            kind: "tender",
            name: format!("solo5-{tname}"),
            path: out,
        });
    }
    Ok(())
}

/// The first of (sources), `{arch}` expanded, that does not exist: an
/// arch whose arch-specific files have not landed yet is skipped, not
/// failed.
fn missing_source(root: &Path, sources: &[toml::Spanned<String>], arch: &str) -> Option<String> {
    sources
        .iter()
        .map(|src| expand(src.get_ref(), arch))
        .find(|src| !root.join(src).exists())
}

/// The toolchain wrappers and the compiler's headers (wrappers.rs).
fn plan_wrappers(
    b: &mut Builder,
    a: &ArchConfig,
    bindings: &[String],
    target_ok: bool,
) -> Result<()> {
    if target_ok {
        for step in crate::plan::wrappers::steps(b.cfg, a, bindings)? {
            b.add(step);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_get_the_guard_bytes() {
        let out = render_script(
            "A @TEXT_START@ @MAX_PAGE_SIZE@ { @INTERP_BYTES@ }",
            0x100000,
            0x10000,
        );
        assert!(
            out.starts_with("A 0x100000 0x10000 { BYTE(0x2f) BYTE(0x6e) BYTE(0x6f)"),
            "{out}"
        );
        assert!(out.ends_with("BYTE(0x2f) BYTE(0x00) }"), "{out}");
        assert_eq!(
            out.matches("BYTE(").count(),
            "/nonexistent/solo5/".len() + 1
        );
    }
}
