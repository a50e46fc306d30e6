//! Whether this machine's /dev/kvm can run real guests: only when it runs
//! the binding's probe unikernel correctly (a paravirtual KVM that
//! emulates guest instructions may reject SSE, say).

use std::path::Path;
use std::process::{Command, Stdio};

/// (usable, why): whether this machine's KVM runs the probe unikernel
/// when `command` (a tender, or a launcher and its options) boots it, and
/// the sentence that says so, ending with what follows: `outcomes` (if
/// usable, if not).
pub fn qualify(command: &[String], probe: Option<&Path>, outcomes: (&str, &str)) -> (bool, String) {
    let (yes, no) = outcomes;
    if !Path::new("/dev/kvm").exists() {
        return (false, format!("no /dev/kvm here: {no}"));
    }
    let Some(probe) = probe.filter(|p| p.exists()) else {
        return (
            false,
            format!("no probe unikernel to qualify /dev/kvm: {no}"),
        );
    };
    let name = probe
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let out = Command::new("timeout")
        .arg("20")
        .args(command)
        .arg(probe)
        .stdin(Stdio::null())
        .output();
    match out {
        Ok(o) if o.status.success() && String::from_utf8_lossy(&o.stdout).contains("SUCCESS") => (
            true,
            format!("this machine's /dev/kvm ran the probe {name} correctly: {yes}"),
        ),
        Ok(o) => {
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            let line = text
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("no output")
                .trim()
                .to_string();
            (
                false,
                format!("this machine's /dev/kvm failed the probe {name} ({line}): {no}"),
            )
        }
        Err(e) => (false, format!("cannot run the probe {name} ({e}): {no}")),
    }
}

/// What this machine's /dev/kvm is, in one line.
pub fn summary() -> (bool, String) {
    if !Path::new("/dev/kvm").exists() {
        return (false, "no /dev/kvm".into());
    }
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let hw = cpuinfo
        .lines()
        .filter(|l| l.starts_with("flags"))
        .any(|l| l.split_whitespace().any(|f| f == "vmx" || f == "svm"));
    if hw {
        (
            true,
            "/dev/kvm present, CPU has hardware virtualisation".into(),
        )
    } else {
        (
            false,
            "/dev/kvm present but the CPU reports neither vmx nor svm: a paravirtual KVM that cannot run SSE guests".into(),
        )
    }
}
