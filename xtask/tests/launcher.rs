//! The compiler launcher (`--launcher CMD`, `SOLO5_CC_LAUNCHER`): every C
//! compile, target and host, runs through it and no link does; it is part
//! of each compile's command, so changing it recompiles; and with a real
//! ccache a second clean build is served from its cache and is
//! byte-identical to a build without it.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::*;

const COMPILES: &[&str] = &["CC", "HOSTCC"];

/// How many steps of these verbs ran.
fn count(log: &Log, verbs: &[&str]) -> usize {
    log.ran
        .iter()
        .filter(|r| verbs.contains(&r.verb.as_str()))
        .count()
}

/// A launcher that appends its arguments to `record`, one line per run,
/// then runs them.
fn fake_launcher(tree: &Tree, record: &Path) -> PathBuf {
    let path = tree.path("fake-launcher");
    tree.write(
        "fake-launcher",
        &format!(
            "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\nexec \"$@\"\n",
            record.display()
        ),
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn the_launcher_runs_every_compile_and_nothing_else() {
    let tree = Tree::new();
    let record = tree.path("launched.log");
    let fake = fake_launcher(&tree, &record);
    let fake_s = fake.to_str().unwrap();

    let log = tree.build(&["-j2", "--launcher", fake_s]);
    let launched = lines(&record);
    assert!(count(&log, &["CC"]) > 0, "{}", log.text);
    assert_eq!(
        launched.len(),
        count(&log, COMPILES),
        "one launch per compile:\n{}\n{}",
        launched.join("\n"),
        log.text
    );
    for label in log.labels(COMPILES) {
        assert!(
            launched
                .iter()
                .any(|l| l.split(' ').any(|w| w == label) && l.contains(" -c ")),
            "the compile of {label} did not go through the launcher"
        );
    }
    for l in &launched {
        let compiler = l.split(' ').next().unwrap();
        assert!(
            Path::new(compiler).is_absolute(),
            "the launcher's first argument is the compiler's path, not {compiler:?}"
        );
        assert!(
            l.contains(" -c "),
            "a step that is not a compile was launched: {l}"
        );
    }
    if count(&log, &["HOSTCC"]) == 0 {
        eprintln!("note: no tender was built here; host compiles not checked");
    }

    // Part of each compile's command: without it every compile runs
    // again, and nothing else does.
    let plain = tree.build(&["-j2"]);
    assert_eq!(
        plain.labels(COMPILES),
        log.labels(COMPILES),
        "{}",
        plain.text
    );
    assert_eq!(lines(&record).len(), launched.len(), "launched without it");

    // The variable names it too.
    std::fs::remove_file(&record).unwrap();
    let mut cmd = tree.command(&["build", "-j2"]);
    cmd.env("SOLO5_CC_LAUNCHER", fake_s);
    let by_env = tree.run(cmd);
    assert_eq!(lines(&record).len(), count(&by_env, COMPILES));
    assert!(count(&by_env, COMPILES) > 0, "{}", by_env.text);

    // One that is not there is named, with what to do.
    let (status, bad) =
        tree.output(tree.command(&["build", "--launcher", "solo5-no-such-launcher"]));
    assert!(!status.success());
    assert!(
        bad.text.contains("--launcher") && bad.text.contains("solo5-no-such-launcher"),
        "{}",
        bad.text
    );
}

/// The built products (what install and the tests use), by path.
fn products(tree: &Tree) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut map = BTreeMap::new();
    for sub in ["bin", "lib", "include", "tests"] {
        contents(&tree.out(), &tree.out().join(sub), &mut map);
    }
    map
}

/// `ccache --print-stats` as numbers by name.
fn ccache_stats(dir: &Path) -> BTreeMap<String, u64> {
    let out = Command::new("ccache")
        .arg("--print-stats")
        .env("CCACHE_DIR", dir)
        .output()
        .expect("ccache --print-stats");
    assert!(out.status.success(), "ccache --print-stats failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once('\t')?;
            Some((k.to_string(), v.trim().parse().ok()?))
        })
        .collect()
}

#[test]
fn ccache_serves_a_second_clean_build_byte_for_byte() {
    if Command::new("ccache").arg("--version").output().is_err() {
        eprintln!("SKIP: ccache is not installed (apt-get install ccache)");
        return;
    }
    let tree = Tree::new();
    let out = tree.root.join("target/solo5");
    tree.build(&["-j2"]);
    let uncached = products(&tree);
    assert!(!uncached.is_empty());

    let cache = tempfile::tempdir().unwrap();
    let build = || {
        std::fs::remove_dir_all(&out).unwrap();
        let mut cmd = tree.command(&["build", "-j2", "--launcher", "ccache"]);
        cmd.env("CCACHE_DIR", cache.path());
        tree.run(cmd)
    };
    let cold = build();
    let stats = ccache_stats(cache.path());
    assert!(
        stats.get("cache_miss").copied().unwrap_or(0) > 0,
        "the first build filled no cache: {stats:?}\n{}",
        cold.text
    );
    let zero = Command::new("ccache")
        .arg("--zero-stats")
        .env("CCACHE_DIR", cache.path())
        .status()
        .unwrap();
    assert!(zero.success());

    let warm = build();
    let stats = ccache_stats(cache.path());
    let hits = stats.get("direct_cache_hit").copied().unwrap_or(0)
        + stats.get("preprocessed_cache_hit").copied().unwrap_or(0);
    let compiles = count(&warm, COMPILES) as u64;
    assert!(compiles > 0, "{}", warm.text);
    assert_eq!(
        (hits, stats.get("cache_miss").copied().unwrap_or(0)),
        (compiles, 0),
        "every compile of the second clean build is a hit: {stats:?}"
    );
    let cached = products(&tree);
    assert_eq!(
        cached.keys().collect::<Vec<_>>(),
        uncached.keys().collect::<Vec<_>>()
    );
    let differ: Vec<&PathBuf> = uncached
        .keys()
        .filter(|k| cached[*k] != uncached[*k])
        .collect();
    assert!(
        differ.is_empty(),
        "outputs from ccache differ from a build without it: {differ:?}"
    );
}
