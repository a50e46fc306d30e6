//! Bindings: `solo5_<b>.o` (the sources compiled, `ld -r`, hidden symbols
//! made local) and `solo5_<b>.lds` (the binding's template rendered for
//! the arch, with the PT_INTERP guard).

use super::flags;
use super::step::{
    compile_step, obj_path, s, tool_step, Action, Cc, Plan, Product, ProductKind, Step,
};
use crate::model::config::{ArchConfig, Config};
use crate::model::layout::Layout;
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What unikernel links need of a built binding.
#[derive(Debug, Clone)]
pub struct Built {
    pub object: PathBuf,
    pub object_step: usize,
    pub script: PathBuf,
    pub script_step: usize,
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

/// Plans every binding `arch` supports; returns those that will be built.
/// Sources that several bindings compile with the same flags are compiled
/// once per arch and shared.
pub fn plan(
    plan: &mut Plan,
    cfg: &Config,
    a: &ArchConfig,
    sources: &BTreeMap<String, Vec<String>>,
) -> Result<BTreeMap<String, Built>> {
    let arch = &cfg.targets.arch[&a.arch];
    let layout = Layout::new(&cfg.out, &a.arch);
    let cc = a.tools.target_cc.as_ref().context("target cc")?;
    let ld = a.tools.target_ld.as_ref().context("target ld")?;
    let objcopy = a.tools.target_objcopy.as_ref().context("target objcopy")?;
    let mut cflags = flags::target_cflags(cfg, a)?;
    cflags.extend(arch.binding_cflags.iter().cloned());
    cflags.push(format!("-I{}", s(&layout.gen())));
    cflags.push("-Ibindings".into());

    let mut compiled: BTreeMap<String, (usize, PathBuf)> = BTreeMap::new();
    let mut built = BTreeMap::new();
    for (bname, srcs) in sources {
        let binding = &cfg.targets.binding[bname];
        let mut objs = Vec::new();
        let mut deps = Vec::new();
        for src in srcs {
            let (step, obj) = compiled
                .entry(src.clone())
                .or_insert_with(|| {
                    let obj = obj_path(&layout.obj, "bindings", src);
                    let cc = Cc {
                        compiler: cc,
                        launcher: &cfg.launcher,
                    };
                    let step = compile_step("CC", &a.arch, cc, &cflags, src, obj.clone(), vec![]);
                    (plan.add(step), obj)
                })
                .clone();
            deps.push(step);
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
        let r_step = plan.add(tool_step(
            "LD",
            &a.arch,
            &ld.path,
            ld_args,
            &relocatable,
            objs.clone(),
            deps,
        ));
        let object = layout.binding_object(bname);
        let localize = |t: &Path| vec!["--localize-hidden".into(), s(&relocatable), s(t)];
        let object_step = plan.add(tool_step(
            "OBJCOPY",
            &a.arch,
            &objcopy.path,
            localize,
            &object,
            vec![relocatable.clone()],
            vec![r_step],
        ));
        let template_rel = binding.lds.get_ref();
        let template = std::fs::read_to_string(cfg.root.join(template_rel))
            .with_context(|| format!("cannot read {template_rel}"))?;
        let script = layout.binding_script(bname);
        let script_step = plan.add(Step {
            verb: "LDS",
            arch: a.arch.clone(),
            label: s(&script),
            action: Action::Write {
                contents: render_script(
                    &template,
                    binding.text_start,
                    *arch.max_page_size.get_ref(),
                )
                .into_bytes(),
            },
            inputs: vec![PathBuf::from(template_rel)],
            outputs: vec![script.clone()],
            deps: vec![],
            depfile: None,
        });
        plan.products.push(Product {
            arch: a.arch.clone(),
            kind: ProductKind::Binding,
            name: bname.clone(),
            path: object.clone(),
        });
        built.insert(
            bname.clone(),
            Built {
                object,
                object_step,
                script,
                script_step,
            },
        );
    }
    Ok(built)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (arch, binding) script targets.toml implies, rendered as the
    /// build renders it, holds what the unikernels rely on.
    #[test]
    fn every_rendered_script_keeps_its_promises() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let t = crate::model::config::load_targets(&root).expect("targets.toml parses");
        let mut rendered = 0;
        for (aname, support) in t.host.get("linux").into_iter().flatten() {
            let arch = &t.arch[aname];
            let page = *arch.max_page_size.get_ref();
            for bname in support.bindings.iter().map(|b| b.get_ref()) {
                let b = &t.binding[bname];
                let what = format!("{} for {aname}/{bname}", b.lds.get_ref());
                let template = std::fs::read_to_string(root.join(b.lds.get_ref()))
                    .unwrap_or_else(|e| panic!("{what}: {e}"));
                let out = render_script(&template, b.text_start, page);
                let left = out.split('@').skip(1).step_by(2).find(|w| {
                    !w.is_empty() && w.chars().all(|c| c.is_ascii_uppercase() || c == '_')
                });
                assert!(left.is_none(), "{what}: placeholder @{left:?}@ is left");
                let phdrs = out
                    .split("PHDRS")
                    .nth(1)
                    .and_then(|r| r.split('}').next())
                    .unwrap_or_else(|| panic!("{what}: no PHDRS"));
                let first = phdrs
                    .lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty() && *l != "{")
                    .unwrap_or("");
                assert!(
                    first.contains("PT_INTERP"),
                    "{what}: first header is {first:?}"
                );
                assert!(
                    out.contains(&interp_bytes()),
                    "{what}: no /nonexistent/solo5/ guard bytes"
                );
                assert!(
                    out.contains(&format!("{page:#x}")),
                    "{what}: page size {page:#x} missing"
                );
                assert!(
                    out.contains(&format!("{:#x}", b.text_start)),
                    "{what}: text start missing"
                );
                // No segment both writable and executable: FLAGS(7) would be.
                assert!(!phdrs.contains("FLAGS(7)"), "{what}: a W+X segment");
                rendered += 1;
            }
        }
        assert!(rendered >= 5, "only {rendered} scripts rendered");
    }

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
