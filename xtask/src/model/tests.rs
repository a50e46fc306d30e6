//! `tests/tests.toml`: what each test unikernel expects, as data.

use crate::model::targets::line_col;
use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestFile {
    #[serde(rename = "test")]
    pub tests: Vec<Test>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Test {
    /// Source in tests/test_<name>/test_<name>.c with manifest.json.
    pub name: String,
    /// Directory tests/test_<source>/ holding the unikernel; default: name.
    pub source: Option<String>,
    pub bindings: Vec<String>,
    /// Arches the test applies to (default: all); for expectations that
    /// differ by arch (exception names, fault reports).
    #[serde(default)]
    pub arches: Vec<String>,
    #[serde(default)]
    pub args: Vec<String>,
    pub expect_exit: Option<i32>,
    pub expect_signal: Option<String>,
    #[serde(default)]
    pub expect_output: Vec<String>,
    #[serde(default)]
    pub reject_output: Vec<String>,
    /// "fnv1a64": check the OUTPUT-BEGIN/END block against its digest line.
    pub output_digest: Option<String>,
    pub mem: Option<u32>,
    /// Extra tender options before the unikernel; `{scratch}` becomes an
    /// empty directory of the cell's own.
    #[serde(default)]
    pub tender_args: Vec<String>,
    /// The tender must leave an ELF core in `{scratch}` that gdb reads.
    #[serde(default)]
    pub expect_core: bool,
    pub timeout_secs: Option<u64>,
    #[serde(default)]
    pub blocks: BTreeMap<String, u64>,
    #[serde(default)]
    pub nets: Vec<String>,
    pub ping: Option<Ping>,
    #[serde(default)]
    pub build_only: bool,
    pub expect_build_error: Option<String>,
    pub tender_input: Option<String>,
    /// Run the unikernel built for this other binding (a tender must
    /// refuse a unikernel of the wrong binding).
    pub unikernel_from: Option<String>,
    /// The runner opens the block images (and, natively, the taps) and
    /// passes them as `--block:NAME=@FD` / `--net:NAME=@FD`.
    #[serde(default)]
    pub pass_fds: bool,
    /// Run under this tender (a `[tender.NAME]` of targets.toml, e.g. a
    /// debug variant) instead of the binding's own.
    pub tender: Option<String>,
    /// `qemu` bindings: boot the disk image the binding's mkimage script
    /// makes of the unikernel (with `args` stored in it), not the
    /// unikernel itself.
    #[serde(default)]
    pub mkimage: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ping {
    pub count: u32,
    #[serde(default = "default_ping_size")]
    pub size: u32,
    #[serde(default)]
    pub flood: bool,
}

fn default_ping_size() -> u32 {
    56
}

impl Test {
    /// The unikernel is built from sources (not a tender-input case).
    pub fn has_source(&self) -> bool {
        self.tender_input.is_none()
    }

    /// Built and linked by `cargo xtask build`.
    pub fn is_built(&self) -> bool {
        self.has_source() && self.expect_build_error.is_none()
    }

    pub fn applies_to(&self, arch: &str) -> bool {
        self.arches.is_empty() || self.arches.iter().any(|a| a == arch)
    }

    /// The unikernel's source name (tests/test_<source>/test_<source>.c).
    pub fn source(&self) -> &str {
        self.source.as_deref().unwrap_or(&self.name)
    }

    pub fn dir(&self) -> String {
        format!("tests/test_{}", self.source())
    }
}

pub fn load(root: &Path) -> Result<Vec<Test>> {
    let path = root.join("tests/tests.toml");
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let file: TestFile = match toml::from_str(&text) {
        Ok(f) => f,
        Err(e) => {
            let at = e.span().map(|s| line_col(&text, s.start)).unwrap_or((0, 0));
            bail!("tests/tests.toml:{}:{}: {}", at.0, at.1, e.message());
        }
    };
    for t in &file.tests {
        if t.expect_exit.is_some() && t.expect_signal.is_some() {
            bail!(
                "tests/tests.toml: test {:?}: expect_exit and expect_signal are exclusive",
                t.name
            );
        }
        if let Some(d) = &t.output_digest {
            if d != "fnv1a64" {
                bail!(
                    "tests/tests.toml: test {:?}: unknown output_digest {d:?} (known: fnv1a64)",
                    t.name
                );
            }
        }
        if t.is_built() {
            let src = root.join(t.dir()).join(format!("test_{}.c", t.source()));
            if !src.is_file() {
                bail!(
                    "tests/tests.toml: test {:?}: {} does not exist",
                    t.name,
                    src.display()
                );
            }
        }
    }
    Ok(file.tests)
}
