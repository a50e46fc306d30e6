//! Reproducible builds: the same sources built and packaged in two
//! different directories, with SOURCE_DATE_EPOCH set, give byte-identical
//! tenders, bindings, wrappers, headers, unikernels, tarballs and .debs.
//!
//! Like the engine's tests, each tree is a scratch copy of the sources that
//! the xtask binary works on through `SOLO5_XTASK_ROOT`, with one prebuilt
//! solo5-elftool (`SOLO5_ELFTOOL`) shared by both.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::*;

/// Builds and packages the sources in `root`.
fn build_and_package(root: &Path, elftool: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let xtask = Path::new(env!("CARGO_BIN_EXE_xtask"));
    let mut cmd = xtask_command(xtask, root, elftool, &["dist", "-j2"]);
    cmd.env("SOURCE_DATE_EPOCH", "1700000000");
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
    let first = build_and_package(a.path(), elftool);
    let second = build_and_package(&b_root, elftool);

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
