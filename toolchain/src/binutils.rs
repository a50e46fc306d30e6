//! The target linker and objcopy: what they are, and whether they handle
//! objects of the target arch.

use crate::compiler::{self, Compiler};
use crate::exec;
use crate::version::{parse_linker_banner, LinkerKind, Version};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Linker {
    pub path: PathBuf,
    pub source: String,
    pub kind: LinkerKind,
    pub version: Version,
    /// `ld -r` of an object built by the target compiler worked.
    pub relocatable_ok: bool,
}

impl Linker {
    pub fn describe(&self) -> String {
        format!("{} {}", self.kind, self.version)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Objcopy {
    pub path: PathBuf,
    pub source: String,
    /// Copies an object of the target arch and accepts `-w -G pattern`.
    pub works: bool,
}

/// Reads the linker's banner (the only way a linker says what it is) and
/// checks that it can `ld -r` an object from the target compiler.
pub fn probe_linker(path: &Path, source: &str, cc: &Compiler, scratch: &Path) -> Result<Linker> {
    let out = exec::output(path, &["--version"])?;
    let banner = String::from_utf8_lossy(&out.stdout);
    let Some((kind, version)) = parse_linker_banner(&banner) else {
        bail!(
            "{} is neither GNU ld nor LLD (its --version said: {})",
            path.display(),
            banner.lines().next().unwrap_or("nothing")
        );
    };
    let obj = compiler::compile_probe_object(cc, scratch, "ld_probe")?;
    let relocatable_ok = {
        let mut cmd = exec::scrubbed(path);
        cmd.arg("-r")
            .arg("-o")
            .arg(scratch.join("ld_probe_r.o"))
            .arg(&obj);
        exec::check(cmd).is_ok()
    };
    Ok(Linker {
        path: path.to_path_buf(),
        source: source.to_string(),
        kind,
        version,
        relocatable_ok,
    })
}

pub fn probe_objcopy(path: &Path, source: &str, cc: &Compiler, scratch: &Path) -> Result<Objcopy> {
    exec::output(path, &["--version"])
        .with_context(|| format!("{} does not run", path.display()))?;
    let obj = compiler::compile_probe_object(cc, scratch, "objcopy_probe")?;
    let mut cmd = exec::scrubbed(path);
    cmd.args(["-w", "-G", "probe_*"])
        .arg(&obj)
        .arg(scratch.join("objcopy_probe_out.o"));
    let works = exec::check(cmd).is_ok();
    Ok(Objcopy {
        path: path.to_path_buf(),
        source: source.to_string(),
        works,
    })
}
