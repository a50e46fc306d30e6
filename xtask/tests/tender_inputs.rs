//! The tenders facing careless or hostile input on their command line:
//! a FIFO given as the unikernel (must be refused, not waited on), a huge
//! argument with control characters (quoted short and escaped), and a
//! segment at an address no `--mem` can reach (called invalid, not "try a
//! larger --mem").
//!
//! The tenders are built for the build machine by `cargo xtask build` into
//! a build directory kept under cargo's target directory (incremental after
//! the first run). Only a hang guard waits: a tender still running after
//! it is a failure, however slow the machine.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

mod common;
use common::*;

/// Far longer than any of these refusals takes; only a hang reaches it.
const HANG_GUARD: Duration = Duration::from_secs(120);

/// The build machine's tenders, built once per test run.
fn bin_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let build = shared_cargo_target("tender-inputs");
        let xtask = Path::new(env!("CARGO_BIN_EXE_xtask"));
        let root = workspace();
        let build_s = build.display().to_string();
        must(&mut xtask_command(
            xtask,
            &root,
            elftool(),
            &["build", "--build-dir", &build_s],
        ));
        build.join(build_arch()).join("bin")
    })
}

/// The tenders that were built (solo5-spt, solo5-hvt: whichever the arch has).
fn tenders() -> Vec<PathBuf> {
    ["solo5-spt", "solo5-hvt"]
        .iter()
        .map(|t| bin_dir().join(t))
        .filter(|p| p.is_file())
        .collect()
}

/// Runs `tender args`, killing it (and failing) if it outlives the guard.
fn run(tender: &Path, args: &[&std::ffi::OsStr]) -> Output {
    let mut child = Command::new(tender)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", tender.display()));
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if start.elapsed() > HANG_GUARD {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{} {args:?} hangs", tender.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_fifo_is_refused_not_waited_on() {
    let tenders = tenders();
    assert!(
        !tenders.is_empty(),
        "no tender built in {}",
        bin_dir().display()
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("unikernel");
    let c = std::ffi::CString::new(fifo.as_os_str().as_bytes()).expect("path");
    // SAFETY: c is a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    for t in &tenders {
        let out = run(t, &[fifo.as_os_str()]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{}: {err}", t.display());
        assert!(
            err.contains("unikernel: a FIFO, not a unikernel file"),
            "{}: {err}",
            t.display()
        );
    }
    // A directory and a character device get the same treatment.
    for t in &tenders {
        for (path, kind) in [
            (dir.path(), "a directory"),
            (Path::new("/dev/null"), "a character device"),
        ] {
            let out = run(t, &[path.as_os_str()]);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(1), "{err}");
            assert!(
                err.contains(&format!("{kind}, not a unikernel file")),
                "{err}"
            );
        }
    }
}

#[test]
fn hostile_arguments_are_quoted_short() {
    // 100 kB (one argument may hold 128 kB) with an escape sequence.
    let mut arg = b"no\x1b[2Jsuch/".to_vec();
    arg.extend(std::iter::repeat_n(b'A', 100_000));
    let arg = std::ffi::OsStr::from_bytes(&arg);
    for t in tenders() {
        let out = run(&t, &[arg]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.len() < 300, "{} bytes of message: {err}", err.len());
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(!err.contains('\x1b'), "raw escape in {err:?}");
        assert!(err.contains("cannot open no\\x1b[2Jsuch/AAAA"), "{err}");
        assert!(err.contains("A...: "), "{err}");
    }
}

/// A static executable for the build machine with Solo5 ABI (spt) and
/// manifest notes and one loadable segment at `vaddr` of `memsz` bytes.
fn unikernel(machine: u16, vaddr: u64, memsz: u64) -> Vec<u8> {
    let mut notes = Vec::new();
    let note = |n_type: u32, desc: &[u8], out: &mut Vec<u8>| {
        out.extend(6u32.to_le_bytes());
        out.extend((desc.len() as u32).to_le_bytes());
        out.extend(n_type.to_le_bytes());
        out.extend(b"Solo5\0\0\0");
        out.extend(desc);
    };
    // ABI1: target spt (2), version 2.
    let abi: Vec<u8> = [2u32, 2, 0, 0]
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .collect();
    note(0x3149_4241, &abi, &mut notes);
    // MFT1: 4 bytes of padding, version 1, one (reserved) entry.
    let mut mft = vec![0u8; 4];
    mft.extend(1u32.to_le_bytes());
    mft.extend(1u32.to_le_bytes());
    let mut e = vec![0u8; 104];
    e[68..72].copy_from_slice(&(1u32 << 30).to_le_bytes());
    mft.extend(e);
    note(0x3154_464d, &mft, &mut notes);

    let phoff = 64u64;
    let notes_off = phoff + 2 * 56;
    let mut f = vec![0u8; 64];
    f[..4].copy_from_slice(b"\x7fELF");
    f[4] = 2;
    f[5] = 1;
    f[6] = 1;
    f[16..18].copy_from_slice(&2u16.to_le_bytes());
    f[18..20].copy_from_slice(&machine.to_le_bytes());
    f[20..24].copy_from_slice(&1u32.to_le_bytes());
    f[24..32].copy_from_slice(&vaddr.to_le_bytes());
    f[32..40].copy_from_slice(&phoff.to_le_bytes());
    f[52..54].copy_from_slice(&64u16.to_le_bytes());
    f[54..56].copy_from_slice(&56u16.to_le_bytes());
    f[56..58].copy_from_slice(&2u16.to_le_bytes());
    let phdr = |p_type: u32, flags: u32, off: u64, va: u64, filesz: u64, memsz: u64| {
        let mut ph = Vec::new();
        ph.extend(p_type.to_le_bytes());
        ph.extend(flags.to_le_bytes());
        for v in [off, va, va, filesz, memsz, 0x1000] {
            ph.extend(v.to_le_bytes());
        }
        ph
    };
    f.extend(phdr(
        4,
        4,
        notes_off,
        0,
        notes.len() as u64,
        notes.len() as u64,
    ));
    f.extend(phdr(1, 5, 0, vaddr, 0, memsz));
    f.extend(&notes);
    f
}

#[test]
fn a_segment_out_of_any_guest_memory_is_an_invalid_address() {
    let spt = bin_dir().join("solo5-spt");
    if !spt.is_file() {
        println!(
            "SKIP: no solo5-spt for {} (hvt loads only after opening KVM)",
            build_arch()
        );
        return;
    }
    let machine = match build_arch() {
        "x86_64" => 62u16,
        "aarch64" => 183,
        "ppc64le" => 21,
        other => panic!("no ELF machine for {other}"),
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        (
            0xffff_ffff_fff0_0000u64,
            0x1000u64,
            "its address is invalid",
        ),
        (0x10_0000, 600 << 20, "try a larger --mem, at most 1048576"),
    ];
    for (vaddr, memsz, want) in cases {
        let path = dir.path().join(format!("seg-{vaddr:x}"));
        std::fs::write(&path, unikernel(machine, vaddr, memsz)).expect("write");
        let out = run(&spt, &[path.as_os_str()]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains(&format!("segment 1 (0x{vaddr:x}")), "{err}");
        assert!(err.contains(want), "{vaddr:#x}: {err}");
        if want.contains("invalid") {
            assert!(!err.contains("--mem"), "{err}");
        }
    }
}
