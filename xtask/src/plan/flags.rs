//! Compiler and linker flags, from `[flags]` and the arch in targets.toml
//! and from what detection found. The ABI flags (what a unikernel needs)
//! and the house policy (warnings, optimisation) are separate values: the
//! build uses both, the installed wrappers only the first.

use crate::model::config::{ArchConfig, Config};
use anyhow::{Context, Result};
use toolchain::{Compiler, Family, LinkerKind};

/// What any code linked into a unikernel of this arch must be compiled
/// with, without include paths.
pub fn target_abi(cfg: &Config, a: &ArchConfig) -> Result<Vec<String>> {
    let cc = a.tools.target_cc.as_ref().context("no target compiler")?;
    let arch = &cfg.targets.arch[&a.arch];
    let mut f = cfg.targets.flags.target_abi.clone();
    if cc.family == Family::Clang {
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
    Ok(f)
}

/// The full command-line flags for this tree's own target code (test
/// unikernels; bindings add the arch's `binding_cflags` and their includes).
pub fn target_cflags(cfg: &Config, a: &ArchConfig) -> Result<Vec<String>> {
    let cc = a.tools.target_cc.as_ref().context("no target compiler")?;
    let mut f: Vec<String> = cc.args.clone();
    f.extend(cfg.targets.flags.target_policy.iter().cloned());
    f.push(format!("-ffile-prefix-map={}=.", cfg.root.display()));
    f.extend(target_abi(cfg, a)?);
    f.extend(["-isystem".into(), cc.include_dir.display().to_string()]);
    f.push("-Iinclude".into());
    Ok(f)
}

/// Flags for the tenders' host compiler.
pub fn host_cflags(cfg: &Config, cc: &Compiler) -> Vec<String> {
    let mut f: Vec<String> = cc.args.clone();
    f.extend(cfg.targets.flags.host.iter().cloned());
    f.push(format!("-ffile-prefix-map={}=.", cfg.root.display()));
    f.extend(["-Iinclude".into(), "-Itenders/common".into()]);
    f
}

/// Flags for `ld` linking a unikernel of this arch (no script, no files).
pub fn link(cfg: &Config, arch: &str) -> Vec<String> {
    let page = *cfg.targets.arch[arch].max_page_size.get_ref();
    let mut f = cfg.targets.flags.link.clone();
    let at = f.iter().position(|x| x == "-z").unwrap_or(f.len());
    f.splice(
        at..at,
        ["-z".to_string(), format!("max-page-size={page:#x}")],
    );
    f
}

/// The same link flags for a compiler driver: `-z X` becomes `-Wl,-z,X`
/// and other linker options `-Wl,OPT`; plus what the driver itself needs.
pub fn driver_link(cfg: &Config, a: &ArchConfig) -> Result<Vec<String>> {
    let cc = a.tools.target_cc.as_ref().context("no target compiler")?;
    let ld = a.tools.target_ld.as_ref().context("no target linker")?;
    let mut out = driver_form(&link(cfg, &a.arch));
    let mut driver = Vec::new();
    if cc.pie_default {
        driver.push("-no-pie".to_string());
    }
    if ld.kind == LinkerKind::Lld {
        driver.push("-fuse-ld=lld".into());
    }
    // Driver options right after -nostdlib -static, as the wrappers had them.
    let at = out
        .iter()
        .take_while(|f| *f == "-nostdlib" || *f == "-static")
        .count();
    out.splice(at..at, driver);
    Ok(out)
}

/// `ld` flags as compiler-driver flags.
fn driver_form(ld_flags: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = ld_flags.iter().cloned();
    while let Some(f) = it.next() {
        match f.as_str() {
            // The driver understands these itself.
            "-nostdlib" | "-static" => out.push(f),
            "-z" => {
                if let Some(v) = it.next() {
                    out.push(format!("-Wl,-z,{v}"));
                }
            }
            _ => out.push(format!("-Wl,{f}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_flags_become_driver_flags() {
        let ld: Vec<String> = [
            "-nostdlib",
            "-static",
            "-z",
            "max-page-size=0x1000",
            "--build-id=none",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            driver_form(&ld),
            [
                "-nostdlib",
                "-static",
                "-Wl,-z,max-page-size=0x1000",
                "-Wl,--build-id=none"
            ]
        );
    }

    /// The wrappers pass `target_abi` to users' builds: no warning,
    /// optimisation, debug or language-standard choice may hide there.
    #[test]
    fn abi_flags_hold_no_house_policy() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let t = crate::model::config::load_targets(&root).expect("targets.toml parses");
        for f in &t.flags.target_abi {
            let policy = f.starts_with("-O")
                || f.starts_with("-W")
                || f.starts_with("-std=")
                || f.starts_with("-g")
                || f.starts_with("-I");
            assert!(
                !policy,
                "{f} is house policy, not ABI: move it to target_policy"
            );
        }
        assert!(t
            .flags
            .target_policy
            .iter()
            .all(|f| !t.flags.target_abi.contains(f)));
    }
}
