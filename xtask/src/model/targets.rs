//! `targets.toml`: the build matrix as typed data. Unknown keys and bad
//! values are errors that name the file, line and column.

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    pub compilers: Compilers,
    pub arch: BTreeMap<String, Arch>,
    pub host: BTreeMap<String, BTreeMap<String, HostSupport>>,
    pub libseccomp: Libseccomp,
    pub binding: BTreeMap<String, Binding>,
    pub tender: BTreeMap<String, Tender>,
    /// Where the file was read from, for messages; not in the file.
    #[serde(skip)]
    pub path: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Compilers {
    pub min_gcc: u32,
    pub min_clang: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arch {
    pub gnu_triple: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub elf_machine: u16,
    pub max_page_size: Spanned<u64>,
    #[serde(default)]
    pub target_cflags: Vec<String>,
    #[serde(default)]
    pub binding_cflags: Vec<String>,
    pub packages: Packages,
    pub guest: Option<Guest>,
}

/// How to boot an emulated Linux guest of this arch for tests.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guest {
    pub debian_arch: String,
    pub kernel_package: String,
    pub qemu: String,
    pub qemu_package: String,
    pub qemu_args: Vec<String>,
    pub console: String,
    #[serde(default)]
    pub modules: Vec<String>,
}

/// Package names per distro family, as found in /etc/os-release ID/ID_LIKE.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Packages {
    pub debian: String,
    pub fedora: String,
    pub alpine: String,
    pub arch: String,
}

impl Packages {
    pub fn for_distro(&self, distro: &str) -> Option<&str> {
        match distro {
            "debian" => Some(&self.debian),
            "fedora" => Some(&self.fedora),
            "alpine" => Some(&self.alpine),
            "arch" => Some(&self.arch),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostSupport {
    pub bindings: Vec<Spanned<String>>,
    pub tenders: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Libseccomp {
    pub packages: Packages,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Binding {
    pub text_start: u64,
    pub sources: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tender {
    pub sources: Vec<Spanned<String>>,
    #[serde(default)]
    pub libs: Vec<String>,
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1)
        + 1;
    (line, col)
}

impl Targets {
    pub fn load(path: &Path) -> Result<Targets> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Self::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Targets> {
        let mut t: Targets = match toml::from_str(text) {
            Ok(t) => t,
            Err(e) => {
                let at = e
                    .span()
                    .map(|s| {
                        let (l, c) = line_col(text, s.start);
                        format!("{}:{l}:{c}", path.display())
                    })
                    .unwrap_or_else(|| path.display().to_string());
                bail!("{at}: {}", e.message());
            }
        };
        t.path = path.to_path_buf();
        t.validate(text)?;
        Ok(t)
    }

    fn validate(&self, text: &str) -> Result<()> {
        let at = |span: std::ops::Range<usize>| {
            let (l, c) = line_col(text, span.start);
            format!("{}:{l}:{c}", self.path.display())
        };
        for (name, arch) in &self.arch {
            let ps = *arch.max_page_size.get_ref();
            if !ps.is_power_of_two() || ps < 0x1000 {
                bail!(
                    "{}: arch.{name}.max_page_size = {ps:#x} is not a power of two >= 0x1000",
                    at(arch.max_page_size.span())
                );
            }
        }
        for (os, arches) in &self.host {
            for (arch, support) in arches {
                if !self.arch.contains_key(arch) {
                    bail!(
                        "{}: [host.{os}.{arch}]: unknown arch {arch:?} (known: {})",
                        self.path.display(),
                        self.arch.keys().cloned().collect::<Vec<_>>().join(", ")
                    );
                }
                for b in &support.bindings {
                    if !self.binding.contains_key(b.get_ref()) {
                        bail!(
                            "{}: unknown binding {:?} (define [binding.{}])",
                            at(b.span()),
                            b.get_ref(),
                            b.get_ref()
                        );
                    }
                }
                for t in &support.tenders {
                    if !self.tender.contains_key(t.get_ref()) {
                        bail!(
                            "{}: unknown tender {:?} (define [tender.{}])",
                            at(t.span()),
                            t.get_ref(),
                            t.get_ref()
                        );
                    }
                }
            }
        }
        let root = self.path.parent().unwrap_or(Path::new("."));
        let check_sources = |kind: &str, name: &str, sources: &[Spanned<String>]| -> Result<()> {
            for s in sources {
                for arch in self.arch.keys() {
                    let p = expand(s.get_ref(), arch);
                    if !s.get_ref().contains("{arch}") && !root.join(&p).is_file() {
                        bail!("{}: {kind}.{name}: source {p} does not exist", at(s.span()));
                    }
                }
            }
            Ok(())
        };
        for (name, b) in &self.binding {
            check_sources("binding", name, &b.sources)?;
        }
        for (name, t) in &self.tender {
            check_sources("tender", name, &t.sources)?;
        }
        Ok(())
    }

    /// The support entry for Linux on `arch`.
    pub fn linux(&self, arch: &str) -> Option<&HostSupport> {
        self.host.get("linux").and_then(|m| m.get(arch))
    }

    /// Resolves any accepted spelling of a target to an arch name.
    pub fn resolve_target(&self, spec: &str) -> Result<String> {
        let s = spec.trim();
        for (name, arch) in &self.arch {
            if s == name || arch.aliases.iter().any(|a| a == s) || s == arch.gnu_triple {
                return Ok(name.clone());
            }
            if s == format!("{name}-solo5-none-static") || s == format!("{name}-solo5-none") {
                return Ok(name.clone());
            }
        }
        // Rust-style triples: aarch64-unknown-linux-gnu, x86_64-unknown-none.
        if let Ok(triple) = s.parse::<target_lexicon::Triple>() {
            let first = triple.architecture.to_string();
            for (name, arch) in &self.arch {
                let gnu_first = arch.gnu_triple.split('-').next().unwrap_or("");
                if first == *name || first == gnu_first {
                    return Ok(name.clone());
                }
            }
        }
        let mut valid = Vec::new();
        for (name, arch) in &self.arch {
            let mut forms = vec![name.clone()];
            forms.extend(arch.aliases.iter().cloned());
            forms.push(arch.gnu_triple.clone());
            forms.push(format!("{name}-solo5-none-static"));
            valid.push(format!("  {}", forms.join(", ")));
        }
        bail!(
            "unknown target {spec:?}; valid targets (any spelling on a line, or a Rust triple such as aarch64-unknown-linux-gnu):\n{}",
            valid.join("\n")
        )
    }
}

/// Substitutes `{arch}` in a source path.
pub fn expand(source: &str, arch: &str) -> String {
    source.replace("{arch}", arch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_targets() -> Targets {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../targets.toml");
        Targets::load(&path).expect("targets.toml parses")
    }

    #[test]
    fn the_matrix_is_as_documented() {
        let t = repo_targets();
        assert_eq!(*t.arch["ppc64le"].max_page_size.get_ref(), 0x10000);
        assert_eq!(*t.arch["aarch64"].max_page_size.get_ref(), 0x1000);
        let names =
            |v: &[Spanned<String>]| v.iter().map(|s| s.get_ref().clone()).collect::<Vec<_>>();
        assert_eq!(
            names(&t.linux("x86_64").unwrap().bindings),
            ["hvt", "spt", "virtio", "stub"]
        );
        assert_eq!(names(&t.linux("ppc64le").unwrap().tenders), ["spt"]);
        assert_eq!(t.compilers.min_gcc, 9);
        assert_eq!(t.compilers.min_clang, 12);
    }

    #[test]
    fn every_spelling_of_a_target_resolves() {
        let t = repo_targets();
        for (spec, want) in [
            ("aarch64", "aarch64"),
            ("arm64", "aarch64"),
            ("x86_64", "x86_64"),
            ("amd64", "x86_64"),
            ("ppc64le", "ppc64le"),
            ("powerpc64le", "ppc64le"),
            ("aarch64-linux-gnu", "aarch64"),
            ("aarch64-unknown-linux-gnu", "aarch64"),
            ("powerpc64le-unknown-linux-gnu", "ppc64le"),
            ("x86_64-unknown-linux-gnu", "x86_64"),
            ("aarch64-solo5-none-static", "aarch64"),
            ("x86_64-solo5-none-static", "x86_64"),
        ] {
            assert_eq!(t.resolve_target(spec).unwrap(), want, "{spec}");
        }
        let err = t.resolve_target("sparc").unwrap_err().to_string();
        assert!(err.contains("unknown target \"sparc\""), "{err}");
        assert!(
            err.contains("aarch64") && err.contains("ppc64le") && err.contains("x86_64"),
            "{err}"
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_cite_line_and_column() {
        let good =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../targets.toml"))
                .unwrap();
        let bad = good.replacen("min_gcc = 9", "min_gcc = 9\nmin_icc = 3", 1);
        let err = Targets::parse(&bad, Path::new("targets.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("targets.toml:"), "{err}");
        assert!(err.contains("min_icc"), "{err}");
        let line = good.lines().position(|l| l.starts_with("min_gcc")).unwrap() + 2;
        assert!(
            err.contains(&format!(":{line}:")),
            "{err} (want line {line})"
        );

        let bad = good.replacen("max_page_size = 0x10000", "max_page_size = 0x12345", 1);
        let err = Targets::parse(&bad, Path::new("targets.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a power of two"), "{err}");
        let line = good
            .lines()
            .position(|l| l.starts_with("max_page_size = 0x10000"))
            .unwrap()
            + 1;
        assert!(err.contains(&format!("targets.toml:{line}:")), "{err}");

        let bad = good.replacen(
            "bindings = [\"spt\", \"stub\"]",
            "bindings = [\"spt\", \"stubb\"]",
            1,
        );
        let err = Targets::parse(&bad, Path::new("targets.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown binding \"stubb\""), "{err}");

        let bad = good.replacen("min_clang = 12", "min_clang = \"twelve\"", 1);
        let err = Targets::parse(&bad, Path::new("targets.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("targets.toml:"), "{err}");
    }
}
