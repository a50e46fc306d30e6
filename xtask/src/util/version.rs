//! The version string tools report: Cargo's version, plus `git describe`
//! when building from a git checkout; in an unpacked source tarball, its
//! `VERSION` file (written from git by `cargo xtask dist --source`).

use std::path::Path;
use std::process::Command;

/// The version of the tree at `root`.
pub fn version(root: &Path) -> String {
    let base = env!("CARGO_PKG_VERSION");
    let stamped = std::fs::read_to_string(root.join("VERSION"))
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty());
    // An unpacked source tarball, maybe inside someone else's checkout.
    if let (Some(v), false) = (&stamped, root.join(".git").exists()) {
        return v.clone();
    }
    let described = Command::new("git")
        .args(["describe", "--always", "--dirty", "--tags"])
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty());
    match described {
        Some(d) => format!("{base}+git.{d}"),
        None => stamped.unwrap_or_else(|| base.to_string()),
    }
}
