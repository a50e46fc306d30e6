//! The xtask finds the tree it works on at run time: one xtask binary,
//! cached in a cargo target directory two clones share, builds each
//! clone's own sources into that clone's output tree.

use std::path::Path;

mod common;
use common::*;

const MARKER: &str = "/* clone B's marker */\n";

fn solo5_h(root: &Path) -> String {
    let p = root
        .join("target/solo5")
        .join(build_arch())
        .join("include")
        .join(format!("{}-solo5-none-static", build_arch()))
        .join("solo5.h");
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

#[test]
fn two_clones_sharing_a_cargo_target_dir_build_their_own_sources() {
    let dir = tempfile::Builder::new()
        .prefix("solo5-clones-")
        .tempdir()
        .unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    clone_tree(&workspace(), &a);
    clone_tree(&workspace(), &b);
    // Only a header changes: the xtask binary built in A is up to date
    // for B too, so B runs the very binary A's build left.
    let header = b.join("include/solo5.h");
    let text = std::fs::read_to_string(&header).unwrap();
    std::fs::write(&header, format!("{MARKER}{text}")).unwrap();
    let target = shared_cargo_target("solo5-clones");
    let before_a = tracked_files(&a)
        .into_iter()
        .map(|f| (std::fs::read(a.join(&f)).unwrap(), f))
        .collect::<Vec<_>>();

    // From a subdirectory: cargo keeps the current directory.
    must(
        cargo_xtask(&a.join("tenders"), &target, &["build", "-j4"])
            .env("CARGO_NET_OFFLINE", "true"),
    );
    must(
        cargo_xtask(&b.join("bindings"), &target, &["build", "-j4"])
            .env("CARGO_NET_OFFLINE", "true"),
    );

    assert!(!solo5_h(&a).contains(MARKER), "A's build used B's sources");
    assert!(
        solo5_h(&b).contains(MARKER),
        "B's build did not use B's sources"
    );
    let after_a = tracked_files(&a)
        .into_iter()
        .map(|f| (std::fs::read(a.join(&f)).unwrap(), f))
        .collect::<Vec<_>>();
    assert!(before_a == after_a, "A's sources changed");
    let stamps = |r: &Path| {
        r.join("target/solo5")
            .join(build_arch())
            .join("obj/.stamps")
    };
    assert!(stamps(&a).is_dir() && stamps(&b).is_dir());

    // Outside any tree: a clear error.
    let out = cargo_xtask(dir.path(), &target, &["build"])
        .env("CARGO_NET_OFFLINE", "true")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    // cargo itself refuses first (no Cargo.toml), or the xtask does.
    assert!(
        text.contains("not inside a solo5-ng tree")
            || text.contains("could not find `Cargo.toml`")
            || text.contains("no such command"),
        "{text}"
    );
}
