//! Finding libseccomp for the host compiler: pkg-config for the host
//! triple (with the multiarch or sysroot directories for cross builds),
//! then a trial compile and link.

use crate::compiler::Compiler;
use crate::exec;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Seccomp {
    pub cflags: Vec<String>,
    pub libs: Vec<String>,
    /// How the flags were found, for `doctor`.
    pub via: String,
    /// The header compiled and the library linked with the host compiler.
    pub works: bool,
    /// Why not, when `works` is false.
    pub error: String,
}

/// pkg-config's search directories for a triple: the sysroot's, or the
/// Debian multiarch ones for a foreign triple on this machine.
fn pkg_config_libdir(triple: &str, sysroot: Option<&Path>) -> String {
    let root = sysroot.map(|p| p.display().to_string()).unwrap_or_default();
    [
        format!("{root}/usr/lib/{triple}/pkgconfig"),
        format!("{root}/usr/lib/pkgconfig"),
        format!("{root}/usr/share/pkgconfig"),
    ]
    .join(":")
}

pub fn probe(
    cc: &Compiler,
    triple: &str,
    native: bool,
    sysroot: Option<&Path>,
    scratch: &Path,
) -> Seccomp {
    let (mut cflags, mut libs, via) = match pkg_config(triple, native, sysroot) {
        Ok((c, l)) => (
            c,
            l,
            format!("pkg-config ({})", if native { "native" } else { triple }),
        ),
        Err(_) => (
            Vec::new(),
            vec!["-lseccomp".to_string()],
            "default search paths".to_string(),
        ),
    };
    if let Some(root) = sysroot {
        let arg = format!("--sysroot={}", root.display());
        if !cflags.contains(&arg) {
            cflags.insert(0, arg.clone());
            libs.insert(0, arg);
        }
    }
    let result = trial(cc, &cflags, &libs, scratch);
    Seccomp {
        cflags,
        libs,
        via,
        works: result.is_ok(),
        error: result.err().map(|e| format!("{e:#}")).unwrap_or_default(),
    }
}

fn pkg_config(
    triple: &str,
    native: bool,
    sysroot: Option<&Path>,
) -> Result<(Vec<String>, Vec<String>)> {
    let pc = which::which("pkg-config").context("pkg-config not found")?;
    let mut cmd = exec::scrubbed(&pc);
    if !native || sysroot.is_some() {
        cmd.env("PKG_CONFIG_LIBDIR", pkg_config_libdir(triple, sysroot));
    }
    if let Some(root) = sysroot {
        cmd.env("PKG_CONFIG_SYSROOT_DIR", root);
    }
    let out = cmd
        .args(["--cflags", "--libs", "libseccomp"])
        .output()
        .context("cannot run pkg-config")?;
    anyhow::ensure!(
        out.status.success(),
        "pkg-config does not know libseccomp for {triple}"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let (mut cflags, mut libs) = (Vec::new(), Vec::new());
    for word in text.split_whitespace() {
        if word.starts_with("-l") || word.starts_with("-L") {
            libs.push(word.to_string());
        } else {
            cflags.push(word.to_string());
        }
    }
    if libs.is_empty() {
        libs.push("-lseccomp".into());
    }
    Ok((cflags, libs))
}

fn trial(cc: &Compiler, cflags: &[String], libs: &[String], scratch: &Path) -> Result<()> {
    let src = scratch.join("seccomp_probe.c");
    std::fs::write(
        &src,
        "#include <seccomp.h>\nint main(void) { scmp_filter_ctx c = seccomp_init(SCMP_ACT_ALLOW); seccomp_release(c); return 0; }\n",
    )
    .context("cannot write probe source")?;
    let exe: PathBuf = scratch.join("seccomp_probe");
    let mut cmd = cc.command();
    cmd.args(cflags).arg(&src).arg("-o").arg(&exe).args(libs);
    exec::check(cmd).context("seccomp.h or libseccomp not usable by the host compiler")
}
