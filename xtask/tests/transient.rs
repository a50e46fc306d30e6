//! A full disk is a failure of one run, not a fact about the toolchain:
//! `target/solo5` of a scratch tree is a small tmpfs, filled so that only
//! a little room is left, at every point a build writes (the toolchain
//! probes' files, the toolchain cache, the engine's outputs and stamps).
//! Each such build must fail, say that space ran out, and leave no cached
//! conclusion drawn from it; once the room is back, the next build (no
//! clean) must finish the job, and the one after must have nothing to do.
//!
//! Mounting needs root: elsewhere the test prints `SKIP: ...` and passes.
//! Nothing here waits or times anything: each build runs to its end, and
//! the room left is measured, not guessed.

use std::collections::BTreeMap;
use std::ffi::CString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::*;

/// A tmpfs mounted over a directory, unmounted when dropped (also when the
/// test panics), before the scratch tree under it is removed.
struct Tmpfs {
    at: PathBuf,
}

impl Tmpfs {
    fn mount(at: &Path, bytes: u64) -> Result<Tmpfs, String> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Err("mounting a tmpfs needs root".into());
        }
        std::fs::create_dir_all(at).map_err(|e| format!("cannot create {}: {e}", at.display()))?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o"])
            .arg(format!("size={bytes}"))
            .arg("tmpfs")
            .arg(at)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "mount -t tmpfs failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Tmpfs {
            at: at.to_path_buf(),
        })
    }

    /// (bytes in use, bytes free) as statvfs counts them.
    fn usage(&self) -> (u64, u64) {
        let path = CString::new(self.at.as_os_str().as_bytes()).unwrap();
        // SAFETY: statvfs only writes the struct it is given.
        let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
        let rc = unsafe { libc::statvfs(path.as_ptr(), &mut st) };
        assert_eq!(rc, 0, "statvfs {}", self.at.display());
        let block = st.f_frsize as u64;
        let used = (st.f_blocks as u64 - st.f_bfree as u64) * block;
        (used, st.f_bavail as u64 * block)
    }

    /// Fills the file system until `leave` bytes are free (or none, when
    /// less is free already) with one file; returns its path.
    fn fill(&self, leave: u64) -> PathBuf {
        let path = self.at.join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        let (_, free) = self.usage();
        let len = free.saturating_sub(leave) as libc::off_t;
        if len > 0 {
            use std::os::fd::AsRawFd;
            // SAFETY: the descriptor is open for writing.
            let rc = unsafe { libc::posix_fallocate(f.as_raw_fd(), 0, len) };
            if rc != 0 {
                // No fallocate here: write zeros until that much is used.
                let chunk = vec![0u8; 64 * 1024];
                let mut left = len as usize;
                while left > 0 {
                    let n = left.min(chunk.len());
                    f.write_all(&chunk[..n]).expect("cannot write the filler");
                    left -= n;
                }
                f.sync_all().unwrap();
            }
        }
        let (_, free) = self.usage();
        assert!(
            free <= leave.max(4096),
            "the filler left {free} bytes free, not {leave}"
        );
        path
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let ok = Command::new("umount")
            .arg(&self.at)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            // Busy (a build still running after a panic): detach it now,
            // it goes when the last user does.
            let _ = Command::new("umount").arg("-l").arg(&self.at).status();
        }
    }
}

/// Bytes a tree's build outputs take, counted in 4 KiB pages as tmpfs
/// counts them.
fn size_on_disk(dir: &Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let meta = e.metadata().unwrap();
            total += if meta.is_dir() {
                size_on_disk(&e.path())
            } else {
                meta.len().div_ceil(4096) * 4096
            };
        }
    }
    total
}

/// The products a build leaves (what install and the tests use).
fn products(tree: &Tree) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for sub in ["bin", "lib", "include", "tests"] {
        contents(&tree.out(), &tree.out().join(sub), &mut out);
    }
    out
}

/// The detection results of a tree's toolchain cache, if it has one.
fn cached_toolchains(tree: &Tree) -> Option<toml::Value> {
    let text = std::fs::read_to_string(tree.out().join("toolchain.toml")).ok()?;
    let mut file: toml::Table = text.parse().expect("toolchain.toml is not TOML");
    file.remove("toolchains")
}

const NO_SPACE: &[&str] = &["No space left on device", "ENOSPC", "os error 28"];

/// One build on a full disk: it must fail, say why, and conclude nothing.
fn build_on_full_disk(tree: &Tree, fs: &Tmpfs, leave: u64, reference: &toml::Value) {
    let filler = fs.fill(leave);
    let (status, log) = tree.output(tree.command(&["build", "-j2"]));
    std::fs::remove_file(&filler).unwrap();
    let what = format!("build with {leave} bytes free ({status})");
    assert!(
        !status.success() && status.signal().is_none(),
        "{what} did not fail as an error:\n{}",
        log.text
    );
    assert!(
        NO_SPACE.iter().any(|s| log.text.contains(s)),
        "{what} does not say that space ran out:\n{}",
        log.text
    );
    assert!(
        !log.text.contains("nothing to do"),
        "{what} found nothing to do:\n{}",
        log.text
    );
    // A cache written by this run holds what detection finds with room.
    if let Some(cached) = cached_toolchains(tree) {
        assert_eq!(
            &cached, reference,
            "{what} cached other toolchains than a build with room:\n{}",
            log.text
        );
    }
}

#[test]
fn a_full_disk_fails_the_build_and_concludes_nothing() {
    // A build with room, for what detection finds and what a build makes.
    let reference = Tree::new();
    reference.build(&["-j2"]);
    let want_tools = cached_toolchains(&reference).expect("the build cached no toolchains");
    assert!(
        want_tools
            .get("problems")
            .and_then(toml::Value::as_array)
            .is_some_and(|p| p.is_empty()),
        "detection with room found problems: {want_tools}"
    );
    let want = products(&reference);
    let full = size_on_disk(&reference.root.join("target/solo5"));

    let tree = Tree::copy_of(&reference);
    // Declared after the tree: dropped (unmounted) before it is removed.
    let fs = match Tmpfs::mount(&tree.path("target/solo5"), 2 * full + (16 << 20)) {
        Ok(fs) => fs,
        Err(why) => {
            println!("SKIP: {why}");
            return;
        }
    };

    // Detection writes first: every few KiB of room ends in another of
    // its probes' files or in the cache file.
    for kib in (0..=64).step_by(4) {
        build_on_full_disk(&tree, &fs, kib * 1024, &want_tools);
    }
    // Then the engine: each build gets room for a larger share of the full
    // build's outputs (copies of tools and headers, objects, links, stamps)
    // and stops where that share runs out.
    for percent in [25, 50, 75, 90] {
        let (used, _) = fs.usage();
        let leave = (full * percent / 100).saturating_sub(used);
        build_on_full_disk(&tree, &fs, leave, &want_tools);
    }

    // Room again; no clean.
    let log = tree.build(&["-j2"]);
    assert!(
        !log.ran.is_empty() && !log.text.contains("nothing to do"),
        "the build after the disk emptied did nothing:\n{}",
        log.text
    );
    for tender in ["bin/solo5-spt", "bin/solo5-hvt"] {
        assert!(
            tree.out().join(tender).is_file(),
            "{tender} was not built:\n{}",
            log.text
        );
    }
    assert_eq!(cached_toolchains(&tree).as_ref(), Some(&want_tools));
    let got = products(&tree);
    let names = |p: &BTreeMap<PathBuf, Vec<u8>>| p.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&got),
        names(&want),
        "the build made other files than a build with room"
    );
    let differ: Vec<&PathBuf> = got
        .iter()
        .zip(&want)
        .filter(|(g, w)| g.1 != w.1)
        .map(|(g, _)| g.0)
        .collect();
    assert!(
        differ.is_empty(),
        "built differently from a build with room: {differ:?}"
    );
    assert!(
        want.iter().any(|(n, _)| n.starts_with("lib")),
        "no bindings were compared"
    );

    let again = tree.build(&["-j2"]);
    assert!(again.is_noop(), "{}", again.text);
}
