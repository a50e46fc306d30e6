//! The output tree: the one place its paths are spelled. Paths are
//! relative to the repository root, as the engine runs every step there.

use std::path::PathBuf;

/// Root of all build outputs.
pub fn out_dir() -> PathBuf {
    PathBuf::from("target/solo5")
}

/// Where build-machine tools go (solo5-elftool).
pub fn tools_bin() -> PathBuf {
    out_dir().join("build").join("bin")
}

/// The engine's per-output stamps for the steps of `arch` (or "build").
pub fn stamps_dir(arch: &str) -> PathBuf {
    out_dir().join(arch).join("obj").join(".stamps")
}

/// The lock that serialises builds of one tree.
pub fn lock_file() -> PathBuf {
    out_dir().join(".lock")
}

/// Downloaded and assembled pieces of an arch's emulated guest.
pub fn guest_dir(arch: &str) -> PathBuf {
    out_dir().join("guest").join(arch)
}

/// A scratch directory for one command (`test`, `bench`, ...).
pub fn scratch_dir(what: &str) -> PathBuf {
    out_dir().join(format!("{what}-scratch"))
}

/// `<arch>-solo5-none-static`: the per-triple directory and wrapper prefix.
pub fn solo5_triple(arch: &str) -> String {
    format!("{arch}-solo5-none-static")
}

/// Output layout of one arch.
#[derive(Debug, Clone)]
pub struct Layout {
    /// `target/solo5/<arch>`: everything of this arch.
    pub base: PathBuf,
    pub bin: PathBuf,
    pub lib: PathBuf,
    pub include: PathBuf,
    pub tests: PathBuf,
    pub obj: PathBuf,
}

impl Layout {
    pub fn new(arch: &str) -> Layout {
        let base = out_dir().join(arch);
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
