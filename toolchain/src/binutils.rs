//! The target linker and objcopy: what they are, and whether they handle
//! objects of the target arch.

use crate::compiler::{self, Compiler};
use crate::exec::{self, Answer};
use crate::version::{parse_linker_banner, LinkerKind, Version};
use anyhow::Result;
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
/// checks that it can `ld -r` an object from the target compiler. Its
/// refusal when it is not a linker we know; `Err` when it could not be
/// asked (see [`exec`]).
pub fn probe_linker(
    path: &Path,
    source: &str,
    cc: &Compiler,
    scratch: &Path,
) -> Result<Answer<Linker>> {
    let out = match exec::output(path, &["--version"])? {
        Ok(out) => out,
        Err(why) => return Ok(Err(why)),
    };
    let banner = String::from_utf8_lossy(&out.stdout);
    let Some((kind, version)) = parse_linker_banner(&banner) else {
        return Ok(Err(format!(
            "{} is neither GNU ld nor LLD (its --version said: {})",
            path.display(),
            banner.lines().next().unwrap_or("nothing")
        )));
    };
    let obj = match compiler::compile_probe_object(cc, scratch, "ld_probe")? {
        Ok(obj) => obj,
        Err(why) => return Ok(Err(why)),
    };
    let mut cmd = exec::scrubbed(path);
    cmd.arg("-r")
        .arg("-o")
        .arg(scratch.join("ld_probe_r.o"))
        .arg(&obj);
    let relocatable_ok = exec::check(cmd)?.is_ok();
    Ok(Ok(Linker {
        path: path.to_path_buf(),
        source: source.to_string(),
        kind,
        version,
        relocatable_ok,
    }))
}

/// Checks that objcopy runs and handles an object from the target compiler
/// with `-w -G`. Its refusal when it does not run; `Err` when it could not
/// be asked (see [`exec`]).
pub fn probe_objcopy(
    path: &Path,
    source: &str,
    cc: &Compiler,
    scratch: &Path,
) -> Result<Answer<Objcopy>> {
    if let Err(why) = exec::output(path, &["--version"])? {
        return Ok(Err(format!("{} does not run: {why}", path.display())));
    }
    let obj = match compiler::compile_probe_object(cc, scratch, "objcopy_probe")? {
        Ok(obj) => obj,
        Err(why) => return Ok(Err(why)),
    };
    let mut cmd = exec::scrubbed(path);
    cmd.args(["-w", "-G", "probe_*"])
        .arg(&obj)
        .arg(scratch.join("objcopy_probe_out.o"));
    let works = exec::check(cmd)?.is_ok();
    Ok(Ok(Objcopy {
        path: path.to_path_buf(),
        source: source.to_string(),
        works,
    }))
}
