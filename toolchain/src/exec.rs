//! Running tools with a scrubbed environment, so that ambient CFLAGS,
//! GCC_EXEC_PREFIX, locale and the like never change what a probe sees.

use anyhow::{bail, Context, Result};
use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Environment variables passed through to every tool we run. Everything
/// else is dropped.
const KEPT_ENV: &[&str] = &["PATH", "HOME", "TMPDIR", "SOURCE_DATE_EPOCH"];

/// A `Command` with the scrubbed environment and the C locale.
pub fn scrubbed(program: impl AsRef<OsStr>) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear();
    for key in KEPT_ENV {
        if let Some(value) = std::env::var_os(key) {
            cmd.env(key, value);
        }
    }
    cmd.env("LC_ALL", "C");
    cmd.stdin(Stdio::null());
    cmd
}

/// Runs a tool and returns its output whether or not it succeeded; fails
/// only when the tool cannot be started at all.
pub fn output(program: &Path, args: &[&str]) -> Result<Output> {
    scrubbed(program)
        .args(args)
        .output()
        .with_context(|| format!("cannot run {} {}", program.display(), args.join(" ")))
}

/// Runs a tool and returns its stdout, failing with its stderr when it
/// exits non-zero.
pub fn stdout(program: &Path, args: &[&str]) -> Result<String> {
    let out = output(program, args)?;
    if !out.status.success() {
        bail!(
            "{} {} failed ({}): {}",
            program.display(),
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs a prepared command; Ok(()) when it exits 0, otherwise an error
/// carrying its stderr (probes report this as the reason).
pub fn check(mut cmd: Command) -> Result<()> {
    let shown = format!("{:?}", cmd);
    let out = cmd
        .output()
        .with_context(|| format!("cannot run {shown}"))?;
    if out.status.success() {
        Ok(())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        let first = err.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        bail!("{} ({})", first.trim(), out.status)
    }
}
