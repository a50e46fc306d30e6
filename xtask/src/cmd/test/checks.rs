//! Checks of the build's products that need no tender: the PT_INTERP
//! guard and layout of every unikernel, the machine of every ELF file, the
//! compiler that built each binding, and tests that must fail to build.

use super::Tally;
use crate::model::config::{self, Config};
use crate::model::layout;
use crate::model::tests::Test;
use crate::plan::{Plan, ProductKind};
use crate::util::elf;
use std::path::Path;
use std::process::{Command, Stdio};

pub fn check_products(
    root: &Path,
    cfg: &Config,
    plan: &Plan,
    tests: &[Test],
    wanted: &dyn Fn(&Test) -> bool,
    binding_wanted: &dyn Fn(&str) -> bool,
    tally: &mut Tally,
) {
    let elftool = root.join(layout::tools_bin(&cfg.out)).join("solo5-elftool");
    for p in plan
        .products
        .iter()
        .filter(|p| p.kind == ProductKind::Unikernel)
    {
        let (name, binding) = p.name.rsplit_once('.').unwrap_or((&p.name, ""));
        if !tests.iter().any(|t| t.source() == name && wanted(t)) || !binding_wanted(binding) {
            continue;
        }
        let what = format!("unikernel test_{} ({})", p.name, p.arch);
        let machine = cfg.targets.arch[&p.arch].elf_machine;
        let path = root.join(&p.path);
        let mut broken = match std::fs::read(&path)
            .map_err(anyhow::Error::from)
            .and_then(|d| elf::parse(&d))
        {
            Ok(e) => elf::check_unikernel(&e, machine),
            Err(e) => vec![format!("cannot read {}: {e:#}", path.display())],
        };
        for q in ["query-manifest", "query-abi"] {
            match Command::new(&elftool).arg(q).arg(&path).output() {
                Ok(o) if o.status.success() => {}
                Ok(o) => broken.push(format!(
                    "solo5-elftool {q} failed: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                )),
                Err(e) => broken.push(format!("cannot run {}: {e}", elftool.display())),
            }
        }
        // The host kernel must refuse it: the interpreter does not exist.
        match Command::new(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            // A foreign arch's ELF is refused for its machine type before
            // PT_INTERP is looked at (ENOEXEC).
            Err(e) if p.arch != cfg.build_arch && e.raw_os_error() == Some(8) => {}
            Err(e) => broken.push(format!("exec failed with {e}, not ENOENT")),
            Ok(mut child) => {
                let _ = child.kill();
                let _ = child.wait();
                broken.push("exec of the unikernel started a process".into());
            }
        }
        if broken.is_empty() {
            tally.pass(&what, "");
        } else {
            tally.fail(&what, &broken.join("; "));
        }
    }
}

/// Reads each binding object's `.comment` and checks every compiler
/// identity in it is the target compiler's: a build that silently used
/// another compiler than the one asked for fails here.
pub fn check_comments(root: &Path, a: &config::ArchConfig, plan: &Plan, tally: &mut Tally) {
    let Some(cc) = &a.tools.target_cc else { return };
    let want = match cc.family {
        toolchain::Family::Gcc => "GCC: ".to_string(),
        toolchain::Family::Clang => "clang version ".to_string(),
    };
    let version = format!(
        "{}.{}.{}",
        cc.version.major, cc.version.minor, cc.version.patch
    );
    for p in plan.products_of(&a.arch, ProductKind::Binding) {
        let what = format!("solo5_{}.o ({}) built by {}", p.name, a.arch, cc.describe());
        let strings = match std::fs::read(root.join(&p.path))
            .map_err(anyhow::Error::from)
            .and_then(|d| elf::comment_strings(&d))
        {
            Ok(s) => s,
            Err(e) => {
                tally.fail(&what, &format!("cannot read {}: {e:#}", p.path.display()));
                continue;
            }
        };
        // Linkers may add their own line (LLD does); compilers' lines start
        // with "GCC:" or contain "clang version".
        let compilers: Vec<&String> = strings
            .iter()
            .filter(|s| s.starts_with("GCC:") || s.contains("clang version"))
            .collect();
        let bad: Vec<&&String> = compilers
            .iter()
            .filter(|s| !(s.contains(&want) && s.contains(&version)))
            .collect();
        if compilers.is_empty() {
            tally.fail(&what, "no compiler identity in .comment");
        } else if !bad.is_empty() {
            tally.fail(
                &what,
                &format!("built by {:?}, not {} {version}", bad, cc.family),
            );
        } else {
            tally.pass(&what, "");
        }
    }
}

/// Walks OUT/<arch>/ and checks the machine of every ELF file, so
/// nothing built for one arch ever lands in another's tree.
pub fn check_tree_machines(root: &Path, out: &Path, arch: &str, machine: u16, tally: &mut Tally) {
    let base = root.join(out).join(arch);
    let mut stack = vec![base.clone()];
    let (mut seen, mut wrong) = (0usize, Vec::new());
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let Ok(data) = std::fs::read(&p) else {
                continue;
            };
            if !data.starts_with(b"\x7fELF") {
                continue;
            }
            seen += 1;
            match elf::parse(&data) {
                Ok(e) if e.machine == machine => {}
                Ok(e) => wrong.push(format!(
                    "{} (machine {})",
                    p.strip_prefix(root).unwrap_or(&p).display(),
                    e.machine
                )),
                Err(err) => wrong.push(format!("{}: {err:#}", p.display())),
            }
        }
    }
    let what = format!("ELF machine of {seen} files under {}", base.display());
    if seen == 0 {
        tally.fail(&what, "no ELF files found");
    } else if wrong.is_empty() {
        tally.pass(&what, "");
    } else {
        tally.fail(&what, &format!("not {arch}: {}", wrong.join(", ")));
    }
}

pub fn check_build_error(
    root: &Path,
    out: &Path,
    t: &Test,
    needle: &str,
    scratch: &Path,
    tally: &mut Tally,
) {
    let what = format!("{} (manifest rejected at build time)", t.name);
    let elftool = root.join(layout::tools_bin(out)).join("solo5-elftool");
    let out_c = scratch.join(format!("{}.manifest.c", t.name));
    let json = root.join(t.dir()).join("manifest.json");
    match Command::new(&elftool)
        .arg("gen-manifest")
        .arg(&json)
        .arg(&out_c)
        .output()
    {
        Ok(o) => {
            let err = String::from_utf8_lossy(&o.stderr);
            if o.status.success() {
                tally.fail(&what, "solo5-elftool accepted it");
            } else if !err.contains(needle) {
                tally.fail(&what, &format!("message {:?} lacks {needle:?}", err.trim()));
            } else if out_c.exists() {
                tally.fail(&what, "a partial output file was left behind");
            } else {
                tally.pass(&what, "");
            }
        }
        Err(e) => tally.fail(&what, &format!("cannot run {}: {e}", elftool.display())),
    }
}
