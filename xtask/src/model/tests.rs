//! `tests/tests.toml`: what each test unikernel expects, as data.

use crate::model::targets::{line_col, Targets};
use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use toml::Spanned;

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
    /// Bindings of `bindings` whose run of this test cannot pass anywhere
    /// the runner can boot them, each with the reason: the runner reports
    /// the cell as SKIP with it (never silently), and builds it still.
    #[serde(default)]
    pub cannot_run: BTreeMap<String, String>,
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
    /// The cell's hang guard in seconds (`timeout_secs`, default 30).
    pub fn timeout(&self) -> u64 {
        self.timeout_secs.unwrap_or(30)
    }

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

/// What tests.toml may name, from targets.toml.
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub bindings: BTreeSet<String>,
    pub arches: BTreeSet<String>,
    pub tenders: BTreeSet<String>,
}

impl Known {
    pub fn of(t: &Targets) -> Known {
        Known {
            bindings: t.binding.keys().cloned().collect(),
            arches: t.arch.keys().cloned().collect(),
            tenders: t.tender.keys().cloned().collect(),
        }
    }
}

/// The signal number of `name` ("SIGSEGV" or "SEGV"): the signals a test
/// may expect, as the runner reports them.
pub fn signal_number(name: &str) -> Option<i32> {
    Some(match name.trim_start_matches("SIG") {
        "ILL" => 4,
        "TRAP" => 5,
        "ABRT" => 6,
        "BUS" => 7,
        "FPE" => 8,
        "KILL" => 9,
        "SEGV" => 11,
        "SYS" => 31,
        _ => return None,
    })
}

/// Keys that say contradictory things about one test: at most one of each
/// pair. (A test expects an exit status or a signal; a tender input has no
/// source to build; a build-only or build-error test never runs.)
const EXCLUSIVE: &[(&str, &str)] = &[
    ("expect_exit", "expect_signal"),
    ("tender_input", "source"),
    ("tender_input", "unikernel_from"),
    ("tender_input", "build_only"),
    ("tender_input", "expect_build_error"),
    ("build_only", "expect_build_error"),
    ("build_only", "expect_exit"),
    ("build_only", "expect_signal"),
    ("build_only", "expect_output"),
    ("expect_build_error", "expect_exit"),
    ("expect_build_error", "expect_signal"),
    ("expect_build_error", "expect_output"),
];

/// Every [[test]] table with the position of each key and value, for
/// messages; read next to the typed parse.
#[derive(Deserialize)]
struct Spans {
    #[serde(default)]
    // The values are skipped, not built: only their positions are used.
    test: Vec<BTreeMap<Spanned<String>, Spanned<serde::de::IgnoredAny>>>,
}

pub fn load(root: &Path) -> Result<Vec<Test>> {
    load_with(root, &Targets::load(&root.join("targets.toml"))?)
}

/// `load` with targets.toml already read.
pub fn load_with(root: &Path, targets: &Targets) -> Result<Vec<Test>> {
    let path = root.join("tests/tests.toml");
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    parse(&text, "tests/tests.toml", &Known::of(targets), Some(root))
}

/// Parses and checks tests.toml text (`shown`: its name in messages); with
/// `root`, also that each built test's source exists under it. Every error
/// names `shown:line:column`.
pub fn parse(text: &str, shown: &str, known: &Known, root: Option<&Path>) -> Result<Vec<Test>> {
    let at = |offset: usize| {
        let (l, c) = line_col(text, offset);
        format!("{shown}:{l}:{c}")
    };
    let file: TestFile = match toml::from_str(text) {
        Ok(f) => f,
        Err(e) => {
            let pos = e.span().map(|s| at(s.start)).unwrap_or(shown.to_string());
            bail!("{pos}: {}", e.message());
        }
    };
    let spans: Spans = toml::from_str(text).with_context(|| format!("{shown}: cannot re-read"))?;
    // Offsets, not positions: a position scans the text from its start,
    // which for every test was most of a no-op build's reading of this file.
    let mut names: BTreeMap<&str, Option<usize>> = BTreeMap::new();
    for (t, keys) in file.tests.iter().zip(&spans.test) {
        let key = |k: &str| keys.get_key_value(k);
        let value_at = |k: &str| key(k).map_or(shown.to_string(), |(_, v)| at(v.span().start));
        let what = format!("test {:?}", t.name);

        let name_at = key("name").map(|(_, v)| v.span().start);
        if let Some(first) = names.insert(&t.name, name_at) {
            bail!(
                "{}: {what}: a second test of this name (the first is at {}); names must be unique",
                value_at("name"),
                first.map_or(shown.to_string(), at)
            );
        }
        for (list, values, set) in [
            ("binding", &t.bindings, &known.bindings),
            ("arch", &t.arches, &known.arches),
        ] {
            if let Some(bad) = values.iter().find(|v| !set.contains(*v)) {
                bail!(
                    "{}: {what}: unknown {list} {bad:?} (known: {})",
                    value_at(if list == "binding" {
                        "bindings"
                    } else {
                        "arches"
                    }),
                    set.iter().cloned().collect::<Vec<_>>().join(", ")
                );
            }
        }
        if let Some(b) = t.cannot_run.keys().find(|b| !t.bindings.contains(b)) {
            bail!(
                "{}: {what}: cannot_run names {b:?}, which is not in its bindings",
                value_at("cannot_run")
            );
        }
        if let Some((b, _)) = t.cannot_run.iter().find(|(_, why)| why.trim().is_empty()) {
            bail!(
                "{}: {what}: cannot_run gives {b:?} no reason; say why it cannot run",
                value_at("cannot_run")
            );
        }
        if let Some(b) = &t.unikernel_from {
            if !known.bindings.contains(b) {
                bail!(
                    "{}: {what}: unikernel_from names unknown binding {b:?}",
                    value_at("unikernel_from")
                );
            }
        }
        if let Some(tender) = &t.tender {
            if !known.tenders.contains(tender) {
                bail!(
                    "{}: {what}: unknown tender {tender:?} (known: {})",
                    value_at("tender"),
                    known.tenders.iter().cloned().collect::<Vec<_>>().join(", ")
                );
            }
        }
        if let Some(sig) = &t.expect_signal {
            if signal_number(sig).is_none() {
                bail!(
                    "{}: {what}: unknown signal {sig:?} (known: SIGILL, SIGTRAP, SIGABRT, SIGBUS, \
                     SIGFPE, SIGKILL, SIGSEGV, SIGSYS)",
                    value_at("expect_signal")
                );
            }
        }
        if let Some(d) = &t.output_digest {
            if d != "fnv1a64" {
                bail!(
                    "{}: {what}: unknown output_digest {d:?} (known: fnv1a64)",
                    value_at("output_digest")
                );
            }
        }
        if let Some(root) = root.filter(|_| t.is_built()) {
            let src = format!("{}/test_{}.c", t.dir(), t.source());
            if !crate::util::source_exists(&root.join(&src)) {
                let key = if t.source.is_some() { "source" } else { "name" };
                bail!("{}: {what}: {src} does not exist", value_at(key));
            }
        }
        for (a, b) in EXCLUSIVE {
            if let (Some(_), Some((kb, _))) = (key(a), key(b)) {
                bail!(
                    "{}: {what}: {b} and {a} are mutually exclusive",
                    at(kb
                        .span()
                        .start
                        .max(key(a).map_or(0, |(ka, _)| ka.span().start)))
                );
            }
        }
    }
    Ok(file.tests)
}

#[cfg(test)]
mod spec_checks {
    use super::*;

    fn known() -> Known {
        let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        Known {
            bindings: set(&["spt", "hvt", "stub"]),
            arches: set(&["x86_64", "aarch64"]),
            tenders: set(&["spt", "hvt", "hvt-debug"]),
        }
    }

    /// The error for `text`, which must be refused.
    fn err(text: &str) -> String {
        format!(
            "{:#}",
            parse(text, "tests.toml", &known(), None).expect_err(text)
        )
    }

    const HELLO: &str = "[[test]]\nname = \"hello\"\nbindings = [\"spt\"]\n";

    #[test]
    fn a_good_file_loads() {
        let t = parse(HELLO, "tests.toml", &known(), None).expect("valid");
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].bindings, ["spt"]);
    }

    #[test]
    fn the_repository_file_is_valid() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let tests = load(&root).expect("tests/tests.toml");
        assert!(tests.len() > 10);
    }

    #[test]
    fn cannot_run_needs_a_listed_binding_and_a_reason() {
        let e = err(&format!("{HELLO}cannot_run = {{ hvt = \"why\" }}\n"));
        assert!(
            e.contains("tests.toml:4:") && e.contains("cannot_run names \"hvt\""),
            "{e}"
        );
        let e = err(&format!("{HELLO}cannot_run = {{ spt = \" \" }}\n"));
        assert!(e.contains("gives \"spt\" no reason"), "{e}");
        let t = parse(
            &format!("{HELLO}cannot_run = {{ spt = \"a reason\" }}\n"),
            "tests.toml",
            &known(),
            None,
        )
        .expect("valid");
        assert_eq!(t[0].cannot_run["spt"], "a reason");
    }

    #[test]
    fn duplicate_names_point_at_the_second() {
        let e = err(&format!(
            "{HELLO}\n[[test]]\nname = \"hello\"\nbindings = [\"hvt\"]\n"
        ));
        assert!(
            e.starts_with("tests.toml:6:8: test \"hello\": a second test"),
            "{e}"
        );
        assert!(e.contains("the first is at tests.toml:2:8"), "{e}");
    }

    #[test]
    fn unknown_names_are_refused_where_they_are() {
        let cases = [
            (
                "bindings = [\"spt\", \"bogus\"]",
                "tests.toml:3:12: test \"x\": unknown binding \"bogus\" (known: hvt, spt, stub)",
            ),
            (
                "bindings = [\"spt\"]\narches = [\"sparc64\"]",
                "tests.toml:4:10: test \"x\": unknown arch \"sparc64\"",
            ),
            (
                "bindings = [\"spt\"]\nexpect_signal = \"SIGFOO\"",
                "tests.toml:4:17: test \"x\": unknown signal \"SIGFOO\"",
            ),
            (
                "bindings = [\"spt\"]\ntender = \"kvm\"",
                "tests.toml:4:10: test \"x\": unknown tender \"kvm\"",
            ),
            (
                "bindings = [\"spt\"]\nunikernel_from = \"xen\"",
                "tests.toml:4:18: test \"x\": unikernel_from names unknown binding \"xen\"",
            ),
            (
                "bindings = [\"spt\"]\noutput_digest = \"md5\"",
                "tests.toml:4:17: test \"x\": unknown output_digest \"md5\"",
            ),
        ];
        for (body, want) in cases {
            let e = err(&format!("[[test]]\nname = \"x\"\n{body}\n"));
            assert!(e.starts_with(want), "{e}\n  wanted {want}");
        }
    }

    #[test]
    fn a_missing_source_is_refused_at_its_name() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let text = format!("{HELLO}[[test]]\nname = \"nope\"\nbindings = [\"spt\"]\n");
        let e = format!(
            "{:#}",
            parse(&text, "tests.toml", &known(), Some(&root)).expect_err("missing source")
        );
        assert!(
            e.starts_with(
                "tests.toml:5:8: test \"nope\": tests/test_nope/test_nope.c does not exist"
            ),
            "{e}"
        );
    }

    #[test]
    fn exclusive_fields_are_refused_at_the_later_one() {
        let e = err("[[test]]\nname = \"x\"\nbindings = [\"spt\"]\nexpect_exit = 1\nexpect_signal = \"SIGSEGV\"\n");
        assert!(
            e.starts_with(
                "tests.toml:5:1: test \"x\": expect_signal and expect_exit are mutually exclusive"
            ),
            "{e}"
        );
        let e = err("[[test]]\nname = \"x\"\nbindings = [\"spt\"]\ntender_input = \"junk\"\nsource = \"hello\"\n");
        assert!(e.starts_with("tests.toml:5:1: "), "{e}");
        assert!(
            e.contains("source and tender_input are mutually exclusive"),
            "{e}"
        );
    }

    #[test]
    fn unknown_keys_have_a_position() {
        let e = err("[[test]]\nname = \"x\"\nbindings = [\"spt\"]\nexpect_exitt = 1\n");
        assert!(
            e.starts_with("tests.toml:4:1: unknown field `expect_exitt`"),
            "{e}"
        );
    }

    #[test]
    fn signal_names_with_and_without_sig() {
        assert_eq!(signal_number("SIGSEGV"), Some(11));
        assert_eq!(signal_number("SYS"), Some(31));
        assert_eq!(signal_number("SIGFOO"), None);
    }
}
