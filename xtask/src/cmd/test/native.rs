//! Running one cell on this machine: the tender as a child process, with
//! block images in the scratch directory and taps in a network namespace
//! of the test's own (given by path and name, or with `pass_fds` opened
//! here and inherited as descriptors).

use super::fds::Inherited;
use super::judge::Outcome;
use crate::model::tests::{Ping, Test};
use crate::util::{elf, process};
use anyhow::{Context, Result};
use std::fs::File;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs a short command for its effect.
fn sh(argv: &[&str]) -> Result<()> {
    process::check(Command::new(argv[0]).args(&argv[1..]))
}

/// Network namespace with tap devices, deleted on drop.
pub struct NetNs {
    name: String,
}

impl NetNs {
    fn create(name: &str, taps: usize) -> Result<NetNs> {
        let ns = NetNs {
            name: name.to_string(),
        };
        let _ = Command::new("ip").args(["netns", "del", name]).output();
        sh(&["ip", "netns", "add", name])?;
        sh(&["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"])?;
        for i in 0..taps {
            let tap = format!("tap{i}");
            let addr = format!("10.0.{}.1/24", i + 1);
            sh(&[
                "ip", "netns", "exec", name, "ip", "tuntap", "add", &tap, "mode", "tap",
            ])?;
            sh(&[
                "ip", "netns", "exec", name, "ip", "addr", "add", &addr, "dev", &tap,
            ])?;
            sh(&["ip", "netns", "exec", name, "ip", "link", "set", &tap, "up"])?;
        }
        Ok(ns)
    }
}

impl Drop for NetNs {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}

/// The tender's command line for a cell (behind `ip netns exec` when it
/// has taps), with block images created in `scratch`; with `pass_fds` the
/// images and taps are opened here and given as `@FD` through `fds`.
fn command_line(
    t: &Test,
    tender: &Path,
    unikernel: &Path,
    scratch: &Path,
    cell_dir: &Path,
    ns: Option<&NetNs>,
    fds: &mut Inherited,
) -> Result<Vec<String>> {
    let mut argv: Vec<String> = Vec::new();
    if let Some(ns) = ns {
        argv.extend(["ip".into(), "netns".into(), "exec".into(), ns.name.clone()]);
    }
    argv.push(tender.display().to_string());
    if let Some(mem) = t.mem {
        argv.push(format!("--mem={mem}"));
    }
    for a in &t.tender_args {
        argv.push(a.replace("{scratch}", &cell_dir.display().to_string()));
    }
    for (name, size) in &t.blocks {
        let p = scratch.join(format!("{}-{name}.img", t.name));
        let f = File::create(&p).with_context(|| format!("cannot create {}", p.display()))?;
        f.set_len(*size).context("cannot size block image")?;
        if t.pass_fds {
            argv.push(format!("--block:{name}=@{}", fds.block(&p)?));
        } else {
            argv.push(format!("--block:{name}={}", p.display()));
        }
    }
    for (i, name) in t.nets.iter().enumerate() {
        match ns {
            Some(ns) if t.pass_fds => {
                let fd = fds.tap(&ns.name, &format!("tap{i}"))?;
                argv.push(format!("--net:{name}=@{fd}"));
            }
            _ => argv.push(format!("--net:{name}=tap{i}")),
        }
    }
    argv.push(unikernel.display().to_string());
    argv.extend(t.args.iter().cloned());
    Ok(argv)
}

/// How a cell of a `qemu` binding boots (its `tender` is the binding's
/// launcher script).
#[derive(Debug, Clone)]
pub struct Qemu {
    /// KVM, or TCG emulation (the launcher's `-H kvm` / `-H qemu`).
    pub kvm: bool,
    /// The script that makes a bootable disk image, for a test that boots
    /// one.
    pub mkimage: Option<PathBuf>,
}

/// The block devices of a cell in the order its unikernel's manifest
/// declares them: a virtio unikernel matches devices to the manifest by
/// their PCI order, which is the order of the launcher's options. Names
/// the manifest lacks keep tests.toml's order, at the end.
pub(super) fn blocks_in_manifest_order<'t>(
    t: &'t Test,
    unikernel: &Path,
) -> Vec<(&'t String, u64)> {
    let declared = std::fs::read(unikernel)
        .ok()
        .and_then(|data| elf::manifest_devices(&data).ok())
        .unwrap_or_default();
    let mut v: Vec<(&String, u64)> = t.blocks.iter().map(|(n, s)| (n, *s)).collect();
    v.sort_by_key(|(n, _)| declared.iter().position(|d| d == *n).unwrap_or(usize::MAX));
    v
}

/// The launcher's command line for a cell of a `qemu` binding (behind
/// `ip netns exec` when it has taps, so QEMU opens them there), with block
/// images created in `scratch`. `boot` is the unikernel, or the disk image
/// made of it.
pub fn qemu_command_line(
    t: &Test,
    launcher: &Path,
    unikernel: &Path,
    boot: &Path,
    scratch: &Path,
    ns: Option<&str>,
    kvm: bool,
) -> Result<Vec<String>> {
    let mut argv: Vec<String> = Vec::new();
    if let Some(ns) = ns {
        argv.extend(["ip", "netns", "exec", ns].map(String::from));
    }
    argv.push(launcher.display().to_string());
    argv.extend(["-H".into(), if kvm { "kvm" } else { "qemu" }.into()]);
    if let Some(mem) = t.mem {
        argv.extend(["-m".into(), mem.to_string()]);
    }
    for (name, size) in blocks_in_manifest_order(t, unikernel) {
        let p = scratch.join(format!("{}-{name}.img", t.name));
        let f = File::create(&p).with_context(|| format!("cannot create {}", p.display()))?;
        f.set_len(size).context("cannot size block image")?;
        argv.extend(["-d".into(), p.display().to_string()]);
    }
    for i in 0..t.nets.len() {
        argv.extend(["-n".into(), format!("tap{i}")]);
    }
    argv.push(boot.display().to_string());
    // The image holds its arguments.
    if boot == unikernel && !t.args.is_empty() {
        argv.push("--".into());
        argv.extend(t.args.iter().cloned());
    }
    Ok(argv)
}

/// Makes the bootable disk image of a cell's unikernel (its arguments
/// stored in it) with the binding's mkimage script.
fn make_image(t: &Test, mkimage: &Path, unikernel: &Path, scratch: &Path) -> Result<PathBuf> {
    let image = scratch.join(format!("{}.disk", t.name));
    let mut cmd = Command::new("timeout");
    cmd.arg("300").arg(mkimage).arg(&image).arg(unikernel);
    cmd.args(&t.args).stdin(Stdio::null());
    process::all_output(&mut cmd).with_context(|| {
        format!(
            "{} could not make a disk image of {}",
            mkimage.display(),
            unikernel.display()
        )
    })?;
    Ok(image)
}

/// Pings every net's unikernel address from inside the namespace; the
/// first failure, as a message.
fn ping_all(t: &Test, ns: &NetNs, ping: &Ping) -> Result<Option<String>> {
    std::thread::sleep(Duration::from_millis(500));
    for i in 0..t.nets.len() {
        let addr = format!("10.0.{}.2", i + 1);
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &ns.name, "ping"]);
        cmd.args(["-c", &ping.count.to_string(), "-s", &ping.size.to_string()]);
        // -A paces a flood by the replies (never more than one request
        // unanswered), so a slow, loaded machine loses nothing; -w is only
        // a hang guard, as long as the cell's own timeout.
        cmd.args(["-w", &t.timeout().to_string()]);
        cmd.args(if ping.flood {
            ["-A", "-q"]
        } else {
            ["-i", "0.2"]
        });
        let o = cmd.arg(&addr).output().context("cannot run ping")?;
        if !o.status.success() {
            return Ok(Some(format!(
                "ping {addr} failed: {}",
                String::from_utf8_lossy(&o.stdout).trim()
            )));
        }
    }
    Ok(None)
}

/// Runs one cell on this machine: its tender, or for a `qemu` binding its
/// launcher.
pub fn run_native(
    t: &Test,
    tender: &Path,
    unikernel: &Path,
    scratch: &Path,
    qemu: Option<&Qemu>,
) -> Result<Outcome> {
    let ns = if t.nets.is_empty() {
        None
    } else {
        let name = format!("solo5test{}", std::process::id());
        Some(NetNs::create(&name, t.nets.len())?)
    };
    let cell_dir = scratch.join(format!("{}.d", t.name));
    let _ = std::fs::remove_dir_all(&cell_dir);
    std::fs::create_dir_all(&cell_dir)
        .with_context(|| format!("cannot create {}", cell_dir.display()))?;
    let mut fds = Inherited::default();
    let argv = match qemu {
        Some(q) => {
            let boot = match &q.mkimage {
                Some(m) => make_image(t, m, unikernel, scratch)?,
                None => unikernel.to_path_buf(),
            };
            let ns = ns.as_ref().map(|n| n.name.as_str());
            qemu_command_line(t, tender, unikernel, &boot, scratch, ns, q.kvm)?
        }
        None => command_line(
            t,
            tender,
            unikernel,
            scratch,
            &cell_dir,
            ns.as_ref(),
            &mut fds,
        )?,
    };

    let log = scratch.join(format!("{}.log", t.name));
    let out = File::create(&log).context("cannot create the test log")?;
    let start = Instant::now();
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out);
    fds.pass_to(&mut cmd);
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot run {}", argv.join(" ")))?;
    let during_error = match (&ns, &t.ping) {
        (Some(ns), Some(ping)) => ping_all(t, ns, ping)?,
        _ => None,
    };
    let timeout = t.timeout();
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break Some(s);
        }
        if start.elapsed() > Duration::from_secs(timeout) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    drop(fds);
    drop(ns);
    let output =
        String::from_utf8_lossy(&std::fs::read(&log).unwrap_or_default()).replace('\0', "");
    let core = if t.expect_core {
        find_core(&cell_dir)
    } else {
        None
    };
    Ok(Outcome {
        core,
        unikernel: unikernel.to_path_buf(),
        exit: status.and_then(|s| s.code()),
        signal: status.and_then(|s| s.signal()),
        timed_out: status.is_none(),
        during_error,
        output,
        command: argv.join(" "),
        elapsed,
        timeout,
    })
}

pub fn find_core(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("core."))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test(text: &str) -> Test {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn qemu_cells_map_devices_to_launcher_options() {
        let t = test(
            r#"
            name = "x"
            source = "net"
            bindings = ["virtio"]
            nets = ["a", "b"]
            mem = 64
            args = ["--solo5:quiet", "10"]
            blocks = { storage2 = 512, storage10 = 1024 }
            "#,
        );
        let dir = tempfile::tempdir().unwrap();
        let (l, u) = (Path::new("/b/solo5-virtio-run"), Path::new("/t/u"));
        let argv = qemu_command_line(&t, l, u, u, dir.path(), Some("ns1"), false).unwrap();
        let img = |n: &str| dir.path().join(format!("x-{n}.img")).display().to_string();
        let mut want: Vec<String> = ["ip", "netns", "exec", "ns1", "/b/solo5-virtio-run"]
            .iter()
            .chain(&["-H", "qemu", "-m", "64", "-d"])
            .map(|s| s.to_string())
            .collect();
        // Without a manifest to read, tests.toml's order.
        want.extend([img("storage10"), "-d".into(), img("storage2")]);
        want.extend(
            [
                "-n",
                "tap0",
                "-n",
                "tap1",
                "/t/u",
                "--",
                "--solo5:quiet",
                "10",
            ]
            .map(String::from),
        );
        assert_eq!(argv, want);
        assert_eq!(std::fs::metadata(img("storage10")).unwrap().len(), 1024);

        // A disk image holds its arguments; KVM when told.
        let image = Path::new("/s/x.disk");
        let argv = qemu_command_line(&t, l, u, image, dir.path(), None, true).unwrap();
        assert_eq!(argv[..3], ["/b/solo5-virtio-run", "-H", "kvm"]);
        assert_eq!(argv.last().map(String::as_str), Some("/s/x.disk"));
        assert!(!argv.iter().any(|a| a == "--"));
    }
}
