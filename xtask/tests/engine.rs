//! End-to-end tests of the build engine (`cargo xtask build`) on scratch
//! copies of the tree: incremental rebuilds, flag and compiler changes, an
//! interrupted build, the lock between concurrent builds.
//!
//! Each test copies the sources into a temp dir and points the xtask binary
//! at it with `SOLO5_XTASK_ROOT`; solo5-elftool is built once with cargo and
//! passed as `SOLO5_ELFTOOL`. Both binaries are hard-linked (or copied) into
//! the temp dir first, so a rebuild of the workspace during the tests cannot
//! change them between two builds. The tests work with whatever
//! `targets.toml` lists; they need a C compiler for the build machine's arch.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use std::time::{Duration, Instant, SystemTime};

mod common;
use common::*;

/// Every file under `dir`, relative to it.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Moves a file's mtime without changing its contents, as saving it
/// unchanged would. The new time is a second in the past, like a file saved
/// just before the build started (its value only has to differ).
fn touch(path: &Path) {
    let f = File::options()
        .write(true)
        .open(path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    let old = f.metadata().unwrap().modified().unwrap();
    let mut t = SystemTime::now() - Duration::from_secs(1);
    if t == old {
        t -= Duration::from_millis(1);
    }
    f.set_modified(t).unwrap();
}

const COMPILES: &[&str] = &["CC", "HOSTCC"];

/// Steps that touching a target source must not run (copies, generated
/// files, host code).
const UNRELATED: &[&str] = &["CP", "HDR", "GEN", "LDS", "MFT", "HOSTCC", "HOSTLD"];

impl Tree {
    /// A clean build that also compiles host code: when no tender has
    /// landed yet, a one-file stand-in for the spt tender is added, so that
    /// tests can tell host compiles from target ones.
    fn build_with_host_code(&self) -> Log {
        let log = self.build(&["-j2"]);
        if !log.labels(&["HOSTCC"]).is_empty() {
            return log;
        }
        self.write(
            "tenders/engine_test/main.c",
            "int main(void)\n{\n    return 0;\n}\n",
        );
        self.edit_targets(|t| {
            let spt = t["tender"]["spt"].as_table_mut().unwrap();
            spt.insert(
                "sources".into(),
                toml::Value::Array(vec!["tenders/engine_test/main.c".into()]),
            );
            spt.insert("libs".into(), toml::Value::Array(vec![]));
        });
        let log = self.build(&["-j2"]);
        if log.labels(&["HOSTCC"]).is_empty() {
            eprintln!("note: no host compiler with libseccomp here; host compiles not tested");
        }
        log
    }
}

/// A running build whose stdout is read line by line.
struct Running {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
    stderr: std::thread::JoinHandle<String>,
}

impl Running {
    fn start(mut cmd: Command) -> Running {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot start the xtask binary");
        let stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        Running {
            child,
            lines,
            seen: Vec::new(),
            stderr,
        }
    }

    /// Reads stdout until a line satisfies `pred`; false at end of output.
    fn wait_for(&mut self, pred: impl Fn(&str) -> bool) -> bool {
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(120)) {
            let hit = pred(&line);
            self.seen.push(line);
            if hit {
                return true;
            }
        }
        false
    }

    fn finish(mut self) -> (std::process::ExitStatus, Log) {
        self.wait_for(|_| false);
        let status = self.child.wait().unwrap();
        let stderr = self.stderr.join().unwrap();
        let stdout = self.seen.join("\n") + "\n";
        (status, Log::new(&stdout, &stderr))
    }
}

/// The files a source includes from the tree (quoted or angled), resolved
/// as the build's -I flags do, and then theirs.
fn includes_closure(root: &Path, file: &Path, seen: &mut BTreeSet<PathBuf>) {
    let Ok(text) = std::fs::read_to_string(file) else {
        return;
    };
    let dir = file.parent().unwrap().to_path_buf();
    for line in text.lines() {
        let Some(rest) = line.trim_start().strip_prefix('#') else {
            continue;
        };
        let Some(rest) = rest.trim_start().strip_prefix("include") else {
            continue;
        };
        let rest = rest.trim();
        let name = match rest.chars().next() {
            Some('"') => rest[1..].split('"').next(),
            Some('<') => rest[1..].split('>').next(),
            _ => None,
        };
        let Some(name) = name else { continue };
        let search = [
            dir.clone(),
            root.join("include"),
            root.join("bindings"),
            root.join("tenders/common"),
        ];
        let Some(found) = search.iter().map(|d| d.join(name)).find(|p| p.is_file()) else {
            continue; // a compiler header
        };
        let found = found.canonicalize().unwrap();
        if seen.insert(found.clone()) {
            includes_closure(root, &found, seen);
        }
    }
}

#[test]
fn noop_rebuild_runs_nothing() {
    let tree = Tree::new();
    let first = tree.build(&["-j2"]);
    assert!(
        !first.ran.is_empty(),
        "a clean build ran nothing:\n{}",
        first.text
    );
    let t = Instant::now();
    let again = tree.build(&["-j2"]);
    let took = t.elapsed();
    assert!(
        again.is_noop(),
        "second build was not a no-op:\n{}",
        again.text
    );
    eprintln!("no-op build: {took:?}");
}

#[test]
fn touching_a_header_rebuilds_exactly_its_dependents() {
    let tree = Tree::new();
    let clean = tree.build(&["-j2"]);
    let header = tree.path("include/solo5.h").canonicalize().unwrap();
    let expected: BTreeSet<String> = clean
        .labels(COMPILES)
        .into_iter()
        .filter(|label| {
            let mut seen = BTreeSet::new();
            includes_closure(&tree.root, &tree.path(label), &mut seen);
            seen.contains(&header)
        })
        .collect();
    assert!(
        expected.iter().any(|l| l.starts_with("bindings/"))
            && expected.iter().any(|l| l.starts_with("tests/")),
        "expected binding and test sources to include solo5.h: {expected:?}"
    );

    touch(&tree.path("include/solo5.h"));
    let log = tree.build(&["-j2"]);
    assert_eq!(
        log.labels(COMPILES),
        expected,
        "compiles after touching include/solo5.h:\n{}",
        log.text
    );
    assert_eq!(
        log.labels(&["CP"]),
        BTreeSet::from(["include/solo5.h".to_string()]),
        "only solo5.h is copied again:\n{}",
        log.text
    );
    for verb in ["LDS", "MFT"] {
        assert!(log.labels(&[verb]).is_empty(), "{verb} ran:\n{}", log.text);
    }
    assert!(tree.build(&["-j2"]).is_noop());
}

#[test]
fn changing_target_flags_rebuilds_target_code_only() {
    let tree = Tree::new();
    let clean = tree.build_with_host_code();
    let target_compiles = clean.labels(&["CC"]);
    assert!(!target_compiles.is_empty(), "{}", clean.text);

    tree.edit_targets(|t| {
        let flags = t["arch"][build_arch()]["target_cflags"]
            .as_array_mut()
            .expect("target_cflags");
        flags.push("-DSOLO5_ENGINE_TEST".into());
    });
    let log = tree.build(&["-j2"]);
    assert_eq!(log.labels(&["CC"]), target_compiles, "{}", log.text);
    for verb in ["HOSTCC", "HOSTLD", "CP", "LDS", "MFT"] {
        assert!(
            log.labels(&[verb]).is_empty(),
            "{verb} ran after a target flag changed:\n{}",
            log.text
        );
    }
    assert!(tree.build(&["-j2"]).is_noop());
}

/// A C compiler on PATH that is not the default one (`cc`).
fn other_compiler() -> Option<String> {
    let find = |name: &str| {
        std::env::split_paths(&std::env::var_os("PATH")?)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
            .and_then(|p| p.canonicalize().ok())
    };
    let default = find("cc");
    ["gcc-11", "gcc-12", "gcc-13", "gcc-14", "clang", "gcc"]
        .into_iter()
        .find(|c| find(c).is_some_and(|p| Some(p) != default))
        .map(String::from)
}

#[test]
fn switching_compilers_rebuilds_what_they_compile() {
    let Some(other) = other_compiler() else {
        eprintln!("note: only one C compiler here; compiler switches not tested");
        return;
    };
    eprintln!("switching to {other}");
    let tree = Tree::new();
    let clean = tree.build_with_host_code();
    let target_compiles = clean.labels(&["CC"]);
    let host_compiles = clean.labels(&["HOSTCC"]);

    // TARGET_CC: target code only; the toolchain cache must notice.
    let mut cmd = tree.command(&["build", "-j2"]);
    cmd.env("TARGET_CC", &other);
    let log = tree.run(cmd);
    assert_eq!(log.labels(&["CC"]), target_compiles, "{}", log.text);
    assert!(log.labels(&["HOSTCC", "CP"]).is_empty(), "{}", log.text);
    let toolchain = std::fs::read_to_string(tree.out().join("toolchain.toml")).unwrap();
    assert!(toolchain.contains(&other), "{toolchain}");

    // --cc: the host compiler too; target code is already built with it.
    let log = tree.build(&["-j2", "--cc", &other]);
    assert_eq!(log.labels(&["HOSTCC"]), host_compiles, "{}", log.text);
    assert!(log.labels(&["CC", "CP"]).is_empty(), "{}", log.text);
    assert!(tree.build(&["-j2", "--cc", &other]).is_noop());

    // Back to the default.
    let log = tree.build(&["-j2"]);
    assert_eq!(log.labels(COMPILES), clean.labels(COMPILES), "{}", log.text);
    assert!(tree.build(&["-j2"]).is_noop());
}

/// Contents of the products of a build (what install and the tests use).
fn products(tree: &Tree) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut map = BTreeMap::new();
    for sub in ["bin", "lib", "include", "tests"] {
        let dir = tree.out().join(sub);
        for f in files_under(&dir) {
            let bytes = std::fs::read(dir.join(&f)).unwrap();
            map.insert(Path::new(sub).join(f), bytes);
        }
    }
    map
}

fn temp_files(dir: &Path) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.ends_with(".tmp") || name.contains(".tmp.")
        })
        .collect()
}

/// Starts a clean build and SIGKILLs it after `after` progress lines;
/// returns how many steps the build had.
fn kill_build_after(tree: &Tree, after: usize) -> usize {
    let mut run = Running::start(tree.command(&["build", "-j2"]));
    let mut total = 0;
    let hit = run.wait_for(|line| match parse_progress(line) {
        Some((k, _, _)) => k >= after,
        None => false,
    });
    assert!(
        hit,
        "the build ended before step {after}:\n{}",
        run.seen.join("\n")
    );
    if let Some((_, n, _)) = run.seen.iter().rev().find_map(|l| parse_progress(l)) {
        total = n;
    }
    run.child.kill().unwrap();
    let (status, log) = run.finish();
    assert_eq!(
        status.signal(),
        Some(9),
        "the build finished before it was killed ({status}):\n{}",
        log.text
    );
    total
}

#[test]
fn a_killed_build_resumes_to_the_same_products() {
    let tree = Tree::new();
    let reference = Tree::copy_of(&tree);

    let total = kill_build_after(&tree, 3);
    // Kill the resumed build too, as soon as it starts a step.
    kill_build_after(&tree, 1);
    let log = tree.build(&["-j2"]);
    assert!(
        !log.ran.is_empty() && log.ran.len() < total,
        "the resumed build should run some but not all of {total} steps:\n{}",
        log.text
    );
    assert!(tree.build(&["-j2"]).is_noop());
    let leftovers = temp_files(&tree.root.join("target/solo5"));
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");

    reference.build(&["-j2"]);
    let got = products(&tree);
    let want = products(&reference);
    assert!(!want.is_empty());
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "the resumed build made other files than a clean one"
    );
    let differ: Vec<&PathBuf> = want.keys().filter(|k| got[*k] != want[*k]).collect();
    assert!(
        differ.is_empty(),
        "resumed build differs from a clean build in: {differ:?}"
    );
}

#[test]
fn fifty_incremental_rebuilds_succeed() {
    let tree = Tree::new();
    let clean = tree.build(&["-j2"]);
    // Binding and test sources, alternately.
    let compiled = clean.labels(&["CC"]);
    let of = |dir: &str| -> Vec<String> {
        compiled
            .iter()
            .filter(|l| l.starts_with(dir))
            .cloned()
            .collect()
    };
    let (bindings, tests) = (of("bindings/"), of("tests/"));
    let sources: Vec<&String> = (0..bindings.len().max(tests.len()))
        .flat_map(|i| [bindings.get(i), tests.get(i)])
        .flatten()
        .collect();
    assert!(!sources.is_empty(), "{}", clean.text);
    // What each source reads, to know what touching one must recompile
    // (tests/test_net_2if/test_net_2if.c includes another test's .c).
    let reads: Vec<(String, BTreeSet<PathBuf>)> = clean
        .labels(COMPILES)
        .into_iter()
        .map(|l| {
            let mut seen = BTreeSet::new();
            includes_closure(&tree.root, &tree.path(&l), &mut seen);
            (l, seen)
        })
        .collect();
    let t = Instant::now();
    for i in 0..50 {
        let src = sources[i % sources.len()];
        let canonical = tree.path(src).canonicalize().unwrap();
        let expected: BTreeSet<String> = reads
            .iter()
            .filter(|(l, r)| l == src || r.contains(&canonical))
            .map(|(l, _)| l.clone())
            .collect();
        touch(&tree.path(src));
        let log = tree.build(&["-j2"]);
        assert_eq!(
            log.labels(COMPILES),
            expected,
            "rebuild {i} after touching {src}:\n{}",
            log.text
        );
        let verbs = log.verbs();
        assert!(
            verbs.iter().all(|v| !UNRELATED.contains(&v.as_str())),
            "rebuild {i} after touching {src} ran {verbs:?}:\n{}",
            log.text
        );
    }
    let took = t.elapsed();
    eprintln!(
        "50 touch-one-source rebuilds: {took:?} ({:?} each)",
        took / 50
    );
    assert!(tree.build(&["-j2"]).is_noop());
}

#[test]
fn a_second_build_waits_for_the_first() {
    let tree = Tree::new();
    let mut first = Running::start(tree.command(&["build", "-j2"]));
    // Once the first build prints a step it holds the lock.
    assert!(
        first.wait_for(|l| parse_progress(l).is_some()),
        "{}",
        first.seen.join("\n")
    );
    let second = tree.build(&["-j2"]);
    let (status, log) = first.finish();
    assert!(status.success(), "first build failed:\n{}", log.text);
    assert!(
        second.text.contains("waiting for another build"),
        "{}",
        second.text
    );
    // It waited until the first one was done, so nothing was left to do.
    assert!(second.is_noop(), "{}", second.text);
}

/// Regression: a source saved while its compile runs must not be trusted by
/// the next build (the stamp would record the new mtime for the old object).
#[test]
fn a_source_edited_during_its_compile_is_rebuilt() {
    let tree = Tree::new();
    let src = "tests/test_hello/test_hello.c";
    // A compiler that, when armed, stops after compiling `src` until the
    // test says go.
    let dir = tree.root.display().to_string();
    let wrapper = tree.path("slow-cc");
    tree.write(
        "slow-cc",
        &format!(
            "#!/bin/sh\n\
             cc \"$@\" || exit $?\n\
             case \"$*\" in *{src}*)\n\
             \x20 if [ -e '{dir}/armed' ]; then\n\
             \x20   : > '{dir}/compiled'; i=0\n\
             \x20   while [ ! -e '{dir}/go' ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done\n\
             \x20 fi;;\n\
             esac\n"
        ),
    );
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let cc = wrapper.display().to_string();
    tree.build(&["-j2", "--target-cc", &cc]);

    touch(&tree.path(src));
    tree.write("armed", "");
    let mut run = Running::start(tree.command(&["build", "-j2", "--target-cc", &cc]));
    let deadline = Instant::now() + Duration::from_secs(60);
    while !tree.path("compiled").exists() {
        if Instant::now() > deadline || run.child.try_wait().unwrap().is_some() {
            tree.write("go", "");
            let (status, log) = run.finish();
            panic!("the compile of {src} never ran ({status}):\n{}", log.text);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let text = tree.read(src);
    tree.write(src, &format!("{text}/* saved during the build */\n"));
    std::fs::remove_file(tree.path("armed")).unwrap();
    tree.write("go", "");
    let (status, log) = run.finish();
    assert!(status.success(), "{}", log.text);

    let log = tree.build(&["-j2", "--target-cc", &cc]);
    assert!(
        log.labels(&["CC"]).contains(src),
        "the edit made during the compile was lost:\n{}",
        log.text
    );
    assert!(tree.build(&["-j2", "--target-cc", &cc]).is_noop());
}
