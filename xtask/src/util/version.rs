//! The version string tools report: Cargo's version, plus `git describe`
//! when building from a git checkout.

use std::path::Path;
use std::process::Command;

/// The version of the tree at `root`.
pub fn version(root: &Path) -> String {
    let base = env!("CARGO_PKG_VERSION");
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
        None => base.to_string(),
    }
}
