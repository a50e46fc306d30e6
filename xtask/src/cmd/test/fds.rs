//! `pass_fds` cells natively: the runner opens the block images and the
//! taps itself and the tender inherits them as `--block:NAME=@FD` and
//! `--net:NAME=@FD`.

use anyhow::{bail, Context, Result};
use std::fs::{File, OpenOptions};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

/// Descriptors a child inherits; closed in the runner on drop.
#[derive(Default)]
pub struct Inherited {
    fds: Vec<OwnedFd>,
}

impl Inherited {
    /// Opens `path` read-write for the child; returns its number.
    pub fn block(&mut self, path: &Path) -> Result<RawFd> {
        let f: File = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .with_context(|| format!("cannot open {} for the tender", path.display()))?;
        Ok(self.keep(f.into()))
    }

    /// Attaches to tap `tap` of network namespace `netns` (the thread that
    /// does it enters the namespace; the runner itself stays outside).
    pub fn tap(&mut self, netns: &str, tap: &str) -> Result<RawFd> {
        let (netns, tap) = (netns.to_string(), tap.to_string());
        let fd = std::thread::spawn(move || open_tap_in(&netns, &tap))
            .join()
            .map_err(|_| anyhow::anyhow!("the thread opening the tap panicked"))??;
        Ok(self.keep(fd))
    }

    fn keep(&mut self, fd: OwnedFd) -> RawFd {
        let n = fd.as_raw_fd();
        self.fds.push(fd);
        n
    }

    /// Makes `cmd`'s child inherit the descriptors: they are opened
    /// close-on-exec, and the child clears that flag before it execs.
    pub fn pass_to(&self, cmd: &mut Command) {
        let fds: Vec<RawFd> = self.fds.iter().map(|f| f.as_raw_fd()).collect();
        if fds.is_empty() {
            return;
        }
        // SAFETY: between fork and exec the closure only calls fcntl(2),
        // which is async-signal-safe, on descriptors the parent keeps open.
        unsafe {
            cmd.pre_exec(move || {
                for &fd in &fds {
                    if libc::fcntl(fd, libc::F_SETFD, 0) == -1 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
    }
}

/// In the calling thread: enter `netns`, open /dev/net/tun and attach to
/// `tap` (TUNSETIFF), as a tender given a tap name would.
fn open_tap_in(netns: &str, tap: &str) -> Result<OwnedFd> {
    let ns_path = format!("/var/run/netns/{netns}");
    let ns = File::open(&ns_path).with_context(|| format!("cannot open {ns_path}"))?;
    // SAFETY: plain system calls on descriptors owned here; the ifreq is
    // zeroed and its name NUL-terminated.
    unsafe {
        if libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) == -1 {
            bail!(
                "cannot enter network namespace {netns}: {}",
                std::io::Error::last_os_error()
            );
        }
        let raw = libc::open(c"/dev/net/tun".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC);
        if raw == -1 {
            bail!(
                "cannot open /dev/net/tun: {}",
                std::io::Error::last_os_error()
            );
        }
        let fd = OwnedFd::from_raw_fd(raw);
        let mut ifr: libc::ifreq = std::mem::zeroed();
        if tap.len() >= ifr.ifr_name.len() {
            bail!("tap name {tap} is too long");
        }
        for (d, s) in ifr.ifr_name.iter_mut().zip(tap.bytes()) {
            *d = s as libc::c_char;
        }
        ifr.ifr_ifru.ifru_flags = (libc::IFF_TAP | libc::IFF_NO_PI) as libc::c_short;
        if libc::ioctl(fd.as_raw_fd(), libc::TUNSETIFF, &ifr) == -1 {
            bail!(
                "cannot attach to tap {tap} in {netns}: {}",
                std::io::Error::last_os_error()
            );
        }
        Ok(fd)
    }
}
