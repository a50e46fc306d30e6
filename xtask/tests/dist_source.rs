//! `cargo xtask dist --source`: the source tarball is reproducible, and
//! unpacked it builds with an empty CARGO_HOME and no network (a network
//! namespace of its own when the test runs as root, else an unreachable
//! proxy), the crates coming from its vendor/.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::*;

/// `dist --source --build-dir DIR` on the repository; the tarball made.
fn make(dir: &Path) -> PathBuf {
    let xtask = Path::new(env!("CARGO_BIN_EXE_xtask"));
    let mut cmd = Command::new(xtask);
    cmd.args(["dist", "--source", "--build-dir"])
        .arg(dir)
        .env("SOLO5_XTASK_ROOT", workspace())
        .env("SOURCE_DATE_EPOCH", "1700000000");
    let out = must(&mut cmd);
    PathBuf::from(out.lines().last().unwrap().trim())
}

fn no_network_works() -> bool {
    Command::new("unshare")
        .args(["-n", "true"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn source_tarball_is_reproducible_and_builds_offline() {
    let dir = tempfile::Builder::new()
        .prefix("solo5-dist-source-")
        .tempdir()
        .unwrap();
    let first = make(&dir.path().join("one"));
    let second = make(&dir.path().join("two"));
    assert_eq!(first.file_name(), second.file_name());
    assert!(
        std::fs::read(&first).unwrap() == std::fs::read(&second).unwrap(),
        "two dist --source runs made different bytes"
    );

    let unpacked = dir.path().join("unpacked");
    std::fs::create_dir(&unpacked).unwrap();
    must(
        Command::new("tar")
            .arg("xzf")
            .arg(&first)
            .arg("-C")
            .arg(&unpacked),
    );
    let name = first.file_name().unwrap().to_str().unwrap();
    let tree = unpacked.join(name.strip_suffix(".tar.gz").unwrap());
    assert!(tree.join("VERSION").is_file() && tree.join("vendor").is_dir());
    assert!(!tree.join(".git").exists());

    let home = dir.path().join("cargo-home");
    std::fs::create_dir(&home).unwrap();
    let target = shared_cargo_target("solo5-unpacked");
    let mut cmd = cargo_xtask(&tree, &target, &["build", "-j4"]);
    cmd.env("CARGO_HOME", &home)
        .env("CARGO_NET_OFFLINE", "true")
        .env("https_proxy", "http://127.0.0.1:9")
        .env("http_proxy", "http://127.0.0.1:9")
        .env("CARGO_HTTP_PROXY", "http://127.0.0.1:9");
    let log = if no_network_works() {
        let mut wrapped = Command::new("unshare");
        wrapped
            .arg("-n")
            .arg(cmd.get_program())
            .args(cmd.get_args());
        for (k, v) in cmd.get_envs() {
            match v {
                Some(v) => wrapped.env(k, v),
                None => wrapped.env_remove(k),
            };
        }
        wrapped
            .current_dir(&tree)
            .stdin(std::process::Stdio::null());
        eprintln!("building in a network namespace of its own");
        must(&mut wrapped)
    } else {
        eprintln!("building with an unreachable proxy");
        must(&mut cmd)
    };
    let out = tree.join("target/solo5").join(build_arch());
    assert!(out.join("bin/solo5-hvt").is_file(), "{log}");
    assert!(out.join("bin/solo5-spt").is_file(), "{log}");
    let triple = format!("{}-solo5-none-static", build_arch());
    assert!(
        out.join("lib").join(&triple).join("solo5_hvt.o").is_file(),
        "{log}"
    );
    assert!(
        std::fs::read_dir(&home).unwrap().next().is_none() || !home.join("registry").exists(),
        "cargo fetched crates into CARGO_HOME"
    );
    // The version comes from VERSION, as there is no .git.
    let version = std::fs::read_to_string(tree.join("VERSION")).unwrap();
    let h = std::fs::read_to_string(out.join("obj/gen/solo5_version.h")).unwrap();
    assert!(h.contains(version.trim()), "{h}");
}
