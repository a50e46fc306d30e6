//! Detection driven by fake compilers: small shell scripts that answer the
//! questions GCC and clang are asked, as a given version would, and record
//! their argv. Fake ld and objcopy complete a toolchain for the cache tests.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use toolchain::cache::{self, Origin};
use toolchain::{detect, ArchId, Family, Overrides, Request, Role, Version};

mod support;

struct Fake<'a> {
    name: &'a str,
    clang: bool,
    version: (u32, u32, u32),
    machine: &'a str,
    arch_macros: &'a str,
}

/// Writes the fake compiler into `dir` and returns its path.
fn write_fake(dir: &Path, f: &Fake) -> PathBuf {
    write_fake_with(dir, f, "")
}

/// Writes an executable shell script.
fn write_script(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Like `write_fake`, with `hook` (shell lines) run before the fake
/// answers, to make it refuse or misbehave depending on marker files.
fn write_fake_with(dir: &Path, f: &Fake, hook: &str) -> PathBuf {
    let (a, b, c) = f.version;
    let family_macros = if f.clang {
        format!("#define __clang__ 1\n#define __clang_major__ {a}\n#define __clang_minor__ {b}\n#define __clang_patchlevel__ {c}\n#define __GNUC__ 4\n")
    } else {
        format!(
            "#define __GNUC__ {a}\n#define __GNUC_MINOR__ {b}\n#define __GNUC_PATCHLEVEL__ {c}\n"
        )
    };
    let inc = dir.join(format!("{}-include", f.name));
    std::fs::create_dir_all(&inc).unwrap();
    let dumpversion = format!("{a}.{b}.{c}");
    let script = format!(
        r#"#!/bin/sh
echo "$@" >> "$0.argv"
{hook}
case "$*" in
  *-dM*) printf '{macros}{arch}#define __PIE__ 2\n' ;;
  *-dumpfullversion*) echo {dumpversion} ;;
  *-dumpversion*) echo {dumpversion} ;;
  *-dumpmachine*) echo {machine} ;;
  *-print-file-name=include*) echo {inc} ;;
  *-print-prog-name=*) echo nonexistent-tool ;;
  *)
    out=""; prev=""
    for a in "$@"; do [ "$prev" = "-o" ] && out="$a"; prev="$a"; done
    [ -n "$out" ] && : > "$out"
    ;;
esac
exit 0
"#,
        macros = family_macros.replace('\n', "\\n"),
        arch = f.arch_macros.replace('\n', "\\n"),
        dumpversion = dumpversion,
        machine = f.machine,
        inc = inc.display(),
    );
    let path = dir.join(f.name);
    write_script(&path, &script);
    path
}

/// Writes a fake GNU ld and objcopy into `dir`; returns their paths.
fn write_binutils(dir: &Path) -> (PathBuf, PathBuf) {
    let ld = dir.join("ld");
    write_script(
        &ld,
        r#"#!/bin/sh
case "$1" in
  --version) echo "GNU ld (GNU Binutils for Debian) 2.40" ;;
  *)
    out=""; prev=""
    for a in "$@"; do [ "$prev" = "-o" ] && out="$a"; prev="$a"; done
    : > "$out"
    ;;
esac
"#,
    );
    let objcopy = dir.join("objcopy");
    write_script(
        &objcopy,
        r#"#!/bin/sh
case "$1" in
  --version) echo "GNU objcopy (GNU Binutils for Debian) 2.40" ;;
  *) for a in "$@"; do last="$a"; done; : > "$last" ;;
esac
"#,
    );
    (ld, objcopy)
}

const X86: &str = "#define __x86_64__ 1\n";
const ARM: &str = "#define __aarch64__ 1\n";
const PPC64LE: &str = "#define __powerpc64__ 1\n#define __LITTLE_ENDIAN__ 1\n";

fn request(arch: &str, triple: &str, env: BTreeMap<String, String>) -> Request {
    Request {
        arch: arch.into(),
        gnu_triple: triple.into(),
        build_arch: "x86_64".into(),
        arches: support::real_arches(),
        min_gcc: 9,
        min_clang: 12,
        overrides: Overrides::default(),
        env,
    }
}

/// Runs detection with TARGET_CC pointing at a fake and PATH at `dir`
/// only; returns the target compiler found or the problem messages.
fn detect_target(
    dir: &Path,
    f: &Fake,
    arch: &str,
    triple: &str,
) -> Result<toolchain::Compiler, String> {
    let path = write_fake(dir, f);
    let mut env = BTreeMap::new();
    env.insert("PATH".to_string(), dir.display().to_string());
    env.insert("TARGET_CC".to_string(), path.display().to_string());
    let req = request(arch, triple, env);
    let tc = detect::detect(&req, &dir.join("scratch")).expect("detect runs");
    match tc.target_cc {
        Some(c) => Ok(c),
        None => Err(tc
            .problems_for(Role::Target)
            .map(|p| p.message.clone())
            .collect::<Vec<_>>()
            .join("; ")),
    }
}

fn gcc(name: &str, major: u32) -> Fake<'_> {
    Fake {
        name,
        clang: false,
        version: (major, 1, 0),
        machine: "x86_64-linux-gnu",
        arch_macros: X86,
    }
}

#[test]
fn gcc_8_is_rejected_naming_8_and_the_minimum() {
    let dir = tempfile::tempdir().unwrap();
    let err =
        detect_target(dir.path(), &gcc("gcc-8", 8), "x86_64", "x86_64-linux-gnu").unwrap_err();
    assert!(err.contains("gcc 8.1.0 is too old"), "{err}");
    assert!(err.contains("minimum is gcc 9"), "{err}");
    assert!(err.contains("TARGET_CC"), "{err}");
}

#[test]
fn gcc_9_10_14_and_100_are_accepted() {
    for major in [9, 10, 14, 100] {
        let dir = tempfile::tempdir().unwrap();
        let name = format!("gcc-{major}");
        let c = detect_target(dir.path(), &gcc(&name, major), "x86_64", "x86_64-linux-gnu")
            .unwrap_or_else(|e| panic!("gcc {major} rejected: {e}"));
        assert_eq!(c.family, Family::Gcc);
        assert_eq!(c.version, Version::new(major, 1, 0));
        assert!(c.pie_default);
        assert_eq!(c.source, "TARGET_CC");
        // The fake recorded how it was asked: by -dM -E, never --version.
        let argv = std::fs::read_to_string(dir.path().join(format!("{name}.argv"))).unwrap();
        assert!(argv.contains("-dM -E"), "{argv}");
        assert!(!argv.contains("--version"), "{argv}");
    }
}

#[test]
fn clang_11_is_rejected_and_clang_16_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let old = Fake {
        name: "clang-11",
        clang: true,
        version: (11, 1, 0),
        machine: "x86_64-pc-linux-gnu",
        arch_macros: X86,
    };
    let err = detect_target(dir.path(), &old, "x86_64", "x86_64-linux-gnu").unwrap_err();
    assert!(
        err.contains("clang 11.1.0 is too old: the minimum is clang 12"),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    let new = Fake {
        name: "clang-16",
        clang: true,
        version: (16, 0, 6),
        machine: "x86_64-pc-linux-gnu",
        arch_macros: X86,
    };
    let c = detect_target(dir.path(), &new, "x86_64", "x86_64-linux-gnu").unwrap();
    assert_eq!(c.family, Family::Clang);
    assert_eq!(c.version, Version::new(16, 0, 6));
}

#[test]
fn a_cross_aarch64_gcc_is_accepted_for_aarch64() {
    let dir = tempfile::tempdir().unwrap();
    let f = Fake {
        name: "aarch64-linux-gnu-gcc",
        clang: false,
        version: (12, 2, 0),
        machine: "aarch64-linux-gnu",
        arch_macros: ARM,
    };
    let c = detect_target(dir.path(), &f, "aarch64", "aarch64-linux-gnu").unwrap();
    assert_eq!(c.arch, "aarch64");
    assert_eq!(c.machine, "aarch64-linux-gnu");
}

#[test]
fn a_compiler_for_the_wrong_arch_is_rejected_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let err =
        detect_target(dir.path(), &gcc("gcc", 12), "aarch64", "aarch64-linux-gnu").unwrap_err();
    assert!(
        err.contains("-dumpmachine says x86_64-linux-gnu (x86_64), but aarch64 is needed"),
        "{err}"
    );
}

#[test]
fn a_compiler_for_a_third_arch_is_named_from_the_identities() {
    let dir = tempfile::tempdir().unwrap();
    let f = Fake {
        name: "powerpc64le-linux-gnu-gcc",
        clang: false,
        version: (12, 2, 0),
        machine: "powerpc64le-linux-gnu",
        arch_macros: PPC64LE,
    };
    let err = detect_target(dir.path(), &f, "aarch64", "aarch64-linux-gnu").unwrap_err();
    assert!(
        err.contains("-dumpmachine says powerpc64le-linux-gnu (ppc64le), but aarch64 is needed"),
        "{err}"
    );
}

#[test]
fn macros_that_contradict_dumpmachine_are_believed() {
    let dir = tempfile::tempdir().unwrap();
    // Says x86_64 but predefines the big-endian half of ppc64: no arch.
    let f = Fake {
        name: "liar",
        clang: false,
        version: (12, 2, 0),
        machine: "x86_64-linux-gnu",
        arch_macros: "#define __powerpc64__ 1\n#define __BIG_ENDIAN__ 1\n",
    };
    let err = detect_target(dir.path(), &f, "x86_64", "x86_64-linux-gnu").unwrap_err();
    assert!(
        err.contains(
            "its predefined macros say it emits unknown code, but x86_64 code (predefining __x86_64__) is needed"
        ),
        "{err}"
    );
}

#[test]
fn a_new_arch_is_recognised_from_its_identity_alone() {
    let dir = tempfile::tempdir().unwrap();
    let f = Fake {
        name: "riscv64-linux-gnu-gcc",
        clang: false,
        version: (13, 2, 0),
        machine: "riscv64-linux-gnu",
        arch_macros: "#define __riscv 1\n#define __riscv_xlen 64\n",
    };
    let path = write_fake(dir.path(), &f);
    let mut env = BTreeMap::new();
    env.insert("PATH".to_string(), dir.path().display().to_string());
    env.insert("TARGET_CC".to_string(), path.display().to_string());
    let mut req = request("riscv64", "riscv64-linux-gnu", env);
    let tc = detect::detect(&req, &dir.path().join("s")).unwrap();
    let msg: Vec<_> = tc.problems_for(Role::Target).map(|p| &p.message).collect();
    assert!(
        msg.iter()
            .any(|m| m.contains("riscv64 is needed for target, but it is not a known arch")),
        "{msg:?}"
    );

    req.arches.push(ArchId {
        name: "riscv64".into(),
        triple_names: vec!["riscv64".into()],
        macros: vec!["__riscv".into(), "__riscv_xlen".into()],
    });
    let tc = detect::detect(&req, &dir.path().join("s")).unwrap();
    let c = tc.target_cc.expect("the riscv64 compiler is accepted");
    assert_eq!(c.arch, "riscv64");
}

#[test]
fn a_missing_explicit_compiler_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = BTreeMap::new();
    env.insert("PATH".to_string(), dir.path().display().to_string());
    env.insert("TARGET_CC".to_string(), "/nonexistent".to_string());
    let tc = detect::detect(
        &request("x86_64", "x86_64-linux-gnu", env),
        &dir.path().join("s"),
    )
    .unwrap();
    assert!(tc.target_cc.is_none());
    let msg = tc
        .problems_for(Role::Target)
        .next()
        .unwrap()
        .message
        .clone();
    assert!(msg.contains("TARGET_CC = /nonexistent"), "{msg}");
}

#[test]
fn search_prefers_plain_names_then_newest_versioned() {
    let dir = tempfile::tempdir().unwrap();
    // gcc-8 is too old; gcc-100 is newer than gcc-14 (integers, not text).
    write_fake(dir.path(), &gcc("gcc-8", 8));
    write_fake(dir.path(), &gcc("gcc-14", 14));
    write_fake(dir.path(), &gcc("gcc-100", 100));
    let mut env = BTreeMap::new();
    env.insert("PATH".to_string(), dir.path().display().to_string());
    let tc = detect::detect(
        &request("x86_64", "x86_64-linux-gnu", env),
        &dir.path().join("s"),
    )
    .unwrap();
    let c = tc.target_cc.expect("found one");
    assert_eq!(c.version.major, 100);
    assert_eq!(c.source, "search");
}

#[test]
fn cc_for_another_arch_does_not_stop_a_cross_search() {
    let dir = tempfile::tempdir().unwrap();
    let native = write_fake(dir.path(), &gcc("gcc", 12));
    let f = Fake {
        name: "aarch64-linux-gnu-gcc",
        clang: false,
        version: (12, 2, 0),
        machine: "aarch64-linux-gnu",
        arch_macros: ARM,
    };
    write_fake(dir.path(), &f);
    let mut env = BTreeMap::new();
    env.insert("PATH".to_string(), dir.path().display().to_string());
    env.insert("CC".to_string(), native.display().to_string());
    let tc = detect::detect(
        &request("aarch64", "aarch64-linux-gnu", env),
        &dir.path().join("s"),
    )
    .unwrap();
    let c = tc.target_cc.expect("found the cross compiler");
    assert!(c.path.ends_with("aarch64-linux-gnu-gcc"));
    assert!(tc
        .rejected
        .iter()
        .any(|r| r.tool.ends_with("/gcc") && r.reason.contains("x86_64")));
}

/// A native x86_64 request whose every tool is named: `cc` for host and
/// target, and the fake binutils.
fn complete_request(dir: &Path, cc: &Path) -> Request {
    let (ld, objcopy) = write_binutils(dir);
    let mut env = BTreeMap::new();
    env.insert("PATH".to_string(), dir.display().to_string());
    for (var, tool) in [
        ("TARGET_CC", cc),
        ("HOST_CC", cc),
        ("TARGET_LD", ld.as_path()),
        ("TARGET_OBJCOPY", objcopy.as_path()),
    ] {
        env.insert(var.to_string(), tool.display().to_string());
    }
    request("x86_64", "x86_64-linux-gnu", env)
}

/// Makes the fake's `-fsyntax-only` run (the freestanding headers probe)
/// fail unless `<fake>.headers` exists, as a compiler whose headers are
/// not installed would.
const HEADERS_UNLESS_MARKED: &str = r#"case "$*" in
  *-fsyntax-only*) [ -e "$0.headers" ] || { echo "fatal error: stddef.h: No such file or directory" >&2; exit 1; } ;;
esac"#;

/// Makes the fake kill itself with SIGKILL during the headers probe while
/// `<fake>.kill` exists, as the OOM killer might.
const KILLED_WHEN_MARKED: &str = r#"case "$*" in
  *-fsyntax-only*) [ -e "$0.kill" ] && kill -9 $$ ;;
esac"#;

#[test]
fn a_complete_result_is_cached_and_reused() {
    let dir = tempfile::tempdir().unwrap();
    let cc = write_fake(dir.path(), &gcc("gcc-12", 12));
    let req = complete_request(dir.path(), &cc);
    let cache_path = dir.path().join("out/toolchain.toml");
    let (tc, origin) = cache::load_or_detect(&req, &cache_path).unwrap();
    assert!(tc.complete(), "{:?}", tc.problems);
    assert_eq!(origin, Origin::Probed);
    assert!(cache_path.exists());
    assert!(!dir.path().join("out/probe").exists(), "probe files left");
    let (again, origin) = cache::load_or_detect(&req, &cache_path).unwrap();
    assert_eq!(origin, Origin::Cached);
    assert_eq!(again, tc);
}

#[test]
fn a_tool_installed_later_on_path_is_probed_again() {
    let dir = tempfile::tempdir().unwrap();
    let cc = write_fake(dir.path(), &gcc("gcc-12", 12));
    let req = complete_request(dir.path(), &cc);
    let cache_path = dir.path().join("out/toolchain.toml");
    let (_, origin) = cache::load_or_detect(&req, &cache_path).unwrap();
    assert_eq!(origin, Origin::Probed);
    let (_, origin) = cache::load_or_detect(&req, &cache_path).unwrap();
    assert_eq!(origin, Origin::Cached);

    // A package drops a new compiler into a PATH directory: no probed
    // tool changed, but detection may now choose differently. The
    // directory's mtime is set explicitly: a coarse file-system clock
    // could leave it unchanged within one tick.
    write_fake(dir.path(), &gcc("x86_64-linux-gnu-gcc-14", 14));
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
    std::fs::File::open(dir.path())
        .unwrap()
        .set_modified(later)
        .unwrap();
    let (_, origin) = cache::load_or_detect(&req, &cache_path).unwrap();
    assert_eq!(
        origin,
        Origin::Probed,
        "a new file on PATH did not re-probe"
    );
    let (_, origin) = cache::load_or_detect(&req, &cache_path).unwrap();
    assert_eq!(origin, Origin::Cached);
}

#[test]
fn a_missing_ability_gained_later_is_seen_without_deleting_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let cc = write_fake_with(dir.path(), &gcc("gcc-12", 12), HEADERS_UNLESS_MARKED);
    let req = complete_request(dir.path(), &cc);
    let cache_path = dir.path().join("out/toolchain.toml");

    let (tc, origin) = cache::load_or_detect(&req, &cache_path).unwrap();
    assert_eq!(origin, Origin::Probed);
    assert!(!tc.complete());
    let problems: Vec<_> = tc.problems_for(Role::Target).map(|p| &p.message).collect();
    assert!(
        problems
            .iter()
            .any(|m| m.contains("freestanding headers (stddef.h, stdint.h, ...) are missing")),
        "{problems:?}"
    );
    assert!(!cache_path.exists(), "an incomplete result was cached");

    // The headers appear; the compiler file itself is unchanged, so no
    // stamp in a cache key could have noticed.
    std::fs::write(dir.path().join("gcc-12.headers"), "").unwrap();
    let (tc, origin) = cache::load_or_detect(&req, &cache_path).unwrap();
    assert_eq!(origin, Origin::Probed);
    assert!(tc.complete(), "{:?}", tc.problems);
    assert!(tc.target_cc.as_ref().unwrap().freestanding_headers);
    let (_, origin) = cache::load_or_detect(&req, &cache_path).unwrap();
    assert_eq!(origin, Origin::Cached);
}

#[test]
fn a_probe_killed_by_a_signal_is_an_error_and_is_not_cached() {
    let dir = tempfile::tempdir().unwrap();
    let cc = write_fake_with(dir.path(), &gcc("gcc-12", 12), KILLED_WHEN_MARKED);
    let req = complete_request(dir.path(), &cc);
    let cache_path = dir.path().join("out/toolchain.toml");
    let (good, _) = cache::load_or_detect(&req, &cache_path).unwrap();
    assert!(good.complete(), "{:?}", good.problems);
    let cached = std::fs::read_to_string(&cache_path).unwrap();

    // The compiler changes (a different size, so its stamp does), and its
    // next probe is killed: this run fails, naming the tool and the signal.
    let mut script = std::fs::read_to_string(&cc).unwrap();
    script.push_str("# upgraded\n");
    std::fs::write(&cc, script).unwrap();
    let marker = dir.path().join("gcc-12.kill");
    std::fs::write(&marker, "").unwrap();
    let err = cache::load_or_detect(&req, &cache_path).unwrap_err();
    let msg = format!("{err:#}");
    assert!(msg.contains("killed by signal 9"), "{msg}");
    assert!(msg.contains(&cc.display().to_string()), "{msg}");
    assert_eq!(
        std::fs::read_to_string(&cache_path).unwrap(),
        cached,
        "a failed probe touched the cache"
    );

    // Healthy again: detection succeeds, and is cached.
    std::fs::remove_file(&marker).unwrap();
    let (tc, origin) = cache::load_or_detect(&req, &cache_path).unwrap();
    assert_eq!(origin, Origin::Probed);
    assert!(tc.complete(), "{:?}", tc.problems);
    assert!(tc.target_cc.as_ref().unwrap().freestanding_headers);
    let (_, origin) = cache::load_or_detect(&req, &cache_path).unwrap();
    assert_eq!(origin, Origin::Cached);
}

#[test]
fn an_unusable_probe_directory_is_an_error_and_is_not_cached() {
    let dir = tempfile::tempdir().unwrap();
    let cc = write_fake(dir.path(), &gcc("gcc-12", 12));
    let req = complete_request(dir.path(), &cc);
    let out = dir.path().join("out");
    let cache_path = out.join("toolchain.toml");

    // A file where the probe directory goes (a permission bit would not
    // stop root, who may run these tests).
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("probe"), "").unwrap();
    let err = cache::load_or_detect(&req, &cache_path).unwrap_err();
    let msg = format!("{err:#}");
    assert!(msg.contains("probe directory"), "{msg}");
    assert!(
        msg.contains(&out.join("probe").display().to_string()),
        "{msg}"
    );
    assert!(!cache_path.exists());

    std::fs::remove_file(out.join("probe")).unwrap();
    let (tc, origin) = cache::load_or_detect(&req, &cache_path).unwrap();
    assert_eq!(origin, Origin::Probed);
    assert!(tc.complete(), "{:?}", tc.problems);
    assert!(cache_path.exists());
}

#[test]
fn an_unwritable_probe_file_is_an_error_not_a_missing_header() {
    let dir = tempfile::tempdir().unwrap();
    let cc = write_fake(dir.path(), &gcc("gcc-12", 12));
    let req = complete_request(dir.path(), &cc);
    // A directory where the headers probe writes its source.
    let scratch = dir.path().join("scratch");
    std::fs::create_dir_all(scratch.join("headers.c")).unwrap();
    let err = detect::detect(&req, &scratch).unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains(&format!(
            "cannot write probe file {}",
            scratch.join("headers.c").display()
        )),
        "{msg}"
    );
}
