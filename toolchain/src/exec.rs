//! Running tools with a scrubbed environment, so that ambient CFLAGS,
//! GCC_EXEC_PREFIX, locale and the like never change what a probe sees.
//!
//! Probing separates two kinds of "no". A tool that runs to the end and
//! exits non-zero has answered: that refusal is a fact about the tool (with
//! its first line of diagnostics as the reason) and may be recorded. Failing
//! to ask at all — the tool cannot be started for a reason that is not the
//! tool's (out of memory, too many processes), it is killed by a signal, or
//! its probe files cannot be written — is an error of this run, never a
//! fact about the tool. So is a tool that exits non-zero because the
//! machine failed it (no space left for its output, an I/O error): it says
//! so in the C locale's words, and that is not an answer either. Functions
//! here return `Result<Answer<T>>`: the outer `Err` is the second kind, the
//! inner `Err` the first.

use anyhow::{Context, Result};
use std::ffi::OsStr;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Environment variables passed through to every tool we run. Everything
/// else is dropped.
const KEPT_ENV: &[&str] = &["PATH", "HOME", "TMPDIR", "SOURCE_DATE_EPOCH"];

/// A tool's answer: `Ok` with what it produced, or `Err` with why it
/// refused (it ran and exited non-zero, or it is not a program at all).
pub type Answer<T> = std::result::Result<T, String>;

/// ENOEXEC ("Exec format error"), the same number on Linux and the BSDs;
/// std has no stable `ErrorKind` for it.
const ENOEXEC: i32 = 8;
/// ETXTBSY ("Text file busy"), 26 on Linux and the BSDs.
const ETXTBSY: i32 = 26;

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

/// Whether a failure to start a program is the program's fault (missing,
/// not executable, not an executable format): an answer about that file.
/// Anything else (ENOMEM, EAGAIN, ETXTBSY, ...) says nothing about it.
fn program_at_fault(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied
    ) || e.raw_os_error() == Some(ENOEXEC)
}

/// `cmd.output()`, tried again a few times while the program's file is
/// "busy" (ETXTBSY): a file just written by this process can be held open
/// for writing by a child another thread forked and has not yet exec'd
/// (the descriptor is close-on-exec, so the window is short). A file that
/// stays busy is an error like any other.
fn output_retrying_busy(cmd: &mut Command) -> io::Result<Output> {
    let mut tries = 0;
    loop {
        match cmd.output() {
            Err(e) if e.raw_os_error() == Some(ETXTBSY) && tries < 20 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(5 * tries));
            }
            other => return other,
        }
    }
}

/// Runs `cmd` to the end and returns its output whatever its exit status.
/// Errors when it could not be started for a reason that is not its own,
/// or when a signal killed it.
fn run(mut cmd: Command, shown: &str) -> Result<Answer<Output>> {
    let out = match output_retrying_busy(&mut cmd) {
        Ok(out) => out,
        Err(e) if program_at_fault(&e) => return Ok(Err(format!("cannot run {shown}: {e}"))),
        Err(e) => return Err(e).with_context(|| format!("cannot run {shown}")),
    };
    if let Some(signal) = out.status.signal() {
        let said = first_line(&out.stderr);
        anyhow::bail!("{shown} was killed by signal {signal}{said}");
    }
    if !out.status.success() {
        if let Some(line) = environmental(&out) {
            anyhow::bail!("{shown} could not do its work ({}): {line}", out.status);
        }
    }
    Ok(Ok(out))
}

/// What the C library says (in the C locale, which tools run in) for
/// errors of the machine rather than of the tool: no space or quota left,
/// an I/O error, no memory, a read-only file system.
const ENVIRONMENTAL: &[&str] = &[
    "No space left on device",
    "Disk quota exceeded",
    "Input/output error",
    "Cannot allocate memory",
    "Read-only file system",
];

/// The line of a failed tool's output that blames the environment, if
/// any: a compile or link that failed to write its output refused nothing.
fn environmental(out: &Output) -> Option<String> {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    stderr
        .lines()
        .chain(stdout.lines())
        .find(|l| ENVIRONMENTAL.iter().any(|e| l.contains(e)))
        .map(|l| l.trim().to_string())
}

/// ": <first non-empty line of stderr>", or nothing.
fn first_line(stderr: &[u8]) -> String {
    let err = String::from_utf8_lossy(stderr);
    err.lines()
        .find(|l| !l.trim().is_empty())
        .map(|l| format!(": {}", l.trim()))
        .unwrap_or_default()
}

fn shown(program: &Path, args: &[&str]) -> String {
    std::iter::once(program.display().to_string())
        .chain(args.iter().map(|a| a.to_string()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The first non-empty line of a tool's stderr and its exit status, as the
/// reason for a refusal.
fn refusal(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr);
    let first = err.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    format!("{} ({})", first.trim(), out.status)
}

/// Runs a tool and returns its output whether or not it exited 0.
pub fn output(program: &Path, args: &[&str]) -> Result<Answer<Output>> {
    let mut cmd = scrubbed(program);
    cmd.args(args);
    run(cmd, &shown(program, args))
}

/// Runs a tool and returns its stdout; its refusal when it exits non-zero.
pub fn stdout(program: &Path, args: &[&str]) -> Result<Answer<String>> {
    let shown = shown(program, args);
    let mut cmd = scrubbed(program);
    cmd.args(args);
    Ok(run(cmd, &shown)?.and_then(|out| {
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(format!("{shown} failed: {}", refusal(&out)))
        }
    }))
}

/// Runs a prepared command; `Ok(Ok(()))` when it exits 0, its refusal when
/// it exits non-zero.
pub fn check(cmd: Command) -> Result<Answer<()>> {
    let shown = format!("{cmd:?}");
    Ok(run(cmd, &shown)?.and_then(|out| {
        if out.status.success() {
            Ok(())
        } else {
            Err(refusal(&out))
        }
    }))
}

/// Writes a probe's input file. Failing is never the tool's fault.
pub fn write_probe_file(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text)
        .with_context(|| format!("cannot write probe file {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_is_an_answer_and_a_signal_is_an_error() {
        let sh = Path::new("/bin/sh");
        let no = stdout(sh, &["-c", "echo nope >&2; exit 3"]).unwrap();
        assert!(no.unwrap_err().contains("nope"));
        let killed = stdout(sh, &["-c", "kill -9 $$"]).unwrap_err();
        assert!(
            format!("{killed:#}").contains("killed by signal 9"),
            "{killed:#}"
        );
        let full = stdout(
            sh,
            &["-c", "echo 'x.o: No space left on device' >&2; exit 1"],
        )
        .unwrap_err();
        assert!(
            format!("{full:#}").contains("No space left on device"),
            "{full:#}"
        );
        let missing = output(Path::new("/nonexistent/cc"), &[]).unwrap();
        assert!(missing.unwrap_err().contains("cannot run /nonexistent/cc"));
    }

    #[test]
    fn an_unwritable_probe_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = write_probe_file(dir.path(), "int x;\n").unwrap_err();
        assert!(
            format!("{err:#}").starts_with("cannot write probe file "),
            "{err:#}"
        );
    }
}
