//! Helpers shared by the integration tests that build scratch copies of
//! the tree (engine.rs, repro.rs, new_binding.rs, transient.rs).

// Each test crate includes this module and uses a part of it.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
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
    "SOLO5_CC_LAUNCHER",
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

/// Every file under `dir` with its contents, by path relative to `base`.
pub fn contents(base: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            contents(base, &p, out);
        } else {
            let rel = p.strip_prefix(base).unwrap().to_path_buf();
            out.insert(rel, std::fs::read(&p).unwrap());
        }
    }
}

/// One `[k/N] VERB arch label` progress line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ran {
    pub verb: String,
    pub arch: String,
    pub label: String,
}

pub fn parse_progress(line: &str) -> Option<(usize, usize, Ran)> {
    let rest = line.strip_prefix('[')?;
    let (counts, rest) = rest.split_once("] ")?;
    let (k, n) = counts.split_once('/')?;
    let mut words = rest.splitn(3, ' ');
    let ran = Ran {
        verb: words.next()?.to_string(),
        arch: words.next()?.to_string(),
        label: words.next()?.to_string(),
    };
    Some((k.parse().ok()?, n.parse().ok()?, ran))
}

/// The output of one build.
pub struct Log {
    pub text: String,
    pub ran: Vec<Ran>,
}

impl Log {
    pub fn new(stdout: &str, stderr: &str) -> Log {
        let ran = stdout
            .lines()
            .filter_map(parse_progress)
            .map(|(_, _, r)| r)
            .collect();
        Log {
            text: format!("{stdout}{stderr}"),
            ran,
        }
    }

    /// Labels of the steps that ran with one of these verbs.
    pub fn labels(&self, verbs: &[&str]) -> BTreeSet<String> {
        self.ran
            .iter()
            .filter(|r| verbs.contains(&r.verb.as_str()))
            .map(|r| r.label.clone())
            .collect()
    }

    pub fn verbs(&self) -> BTreeSet<String> {
        self.ran.iter().map(|r| r.verb.clone()).collect()
    }

    pub fn is_noop(&self) -> bool {
        self.ran.is_empty() && self.text.contains("nothing to do")
    }
}

/// A scratch copy of the tree.
pub struct Tree {
    _dir: tempfile::TempDir,
    /// The copy of the sources the builds work on.
    pub root: PathBuf,
    /// Private links to the xtask and elftool binaries: the workspace's may
    /// be rebuilt while the tests run, and a rebuilt xtask re-probes.
    pub xtask: PathBuf,
    pub elftool: PathBuf,
}

/// Hard-links (or copies) a binary so that a later rebuild of the original
/// does not change it.
pub fn freeze(from: &Path, to: &Path) -> PathBuf {
    if std::fs::hard_link(from, to).is_err() {
        std::fs::copy(from, to).unwrap_or_else(|e| panic!("cannot copy {}: {e}", from.display()));
    }
    to.to_path_buf()
}

impl Tree {
    /// Copies the sources from the repository.
    pub fn new() -> Tree {
        Tree::from_root(&workspace())
    }

    /// Copies the sources of another scratch tree (not its outputs), so two
    /// trees are identical even while the repository is being edited.
    pub fn copy_of(other: &Tree) -> Tree {
        Tree::from_root(&other.root)
    }

    fn from_root(src: &Path) -> Tree {
        let dir = tempfile::Builder::new()
            .prefix("solo5-engine-")
            .tempdir()
            .expect("cannot create a temp dir");
        let root = dir.path().join("tree");
        copy_sources(src, &root);
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let xtask = freeze(Path::new(env!("CARGO_BIN_EXE_xtask")), &bin.join("xtask"));
        let elftool = freeze(elftool(), &bin.join("solo5-elftool"));
        Tree {
            _dir: dir,
            root,
            xtask,
            elftool,
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// `target/solo5/<arch>`.
    pub fn out(&self) -> PathBuf {
        self.root.join("target/solo5").join(build_arch())
    }

    pub fn command(&self, args: &[&str]) -> Command {
        xtask_command(&self.xtask, &self.root, &self.elftool, args)
    }

    /// Runs a command and returns how it ended and its output.
    pub fn output(&self, mut cmd: Command) -> (ExitStatus, Log) {
        let out = cmd.output().expect("cannot run the xtask binary");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        (out.status, Log::new(&stdout, &stderr))
    }

    /// Runs a command that must succeed and returns its output.
    pub fn run(&self, cmd: Command) -> Log {
        let shown = format!("{cmd:?}");
        let (status, log) = self.output(cmd);
        assert!(status.success(), "{shown} failed ({status}):\n{}", log.text);
        log
    }

    pub fn build(&self, args: &[&str]) -> Log {
        let mut all = vec!["build"];
        all.extend_from_slice(args);
        self.run(self.command(&all))
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
    }

    /// Edits targets.toml as data.
    pub fn edit_targets(&self, f: impl FnOnce(&mut toml::Table)) {
        let mut t: toml::Table = self.read("targets.toml").parse().expect("targets.toml");
        f(&mut t);
        self.write("targets.toml", &toml::to_string(&t).unwrap());
    }
}

/// The files git tracks in `src` (the working tree's contents, so edits
/// not yet committed are included), sorted; without git, every file but
/// `target/` and `.git/`.
pub fn tracked_files(src: &Path) -> Vec<PathBuf> {
    let git = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(src)
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success());
    let mut files: Vec<PathBuf> = match git {
        Some(out) => out
            .stdout
            .split(|&b| b == 0)
            .filter(|n| !n.is_empty())
            .map(|n| PathBuf::from(String::from_utf8_lossy(n).into_owned()))
            .filter(|p| src.join(p).is_file())
            .collect(),
        None => {
            let mut v = Vec::new();
            walk(src, src, &mut v);
            v
        }
    };
    files.sort();
    files
}

fn walk(base: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        let rel = p.strip_prefix(base).unwrap().to_path_buf();
        if rel == Path::new("target") || rel == Path::new(".git") {
            continue;
        }
        if p.is_dir() {
            walk(base, &p, out);
        } else {
            out.push(rel);
        }
    }
}

/// A copy of the whole source tree (what git tracks) at `to`, keeping
/// modes and modification times, so cargo sees the same sources.
pub fn clone_tree(src: &Path, to: &Path) {
    for rel in tracked_files(src) {
        let from = src.join(&rel);
        let dest = to.join(&rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&from, &dest)
            .unwrap_or_else(|e| panic!("cannot copy {}: {e}", from.display()));
        let mtime = std::fs::metadata(&from).unwrap().modified().unwrap();
        std::fs::File::options()
            .write(true)
            .open(&dest)
            .and_then(|f| f.set_modified(mtime))
            .unwrap();
    }
}

/// A cargo target directory the tests that run `cargo xtask` in copies of
/// the tree share, kept between runs (under the workspace's own target
/// directory) so that only the first run compiles the xtask.
pub fn shared_cargo_target(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(|d| workspace().join(d))
        .unwrap_or_else(|| workspace().join("target"));
    target.join(name)
}

/// `cargo xtask ARGS` run in `dir` as a user would: no SOLO5_XTASK_ROOT,
/// none of the ambient toolchain variables, cargo's own variables of this
/// test run removed.
pub fn cargo_xtask(dir: &Path, target_dir: &Path, args: &[&str]) -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.arg("xtask").args(args);
    as_user(&mut cmd, dir, target_dir);
    cmd
}

/// Makes `cmd` run in `dir` as a user's would: `target_dir` as
/// CARGO_TARGET_DIR, no stdin, no SOLO5_XTASK_ROOT, none of the ambient
/// toolchain variables, cargo's own variables of this test run removed.
pub fn as_user(cmd: &mut Command, dir: &Path, target_dir: &Path) {
    cmd.current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir)
        .stdin(Stdio::null());
    for v in TOOL_ENV
        .iter()
        .chain(&["SOLO5_XTASK_ROOT", "SOLO5_ELFTOOL", "SOLO5_BUILD_DIR"])
    {
        cmd.env_remove(v);
    }
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy();
        if k.starts_with("CARGO_PKG_") || k == "CARGO_MANIFEST_DIR" || k == "CARGO_CRATE_NAME" {
            cmd.env_remove(&*k);
        }
    }
}

/// Runs a command that must succeed; returns its stdout and stderr.
pub fn must(cmd: &mut Command) -> String {
    let shown = format!("{cmd:?}");
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {shown}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{shown} failed ({}):\n{text}",
        out.status
    );
    text
}
