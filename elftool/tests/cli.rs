//! End-to-end tests of the solo5-elftool binary: argument handling, manifest
//! errors as a user sees them, atomic output, and hostile input files.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

const BIN: &str = env!("CARGO_BIN_EXE_solo5-elftool");

/// A fresh, empty directory for one test.
fn scratch(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "elftool-cli-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

fn run(args: &[&str], cwd: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run solo5-elftool")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_no_panic(o: &Output) {
    let e = stderr(o);
    assert!(!e.contains("panicked"), "panic: {e}");
    assert!(!e.contains("RUST_BACKTRACE"), "panic: {e}");
}

fn device(name: &str, ty: &str) -> String {
    format!("    {{ \"name\": \"{name}\", \"type\": \"{ty}\" }}")
}

fn manifest(devices: &[String]) -> String {
    format!(
        "{{\n  \"type\": \"solo5.manifest\",\n  \"version\": 1,\n  \"devices\": [\n{}\n  ]\n}}\n",
        devices.join(",\n")
    )
}

/// Run gen-manifest on `text`; expect failure with `want` in the message at
/// `line:col`, and no output file (and no temporary file) left behind.
fn rejects(text: &str, line: usize, col: usize, want: &str) {
    let dir = scratch("reject");
    fs::write(dir.join("m.json"), text).expect("write manifest");
    let o = run(&["gen-manifest", "m.json", "out.c"], &dir);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(1), "{text}\n{}", stderr(&o));
    let e = stderr(&o);
    let prefix = format!("solo5-elftool: m.json:{line}:{col}: ");
    assert!(e.starts_with(&prefix), "expected {prefix:?}, got {e:?}");
    assert!(e.contains(want), "{e:?} does not mention {want:?}");
    assert_eq!(e.lines().count(), 1, "one line of error: {e:?}");
    let left: Vec<_> = fs::read_dir(&dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(left, vec!["m.json"], "gen-manifest left files behind");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn bad_json_is_rejected_with_position() {
    rejects(
        "{\n  \"type\": \"solo5.manifest\",\n  \"version\": 1\n  \"devices\": []\n}\n",
        4,
        3,
        "invalid JSON",
    );
    rejects("", 1, 1, "invalid JSON");
    rejects("{\"type\": \"solo5.manifest\", }", 1, 28, "invalid JSON");
}

#[test]
fn wrong_type_is_rejected() {
    let text = manifest(&[]).replace("solo5.manifest", "solo5.abi");
    rejects(
        &text,
        2,
        11,
        "expected \"solo5.manifest\", found \"solo5.abi\"",
    );
    rejects(
        "{\"version\": 1, \"devices\": []}",
        1,
        1,
        "missing key \"type\"",
    );
}

#[test]
fn version_2_is_rejected() {
    let text = manifest(&[]).replace("\"version\": 1", "\"version\": 2");
    rejects(&text, 3, 14, "unsupported manifest version 2");
}

#[test]
fn long_name_is_rejected() {
    let ok = "n".repeat(67);
    let dir = scratch("name67");
    fs::write(dir.join("m.json"), manifest(&[device(&ok, "NET_BASIC")])).expect("write");
    let o = run(&["gen-manifest", "m.json", "out.c"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let _ = fs::remove_dir_all(&dir);

    let long = "n".repeat(68);
    rejects(
        &manifest(&[device(&long, "NET_BASIC")]),
        5,
        15,
        "68 characters long, the maximum is 67",
    );
}

#[test]
fn bad_character_is_rejected() {
    rejects(
        &manifest(&[device("net_0", "NET_BASIC")]),
        5,
        15,
        "invalid character '_'",
    );
    rejects(&manifest(&[device("", "NET_BASIC")]), 5, 15, "empty");
}

#[test]
fn duplicate_is_rejected_at_the_duplicate() {
    let devs = [
        device("a", "NET_BASIC"),
        device("b", "BLOCK_BASIC"),
        device("a", "BLOCK_BASIC"),
    ];
    rejects(
        &manifest(&devs),
        7,
        15,
        "duplicate device name \"a\" (first declared at 5:15)",
    );
}

#[test]
fn too_many_devices_are_rejected() {
    let devs: Vec<String> = (0..64)
        .map(|i| device(&format!("dev{i}"), "NET_BASIC"))
        .collect();
    rejects(
        &manifest(&devs),
        5 + 63,
        5,
        "too many devices: 64 declared, at most 63",
    );
}

#[test]
fn sixty_three_devices_are_accepted() {
    let devs: Vec<String> = (0..63)
        .map(|i| device(&format!("dev{i}"), "BLOCK_BASIC"))
        .collect();
    let dir = scratch("63");
    fs::write(dir.join("m.json"), manifest(&devs)).expect("write");
    let o = run(&["gen-manifest", "m.json", "out.c"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stdout.is_empty() && o.stderr.is_empty());
    let c = fs::read_to_string(dir.join("out.c")).expect("out.c");
    assert!(c.contains("#define MFT_ENTRIES 64\n"));
    assert!(c.contains("{ .name = \"dev62\", .type = MFT_DEV_BLOCK_BASIC },"));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn unknown_device_type_is_rejected() {
    rejects(
        &manifest(&[device("a", "PCI_BASIC")]),
        5,
        28,
        "unknown device type \"PCI_BASIC\"",
    );
}

#[test]
fn unknown_keys_are_rejected() {
    let text = manifest(&[]).replace("\"version\": 1,", "\"version\": 1, \"extra\": true,");
    rejects(&text, 3, 17, "unknown key \"extra\"");
    let dev = "    { \"name\": \"a\", \"type\": \"NET_BASIC\", \"mtu\": 1500 }".to_string();
    rejects(&manifest(&[dev]), 5, 41, "unknown key \"mtu\"");
}

#[test]
fn failed_generation_keeps_the_old_output() {
    let dir = scratch("keep");
    fs::write(dir.join("out.c"), "old contents\n").expect("write");
    fs::write(dir.join("m.json"), "{").expect("write");
    let o = run(&["gen-manifest", "m.json", "out.c"], &dir);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        fs::read_to_string(dir.join("out.c")).expect("read"),
        "old contents\n"
    );
    // An output path that cannot be written: the error names it.
    fs::write(dir.join("m.json"), manifest(&[])).expect("write");
    let o = run(&["gen-manifest", "m.json", "no/such/dir/out.c"], &dir);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("solo5-elftool: no/such/dir/out.c: "),
        "{}",
        stderr(&o)
    );
    // A directory in the way of the output: nothing is left behind.
    fs::create_dir(dir.join("outdir")).expect("mkdir");
    let o = run(&["gen-manifest", "m.json", "outdir"], &dir);
    assert_eq!(o.status.code(), Some(1));
    let mut names: Vec<_> = fs::read_dir(&dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().into_string().expect("utf8"))
        .collect();
    names.sort();
    assert_eq!(names, ["m.json", "out.c", "outdir"]);
    let _ = fs::remove_dir_all(&dir);
}

/// Names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<_> = fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().into_string().expect("utf8"))
        .collect();
    names.sort();
    names
}

#[test]
fn the_temporary_file_is_output_dot_tmp_and_a_leftover_is_reused() {
    let dir = scratch("tmp");
    fs::write(dir.join("m.json"), manifest(&[])).expect("write");
    // What a run killed between writing and renaming leaves behind.
    fs::write(dir.join("out.c.tmp"), "half a file").expect("write");
    let o = run(&["gen-manifest", "m.json", "out.c"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(names(&dir), ["m.json", "out.c"]);
    assert!(fs::read_to_string(dir.join("out.c"))
        .expect("read")
        .contains("MFT_ENTRIES"));

    // The build engine passes its own temporary name as the output; ours
    // is that name plus .tmp, and is gone once the command has succeeded.
    let o = run(&["gen-manifest", "m.json", "step.c.tmp"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(names(&dir), ["m.json", "out.c", "step.c.tmp"]);

    // A failed rename (a directory in the way) removes it too, and the
    // error names it.
    fs::create_dir(dir.join("busy.c")).expect("mkdir");
    fs::write(dir.join("busy.c").join("x"), "").expect("write");
    let o = run(&["gen-manifest", "m.json", "busy.c"], &dir);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("cannot rename busy.c.tmp into place"),
        "{}",
        stderr(&o)
    );
    assert_eq!(names(&dir), ["busy.c", "m.json", "out.c", "step.c.tmp"]);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn missing_input_names_the_file() {
    let dir = scratch("missing");
    let o = run(&["gen-manifest", "nope.json", "out.c"], &dir);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("solo5-elftool: nope.json: cannot open: "));
    for cmd in ["query-manifest", "query-abi"] {
        let o = run(&[cmd, "nope.elf"], &dir);
        assert_eq!(o.status.code(), Some(1));
        assert!(stderr(&o).starts_with("solo5-elftool: nope.elf: cannot open: "));
    }
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn usage_errors_exit_2() {
    let dir = scratch("usage");
    for args in [
        &[][..],
        &["bogus"][..],
        &["gen-manifest"][..],
        &["gen-manifest", "a", "b", "c"][..],
        &["query-manifest"][..],
        &["query-abi", "a", "b"][..],
    ] {
        let o = run(args, &dir);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(o.stdout.is_empty());
        assert!(stderr(&o).contains("usage: solo5-elftool"));
    }
    let o = run(&["--help"], &dir);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("query-abi"));
    let o = run(&["--version"], &dir);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        format!("solo5-elftool {}\n", env!("CARGO_PKG_VERSION"))
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn hostile_files_fail_cleanly() {
    let dir = scratch("hostile");
    // Non-ELF inputs.
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("text", b"#!/bin/sh\necho hi\n".to_vec()),
        ("magic-only", b"\x7fELF".to_vec()),
        ("zeros", vec![0; 4096]),
        ("ff", vec![0xff; 4096]),
    ];
    for (name, data) in &cases {
        fs::write(dir.join(name), data).expect("write");
        for cmd in ["query-manifest", "query-abi"] {
            let o = run(&[cmd, name], &dir);
            assert_no_panic(&o);
            assert_eq!(o.status.code(), Some(1), "{cmd} {name}");
            assert!(stderr(&o).starts_with(&format!("solo5-elftool: {name}: ")));
        }
    }
    // Every prefix of a real ELF executable (this test binary's own
    // executable is as good as any), plus byte-flipped variants.
    let me = fs::read(BIN).expect("read the elftool binary");
    let mut lens: Vec<usize> = (0..256).collect();
    lens.extend((256..me.len().min(1 << 16)).step_by(997));
    for len in lens {
        fs::write(dir.join("cut"), &me[..len.min(me.len())]).expect("write");
        let o = run(&["query-manifest", "cut"], &dir);
        assert_no_panic(&o);
        assert_eq!(o.status.code(), Some(1));
    }
    let _ = fs::remove_dir_all(&dir);
}
