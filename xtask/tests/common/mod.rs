//! Helpers shared by the integration tests that build scratch copies of
//! the tree (engine.rs, repro.rs, new_binding.rs).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// What a scratch tree needs from the repository.
pub const COPIED: &[&str] = &[
    "targets.toml",
    "include",
    "ld-scripts",
    "bindings",
    "tenders",
    "tests",
];

/// Variables toolchain detection reads; cleared so the ambient environment
/// cannot change what the tests build.
pub const TOOL_ENV: &[&str] = &[
    "CC",
    "HOST_CC",
    "TARGET_CC",
    "TARGET_LD",
    "TARGET_OBJCOPY",
    "CROSS_COMPILE",
];

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// The build machine's arch, named as targets.toml names it.
pub fn build_arch() -> &'static str {
    match std::env::consts::ARCH {
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        other => other,
    }
}

/// solo5-elftool, built once per test run.
pub fn elftool() -> &'static Path {
    static ELFTOOL: OnceLock<PathBuf> = OnceLock::new();
    ELFTOOL.get_or_init(|| {
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
        let exe = target.join("debug/solo5-elftool");
        assert!(exe.is_file(), "{} was not built", exe.display());
        exe
    })
}

pub fn copy_tree(from: &Path, to: &Path) {
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

/// Copies what a scratch tree needs (`COPIED`) from the tree at `src` to
/// `root`.
pub fn copy_sources(src: &Path, root: &Path) {
    std::fs::create_dir_all(root).unwrap();
    for name in COPIED {
        let from = src.join(name);
        if from.exists() {
            copy_tree(&from, &root.join(name));
        }
    }
}

/// The xtask binary `xtask` pointed at the scratch tree `root`, with
/// `elftool` as its solo5-elftool, run in `root` with no stdin and none of
/// the ambient toolchain variables.
pub fn xtask_command(xtask: &Path, root: &Path, elftool: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(xtask);
    cmd.args(args)
        .env("SOLO5_XTASK_ROOT", root)
        .env("SOLO5_ELFTOOL", elftool)
        .current_dir(root)
        .stdin(Stdio::null());
    for v in TOOL_ENV {
        cmd.env_remove(v);
    }
    cmd
}
