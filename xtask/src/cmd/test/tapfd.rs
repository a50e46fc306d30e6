//! `tests/tools/tapfd.c`, built for an arch: a shell cannot attach to a
//! tap (TUNSETIFF), so where only a shell opens descriptors (the emulated
//! guest, the end-to-end script) `tapfd FD IFNAME -- PROGRAM ARGS...`
//! passes a tap by descriptor.

use crate::model::config::ArchConfig;
use crate::util::process;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Compiles tapfd, static, with `a`'s host (Linux) compiler into
/// `dir/tapfd`; returns its path.
pub fn build(root: &Path, a: &ArchConfig, dir: &Path) -> Result<PathBuf> {
    let cc = a.tools.host_cc.as_ref().with_context(|| {
        format!(
            "no host compiler for {} to build tests/tools/tapfd.c",
            a.arch
        )
    })?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let out = dir.join("tapfd");
    process::all_output(
        Command::new(&cc.path)
            .args(&cc.args)
            .args(["-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o"])
            .arg(&out)
            .arg(root.join("tests/tools/tapfd.c")),
    )
    .with_context(|| format!("cannot build tests/tools/tapfd.c for {}", a.arch))?;
    Ok(out)
}
