//! The output tree: the one place its paths are spelled. Every function
//! takes the output root `out` (`Config::out`): `target/solo5` relative to
//! the repository root, as the engine runs every step there, or the
//! absolute directory given with `--build-dir`/`SOLO5_BUILD_DIR`.

use std::path::{Path, PathBuf};

/// The output root when no build directory is given, relative to the root.
pub const IN_TREE: &str = "target/solo5";

/// Where build-machine tools go (solo5-elftool).
pub fn tools_bin(out: &Path) -> PathBuf {
    out.join("build").join("bin")
}

/// The engine's per-output stamps for the steps of `arch` (or "build").
pub fn stamps_dir(out: &Path, arch: &str) -> PathBuf {
    out.join(arch).join("obj").join(".stamps")
}

/// What `git describe` said, and a fingerprint of what it looked at.
pub fn version_cache(out: &Path) -> PathBuf {
    out.join(".version")
}

/// The lock that serialises builds into one output tree.
pub fn lock_file(out: &Path) -> PathBuf {
    out.join(".lock")
}

/// Downloaded and assembled pieces of an arch's emulated guest.
pub fn guest_dir(out: &Path, arch: &str) -> PathBuf {
    out.join("guest").join(arch)
}

/// A scratch directory for one command (`test`, `bench`, ...).
pub fn scratch_dir(out: &Path, what: &str) -> PathBuf {
    out.join(format!("{what}-scratch"))
}

/// Where `dist` writes: `target/dist` in the tree, `DIR/dist` out of it.
pub fn dist_dir(out: &Path) -> PathBuf {
    if out == Path::new(IN_TREE) {
        PathBuf::from("target/dist")
    } else {
        out.join("dist")
    }
}

/// cargo's target directory for what the build compiles with cargo
/// (solo5-elftool) when `CARGO_TARGET_DIR` is unset: the tree's `target/`,
/// or `DIR/cargo` out of the tree (the tree may be read-only).
pub fn cargo_target(out: &Path) -> PathBuf {
    if out == Path::new(IN_TREE) {
        PathBuf::from("target")
    } else {
        out.join("cargo")
    }
}

/// `<arch>-solo5-none-static`: the per-triple directory and wrapper prefix.
pub fn solo5_triple(arch: &str) -> String {
    format!("{arch}-solo5-none-static")
}

/// Output layout of one arch.
#[derive(Debug, Clone)]
pub struct Layout {
    /// `OUT/<arch>`: everything of this arch.
    pub base: PathBuf,
    pub bin: PathBuf,
    pub lib: PathBuf,
    pub include: PathBuf,
    pub tests: PathBuf,
    pub obj: PathBuf,
}

impl Layout {
    pub fn new(out: &Path, arch: &str) -> Layout {
        let base = out.join(arch);
        let t = solo5_triple(arch);
        Layout {
            bin: base.join("bin"),
            lib: base.join("lib").join(&t),
            include: base.join("include").join(&t),
            tests: base.join("tests"),
            obj: base.join("obj"),
            base,
        }
    }

    /// Generated headers (solo5_version.h), written by the build before
    /// the plan runs, only when their contents change.
    pub fn gen(&self) -> PathBuf {
        self.obj.join("gen")
    }

    /// The cached toolchain detection.
    pub fn toolchain_cache(&self) -> PathBuf {
        self.base.join("toolchain.toml")
    }

    /// A tender, `solo5-<name>`.
    pub fn tender(&self, name: &str) -> PathBuf {
        self.bin.join(format!("solo5-{name}"))
    }

    /// A test unikernel built from `tests/test_<source>/` for `binding`.
    pub fn unikernel(&self, source: &str, binding: &str) -> PathBuf {
        self.tests.join(format!("test_{source}.{binding}"))
    }

    pub fn binding_object(&self, binding: &str) -> PathBuf {
        self.lib.join(format!("solo5_{binding}.o"))
    }

    pub fn binding_script(&self, binding: &str) -> PathBuf {
        self.lib.join(format!("solo5_{binding}.lds"))
    }
}
