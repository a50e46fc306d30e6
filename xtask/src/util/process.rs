//! Running other programs: one way to run a command to completion and
//! report its failure, and one shell-quoting rule. (Long-running children
//! with timeouts, the tenders and QEMU, are spawned where they are
//! watched; they still report through `describe`.)

use anyhow::{bail, Context, Result};
use std::process::{Command, Output, Stdio};

/// How a command is shown in messages: program and arguments, quoted as
/// for sh so that it can be pasted.
pub fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|w| sh_quote(&w.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn run(cmd: &mut Command) -> Result<Output> {
    let shown = describe(cmd);
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {shown}"))?;
    if !out.status.success() {
        let mut text = String::from_utf8_lossy(&out.stderr).trim_end().to_string();
        if text.is_empty() {
            text = String::from_utf8_lossy(&out.stdout).trim_end().to_string();
        }
        bail!("{shown} failed ({}):\n{text}", out.status);
    }
    Ok(out)
}

/// Runs `cmd`; its standard output when it succeeds.
pub fn stdout(cmd: &mut Command) -> Result<String> {
    Ok(String::from_utf8_lossy(&run(cmd)?.stdout).into_owned())
}

/// Runs `cmd`; its standard output and error, in that order.
pub fn all_output(cmd: &mut Command) -> Result<String> {
    let out = run(cmd)?;
    Ok(format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

/// Runs `cmd` for its effect.
pub fn check(cmd: &mut Command) -> Result<()> {
    run(cmd).map(|_| ())
}

/// Quotes one word for sh when it needs it (the empty word included).
pub fn sh_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(sh_quote("/usr/bin/cc"), "/usr/bin/cc");
        assert_eq!(
            sh_quote("--target=aarch64-linux-gnu"),
            "--target=aarch64-linux-gnu"
        );
        assert_eq!(sh_quote(""), "''");
        assert_eq!(sh_quote("a b"), "'a b'");
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn failures_name_the_command_and_its_words() {
        let err = check(Command::new("sh").args(["-c", "echo oops >&2; exit 3", "x y"]))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("sh -c 'echo oops >&2; exit 3' 'x y' failed"),
            "{err}"
        );
        assert!(err.contains("oops"), "{err}");
        assert_eq!(stdout(Command::new("echo").arg("hi")).unwrap(), "hi\n");
        assert!(stdout(&mut Command::new("/nonexistent/prog"))
            .unwrap_err()
            .to_string()
            .starts_with("cannot run /nonexistent/prog"));
    }
}
