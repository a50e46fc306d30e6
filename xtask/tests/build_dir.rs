//! Out-of-tree builds: `--build-dir DIR` and `SOLO5_BUILD_DIR` put every
//! output under DIR, the source tree is only read (a read-only copy of it,
//! through a read-only bind mount when the test runs as root, since root
//! ignores permission bits), and two build directories of one tree hold
//! independent configurations.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

mod common;
use common::*;

/// Every entry under `dir` with its mode, time and contents.
fn snapshot(dir: &Path, out: &mut BTreeMap<PathBuf, (u32, SystemTime, Vec<u8>)>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        let m = std::fs::symlink_metadata(&p).unwrap();
        let data = if m.is_dir() {
            snapshot(&p, out);
            Vec::new()
        } else {
            std::fs::read(&p).unwrap()
        };
        out.insert(p, (m.permissions().mode(), m.modified().unwrap(), data));
    }
}

fn make_read_only(dir: &Path) {
    let m = std::fs::metadata(dir).unwrap();
    if m.is_dir() {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            make_read_only(&e.path());
        }
    }
    let mode = m.permissions().mode() & !0o222;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn make_writable(dir: &Path) {
    let m = std::fs::metadata(dir).unwrap();
    std::fs::set_permissions(
        dir,
        std::fs::Permissions::from_mode(m.permissions().mode() | 0o200),
    )
    .unwrap();
    if m.is_dir() {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            make_writable(&e.path());
        }
    }
}

/// Whether a read-only bind mount works here (root with CAP_SYS_ADMIN).
fn can_bind_read_only(dir: &Path) -> bool {
    Command::new("unshare")
        .args(["-m", "sh", "-c", r#"mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && ! touch "$0/.w" 2>/dev/null"#])
        .arg(dir)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The xtask command run with `src` read-only: inside a private mount
/// namespace with `src` bind-mounted read-only, when `bind`.
fn command(tree: &Path, xtask: &Path, elftool: &Path, bind: bool, args: &[&str]) -> Command {
    let mut cmd = if bind {
        let mut c = Command::new("unshare");
        c.args([
            "-m",
            "sh",
            "-c",
            r#"mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && shift && exec "$@""#,
        ])
        .arg(tree)
        .arg("--")
        .arg(xtask)
        .args(args);
        c
    } else {
        let mut c = Command::new(xtask);
        c.args(args);
        c
    };
    cmd.env("SOLO5_XTASK_ROOT", tree)
        .env("SOLO5_ELFTOOL", elftool)
        .current_dir(tree)
        .env_remove("SOLO5_BUILD_DIR");
    for v in TOOL_ENV {
        cmd.env_remove(v);
    }
    cmd
}

#[test]
fn read_only_tree_two_build_dirs() {
    let dir = tempfile::Builder::new()
        .prefix("solo5-build-dir-")
        .tempdir()
        .unwrap();
    let src = dir.path().join("src");
    copy_sources(&workspace(), &src);
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let xtask = freeze(Path::new(env!("CARGO_BIN_EXE_xtask")), &bin.join("xtask"));
    let elftool = freeze(elftool(), &bin.join("solo5-elftool"));
    let bind = can_bind_read_only(&src);
    make_read_only(&src);
    let mut before = BTreeMap::new();
    snapshot(&src, &mut before);
    eprintln!(
        "source tree read-only by {}",
        if bind {
            "a read-only bind mount (and chmod a-w)"
        } else {
            "chmod a-w only (as root this is not enforced; the snapshot check still holds)"
        }
    );

    // One build directory by flag (gcc), one by variable (clang, or
    // another arch without it).
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    let second: Vec<&str> = if Command::new("clang").arg("--version").output().is_ok() {
        vec!["build", "-j4", "--cc", "clang"]
    } else {
        vec!["build", "-j4", "--target", "aarch64"]
    };
    let one_s = one.to_str().unwrap();
    must(&mut command(
        &src,
        &xtask,
        &elftool,
        bind,
        &["build", "-j4", "--cc", "gcc", "--build-dir", one_s],
    ));
    must(command(&src, &xtask, &elftool, bind, &second).env("SOLO5_BUILD_DIR", &two));
    // The first configuration is untouched by the second: a no-op.
    let again = must(&mut command(
        &src,
        &xtask,
        &elftool,
        bind,
        &["build", "-j4", "--cc", "gcc", "--build-dir", one_s],
    ));
    assert!(again.contains("nothing to do"), "{again}");

    let mut after = BTreeMap::new();
    snapshot(&src, &mut after);
    let changed: Vec<_> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, _)| k.display().to_string())
        .collect();
    assert!(
        changed.is_empty(),
        "the build wrote into the source tree: {changed:?}"
    );
    assert_eq!(
        before.len(),
        after.len(),
        "files appeared or vanished in the source tree"
    );
    assert!(!src.join("target").exists());

    let arch = build_arch();
    let cache =
        |d: &Path, a: &str| std::fs::read_to_string(d.join(a).join("toolchain.toml")).unwrap();
    assert!(one.join(arch).join("bin/solo5-hvt").is_file());
    // Manifests are generated in-process: the build copies no
    // solo5-elftool (test, install and dist do, as they ship or run it).
    assert!(one
        .join(arch)
        .join("obj/tests/test_hello/manifest.c")
        .is_file());
    assert!(!one.join("build/bin/solo5-elftool").exists());
    assert!(one.join(arch).join("obj/.stamps").is_dir());
    if second.contains(&"clang") {
        assert!(two.join(arch).join("bin/solo5-hvt").is_file());
        assert!(cache(&two, arch).contains("clang"), "{}", cache(&two, arch));
        assert!(!cache(&one, arch).contains("\nfamily = \"clang\""));
    } else {
        assert!(two.join("aarch64").join("toolchain.toml").is_file());
        assert!(!one.join("aarch64").exists());
    }
    make_writable(&src);
}
