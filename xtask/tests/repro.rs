//! Reproducible builds: the same sources built and packaged in two
//! different directories, with SOURCE_DATE_EPOCH set, give byte-identical
//! tenders, bindings, wrappers, headers, unikernels, tarballs and .debs.
//!
//! Like the engine's tests, each tree is a scratch copy of the sources that
//! the xtask binary works on through `SOLO5_XTASK_ROOT`, with one prebuilt
//! solo5-elftool (`SOLO5_ELFTOOL`) shared by both.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What a scratch tree needs from the repository.
const COPIED: &[&str] = &[
    "targets.toml",
    "include",
    "ld-scripts",
    "bindings",
    "tenders",
    "tests",
];

const TOOL_ENV: &[&str] = &[
    "CC",
    "HOST_CC",
    "TARGET_CC",
    "TARGET_LD",
    "TARGET_OBJCOPY",
    "CROSS_COMPILE",
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn build_arch() -> &'static str {
    match std::env::consts::ARCH {
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        other => other,
    }
}

fn elftool() -> PathBuf {
    if let Some(p) = std::env::var_os("SOLO5_ELFTOOL") {
        return PathBuf::from(p);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(&cargo)
        .args(["build", "-q", "-p", "elftool", "--bin", "solo5-elftool"])
        .current_dir(workspace())
        .status()
        .expect("cannot run cargo");
    assert!(status.success(), "cargo build -p elftool failed: {status}");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(|d| workspace().join(d))
        .unwrap_or_else(|| workspace().join("target"));
    target.join("debug/solo5-elftool")
}

fn copy_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            copy_tree(&e.path(), &to.join(e.file_name()));
        }
    } else {
        std::fs::copy(from, to).unwrap_or_else(|e| panic!("cannot copy {}: {e}", from.display()));
    }
}

/// Every file under `dir` with its contents, by path relative to `base`.
fn contents(base: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            contents(base, &p, out);
        } else {
            let rel = p.strip_prefix(base).unwrap().to_path_buf();
            out.insert(rel, std::fs::read(&p).unwrap());
        }
    }
}

/// Copies the sources from `src` to `root`.
fn copy_sources(src: &Path, root: &Path) {
    std::fs::create_dir_all(root).unwrap();
    for name in COPIED {
        let from = src.join(name);
        if from.exists() {
            copy_tree(&from, &root.join(name));
        }
    }
}

/// Builds and packages the sources in `root`.
fn build_and_package(root: &Path, elftool: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.args(["dist", "-j2"])
        .env("SOLO5_XTASK_ROOT", root)
        .env("SOLO5_ELFTOOL", elftool)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .current_dir(root)
        .stdin(Stdio::null());
    for v in TOOL_ENV {
        cmd.env_remove(v);
    }
    let out = cmd.output().expect("cannot run the xtask binary");
    assert!(
        out.status.success(),
        "dist in {} failed:\n{}{}",
        root.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut files = BTreeMap::new();
    let products = root.join("target/solo5").join(build_arch());
    for sub in ["bin", "lib", "include", "tests"] {
        contents(&products, &products.join(sub), &mut files);
    }
    contents(&root.join("target"), &root.join("target/dist"), &mut files);
    files
}

#[test]
fn two_directories_build_identical_bytes() {
    let elftool = elftool();
    let a = tempfile::Builder::new()
        .prefix("solo5-repro-a-")
        .tempdir()
        .unwrap();
    let b = tempfile::Builder::new()
        .prefix("solo5-repro-second-tree-")
        .tempdir()
        .unwrap();
    let b_root = b.path().join("deeper/source");
    // The second tree copies the first one's sources, so both are the
    // same even while the repository is being edited.
    copy_sources(&workspace(), a.path());
    copy_sources(a.path(), &b_root);
    let first = build_and_package(a.path(), &elftool);
    let second = build_and_package(&b_root, &elftool);

    let names = |m: &BTreeMap<PathBuf, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&first),
        names(&second),
        "the two builds made different files"
    );
    let differ: Vec<String> = first
        .iter()
        .filter(|(k, v)| second.get(*k) != Some(*v))
        .map(|(k, _)| k.display().to_string())
        .collect();
    assert!(differ.is_empty(), "not byte-identical: {differ:?}");

    let has = |prefix: &str| first.keys().any(|k| k.starts_with(prefix));
    assert!(has("bin"), "no tenders or wrappers were compared");
    assert!(has("lib"), "no bindings were compared");
    assert!(has("tests"), "no unikernels were compared");
    assert!(
        first
            .keys()
            .any(|k| k.to_string_lossy().ends_with(".tar.gz")),
        "no tarball was compared"
    );
    let dpkg = Command::new("dpkg-deb").arg("--version").output().is_ok();
    assert!(
        !dpkg || first.keys().any(|k| k.to_string_lossy().ends_with(".deb")),
        "no .deb was compared"
    );
    eprintln!("{} files byte-identical", first.len());
}
