//! The tenders' fuzz harnesses (tenders/fuzz/fuzz.toml) replay their
//! committed seeds and regression inputs without libFuzzer, built with the
//! ordinary C compiler and its sanitizers (`cargo xtask fuzz --replay`), so
//! a crash found once stays fixed on machines without clang or nightly.
//! (elftool's targets replay in elftool/tests/fuzz_regressions.rs.)

use std::path::Path;
use std::process::Command;

#[test]
fn c_harnesses_replay_their_committed_inputs() {
    if Command::new("cc").arg("--version").output().is_err() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "no C compiler (cc) in CI"
        );
        eprintln!("SKIP c_harnesses_replay_their_committed_inputs: no C compiler (cc)");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let text = std::fs::read_to_string(root.join("tenders/fuzz/fuzz.toml")).unwrap();
    let list: toml::Table = text.parse().unwrap();
    let names: Vec<&String> = list["harness"].as_table().unwrap().keys().collect();
    assert!(names.len() >= 4, "harnesses: {names:?}");

    let out = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.current_dir(&root)
        .env("SOLO5_XTASK_ROOT", &root)
        .env("SOLO5_BUILD_DIR", out.path())
        .args(["fuzz", "--replay"]);
    for n in &names {
        cmd.args(["--target", n.as_str()]);
    }
    let result = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&result.stdout);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(result.status.success(), "{stdout}\n{stderr}");
    for n in names {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("{n}: replayed ")))
            .unwrap_or_else(|| panic!("no replay line for {n}:\n{stdout}"));
        let count: u64 = line
            .split_whitespace()
            .nth(2)
            .and_then(|c| c.parse().ok())
            .unwrap();
        assert!(count > 0, "{line}");
    }
}
