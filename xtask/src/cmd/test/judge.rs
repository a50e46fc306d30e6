//! Judging a cell's outcome, wherever it ran, against tests.toml.

use crate::model::tests::Test;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

pub use crate::model::tests::signal_number;

/// What happened when a cell ran, wherever it ran.
pub struct Outcome {
    /// The core file the tender wrote, when the test expects one.
    pub core: Option<PathBuf>,
    pub unikernel: PathBuf,
    pub exit: Option<i32>,
    pub signal: Option<i32>,
    pub timed_out: bool,
    pub during_error: Option<String>,
    pub output: String,
    pub command: String,
    pub elapsed: Duration,
    pub timeout: u64,
}

/// gdb must load the core against the unikernel and show a backtrace.
pub fn check_core_with_gdb(unikernel: &Path, core: &Path) -> Result<(), String> {
    let out = Command::new("gdb")
        .args(["-batch", "-nx", "-ex", "info registers", "-ex", "bt"])
        .arg(unikernel)
        .arg(core)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run gdb (install gdb): {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success()
        || text.contains("is not a core dump")
        || text.contains("not in executable format")
        || !text.contains("#0")
    {
        return Err(format!(
            "gdb cannot read the core {}:\n{}",
            core.display(),
            indent(&text)
        ));
    }
    Ok(())
}

/// Checks an outcome against the test's expectations.
pub fn judge(t: &Test, o: &Outcome) -> Result<Duration> {
    let show = || {
        format!(
            "\n  command: {}\n  output:\n{}",
            o.command,
            indent(&o.output)
        )
    };
    if o.timed_out {
        anyhow::bail!("timed out after {}s{}", o.timeout, show());
    }
    if let Some(e) = &o.during_error {
        anyhow::bail!("{e}{}", show());
    }
    let got = match (o.exit, o.signal) {
        (Some(c), _) => format!("exit status {c}"),
        (_, Some(s)) => format!("signal {s}"),
        _ => "no status".to_string(),
    };
    match (&t.expect_signal, t.expect_exit.unwrap_or(0)) {
        (Some(sig), _) => {
            let want = signal_number(sig)
                .with_context(|| format!("unknown signal {sig} in tests.toml"))?;
            if o.signal != Some(want) {
                anyhow::bail!("expected death by {sig}, got {got}{}", show());
            }
        }
        (None, code) => {
            if o.exit != Some(code) {
                anyhow::bail!("expected exit status {code}, got {got}{}", show());
            }
        }
    }
    let mut rest = o.output.as_str();
    for needle in &t.expect_output {
        match rest.find(needle.as_str()) {
            Some(i) => rest = &rest[i + needle.len()..],
            None => anyhow::bail!("output lacks {needle:?} (in order){}", show()),
        }
    }
    for needle in &t.reject_output {
        if o.output.contains(needle.as_str()) {
            anyhow::bail!("output contains {needle:?}, which it must not{}", show());
        }
    }
    if t.expect_core {
        let core = o
            .core
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("no core file was written{}", show()))?;
        check_core_with_gdb(&o.unikernel, core).map_err(|e| anyhow::anyhow!("{e}{}", show()))?;
    }
    if t.output_digest.is_some() {
        check_digest(&o.output).map_err(|e| anyhow::anyhow!("{e}{}", show()))?;
    }
    Ok(o.elapsed)
}

/// 64-bit FNV-1a, the digest test_output prints over its records.
pub fn fnv1a64(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for &b in data {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// Checks the bytes between OUTPUT-BEGIN and OUTPUT-END against the
/// unikernel's own digest line, so truncated or mangled writes show up.
pub fn check_digest(output: &str) -> Result<(), String> {
    let begin = "OUTPUT-BEGIN\n";
    let start = output.find(begin).ok_or("no OUTPUT-BEGIN line")? + begin.len();
    let len = output[start..]
        .find("OUTPUT-END\n")
        .ok_or("no OUTPUT-END line")?;
    let body = &output.as_bytes()[start..start + len];
    let line = output[start + len..]
        .lines()
        .find_map(|l| l.strip_prefix("OUTPUT-DIGEST "))
        .ok_or("no OUTPUT-DIGEST line")?;
    let want = format!("fnv1a64={:016x} bytes={}", fnv1a64(body), body.len());
    if line.trim() != want {
        return Err(format!(
            "digest line says {:?}, the output received gives {want:?}",
            line.trim()
        ));
    }
    Ok(())
}

pub fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
