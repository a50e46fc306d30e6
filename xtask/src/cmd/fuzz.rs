//! `cargo xtask fuzz`: build and run the fuzz targets (docs/fuzzing.md).
//!
//! Two kinds of target, one way of running them:
//! - `cargo` targets: elftool's, the `[[bin]]`s of `elftool/fuzz/Cargo.toml`,
//!   built by `cargo +nightly fuzz build` (libFuzzer, no sanitizer: the code
//!   is safe Rust; overflow checks and debug assertions are on);
//! - `c` targets: the tenders' common code, the harnesses of
//!   `tenders/fuzz/fuzz.toml`, built with a clang that has the libFuzzer
//!   runtime (`-fsanitize=fuzzer,address,undefined`) from the files of
//!   targets.toml's `tenders_common` group.
//!
//! Each target runs for `--time` seconds over a working corpus (under the
//! output directory) seeded from its committed `corpus/` and
//! `regressions/` directories; the summary gives executions and
//! executions per second. A crash stops with a non-zero status naming the
//! saved input. `--replay` runs every committed input once instead,
//! without libFuzzer: the C harnesses with the ordinary C compiler and its
//! sanitizers, the cargo targets through `cargo test` on stable.

use crate::cli::{self, Matches, Opt};
use crate::model::config;
use crate::model::targets::{expand, Targets};
use crate::util::process;
use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where the cargo targets' crate lives.
const CARGO_FUZZ_DIR: &str = "elftool/fuzz";
/// Where the C harnesses and their description live.
const C_FUZZ_DIR: &str = "tenders/fuzz";
/// The `tenders_common` group the C harnesses may take files from.
const TENDER_GROUP: &str = "tenders_common";
/// clangs tried, in order, for the libFuzzer runtime.
const CLANGS: &[&str] = &[
    "clang", "clang-19", "clang-18", "clang-17", "clang-16", "clang-15", "clang-14",
];
/// The package that brings the runtime on Debian (CI installs it).
const RUNTIME_PACKAGE: &str = "clang-19 libclang-rt-19-dev";

#[derive(Debug, Clone)]
pub struct Flags {
    pub targets: Vec<String>,
    pub time: u64,
    pub replay: bool,
    pub cc: Option<String>,
}

pub const OPTS: &[Opt] = &[
    Opt::many(
        "target",
        "NAME",
        "Fuzz only this target (repeatable; default: all of them)",
    ),
    Opt::value("time", "SECONDS", "Seconds to fuzz each target").default("60"),
    Opt::flag(
        "replay",
        "Run the committed corpora and regression inputs once, without fuzzing (no nightly, \
         no libFuzzer)",
    ),
    Opt::value(
        "cc",
        "CC",
        "Compiler for the C harnesses (default: the first of clang, clang-19 .. clang-14 that \
         links a libFuzzer harness; with --replay, cc)",
    ),
];

impl Flags {
    pub fn from_matches(m: &Matches) -> Result<Flags, cli::Error> {
        Ok(Flags {
            targets: m.values("target"),
            time: m.parse("time")?.unwrap_or(60),
            replay: m.flag("replay"),
            cc: m.value("cc"),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Cargo,
    C,
}

/// One fuzz target and where its inputs live.
#[derive(Debug, Clone)]
struct Target {
    name: String,
    kind: Kind,
    /// The committed seed directories and regression inputs
    /// (repo-relative): its own corpus, then any it shares.
    corpus: Vec<PathBuf>,
    regressions: PathBuf,
    /// A libFuzzer dictionary, used when the file exists (repo-relative).
    dict: PathBuf,
    /// C only: every source file, main first (repo-relative).
    sources: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HarnessFile {
    harness: BTreeMap<String, Harness>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Harness {
    main: String,
    common: Vec<String>,
    #[serde(default)]
    support: Vec<String>,
    /// Seed directories shared with other targets, beside its own corpus.
    #[serde(default)]
    seeds: Vec<String>,
}

pub fn run(flags: Flags) -> Result<i32> {
    let root = config::repo_root()?;
    let targets = config::load_targets(&root)?;
    let arch = config::build_arch(&targets);
    let all = discover(&root, &targets, &arch)?;
    let selected = select(&all, &flags.targets)?;
    let out = root
        .join(config::out_dir(&config::ToolFlags::default())?)
        .join("fuzz");
    if flags.replay {
        return replay(&root, &out, &selected, flags.cc.as_deref());
    }
    if flags.time == 0 {
        bail!("--time 0: each target needs at least one second");
    }
    fuzz(&root, &out, &selected, &flags)
}

/// Every target: the cargo ones from the fuzz crate's manifest, the C ones
/// from fuzz.toml (their `common` files checked against targets.toml).
fn discover(root: &Path, targets: &Targets, arch: &str) -> Result<Vec<Target>> {
    let mut all = Vec::new();
    let manifest = root.join(CARGO_FUZZ_DIR).join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .with_context(|| format!("cannot read {}", manifest.display()))?;
    let table: toml::Table = text
        .parse()
        .with_context(|| format!("{}: not valid TOML", manifest.display()))?;
    let bins = table.get("bin").and_then(|b| b.as_array());
    for bin in bins.into_iter().flatten() {
        let name = bin
            .get("name")
            .and_then(|n| n.as_str())
            .with_context(|| format!("{}: a [[bin]] without a name", manifest.display()))?;
        all.push(Target {
            name: name.to_string(),
            kind: Kind::Cargo,
            corpus: vec![Path::new(CARGO_FUZZ_DIR).join("corpus").join(name)],
            regressions: Path::new(CARGO_FUZZ_DIR).join("regressions").join(name),
            dict: Path::new(CARGO_FUZZ_DIR)
                .join("dict")
                .join(format!("{name}.dict")),
            sources: Vec::new(),
        });
    }

    let path = root.join(C_FUZZ_DIR).join("fuzz.toml");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let file: HarnessFile = toml::from_str(&text)
        .with_context(|| format!("{}: invalid harness list", path.display()))?;
    let group: Vec<String> = targets
        .sources
        .get(TENDER_GROUP)
        .with_context(|| format!("targets.toml has no [sources] {TENDER_GROUP}"))?
        .iter()
        .map(|s| expand(s.get_ref(), arch))
        .collect();
    for (name, h) in file.harness {
        let mut sources = vec![h.main.clone(), format!("{C_FUZZ_DIR}/fuzz_support.c")];
        for c in &h.common {
            let file = expand(c, arch);
            if !group.contains(&file) {
                bail!(
                    "{}: harness {name}: {c} is not in targets.toml's [sources] {TENDER_GROUP} \
                     (a harness tests the tenders' own files; list only those)",
                    path.display()
                );
            }
            sources.push(file);
        }
        sources.extend(h.support.iter().cloned());
        for s in &sources {
            if !root.join(s).is_file() {
                bail!("{}: harness {name}: no such file {s}", path.display());
            }
        }
        let mut corpus = vec![Path::new(C_FUZZ_DIR).join("corpus").join(&name)];
        for d in &h.seeds {
            if !root.join(d).is_dir() {
                bail!("{}: harness {name}: no seed directory {d}", path.display());
            }
            corpus.push(PathBuf::from(d));
        }
        all.push(Target {
            corpus,
            regressions: Path::new(C_FUZZ_DIR).join("regressions").join(&name),
            dict: Path::new(C_FUZZ_DIR)
                .join("dict")
                .join(format!("{name}.dict")),
            name,
            kind: Kind::C,
            sources,
        });
    }
    Ok(all)
}

fn select(all: &[Target], names: &[String]) -> Result<Vec<Target>> {
    if names.is_empty() {
        return Ok(all.to_vec());
    }
    names
        .iter()
        .map(|n| {
            all.iter().find(|t| &t.name == n).cloned().with_context(|| {
                let known: Vec<&str> = all.iter().map(|t| t.name.as_str()).collect();
                format!("unknown fuzz target {n:?} (known: {})", known.join(", "))
            })
        })
        .collect()
}

/// The committed input directories of `t` that exist (libFuzzer refuses a
/// missing one).
fn input_dirs(root: &Path, t: &Target) -> Vec<PathBuf> {
    t.corpus
        .iter()
        .chain([&t.regressions])
        .map(|d| root.join(d))
        .filter(|d| d.is_dir())
        .collect()
}

/// Compiler flags for a C harness: the tenders' host flags, the include
/// directories, then `extra` (sanitizers).
fn c_command(
    root: &Path,
    targets: &Targets,
    cc: &str,
    extra: &[&str],
    sources: &[String],
    output: &Path,
) -> Command {
    let mut words = cc.split_whitespace();
    let mut cmd = Command::new(words.next().unwrap_or("cc"));
    cmd.args(words)
        .current_dir(root)
        .args(&targets.flags.host)
        .args(["-Iinclude", "-Itenders/common", "-Itenders/fuzz"])
        .args(extra)
        .args(sources)
        .arg("-o")
        .arg(output);
    cmd
}

/// Whether `cc` compiles and links a trivial harness with `extra`.
fn links(cc: &str, extra: &[&str], dir: &Path, what: &str) -> bool {
    let src = dir.join(format!("probe-{what}.c"));
    let bin = dir.join(format!("probe-{what}"));
    let prog = "#include <stddef.h>\n#include <stdint.h>\n\
                int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)\n\
                { (void)d; (void)n; return 0; }\n\
                int main(void) { return 0; }\n";
    // libFuzzer brings its own main(): the probe for it must not have one.
    let prog = if extra.iter().any(|e| e.contains("fuzzer")) {
        prog.replace("int main(void) { return 0; }\n", "")
    } else {
        prog.to_string()
    };
    if std::fs::write(&src, prog).is_err() {
        return false;
    }
    let mut words = cc.split_whitespace();
    let Some(prog) = words.next() else {
        return false;
    };
    Command::new(prog)
        .args(words)
        .args(extra)
        .arg(&src)
        .arg("-o")
        .arg(&bin)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

const FUZZER_FLAGS: &[&str] = &[
    "-fsanitize=fuzzer,address,undefined",
    "-fno-sanitize-recover=all",
    "-fno-omit-frame-pointer",
];
const REPLAY_SANITIZERS: &[&str] = &[
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=all",
    "-fno-omit-frame-pointer",
];

/// The clang for the libFuzzer builds: `--cc`, else the first that links.
fn find_clang(given: Option<&str>, dir: &Path) -> Result<String> {
    if let Some(cc) = given {
        if links(cc, FUZZER_FLAGS, dir, "fuzzer") {
            return Ok(cc.to_string());
        }
        bail!(
            "--cc {cc} cannot link a harness with {} (it must be clang with the libFuzzer \
             runtime; on Debian: apt-get install {RUNTIME_PACKAGE})",
            FUZZER_FLAGS[0]
        );
    }
    CLANGS
        .iter()
        .find(|cc| links(cc, FUZZER_FLAGS, dir, "fuzzer"))
        .map(|cc| cc.to_string())
        .with_context(|| {
            format!(
                "no clang here links a libFuzzer harness (tried {}): the C targets need clang \
                 with its libFuzzer and sanitizer runtimes (on Debian: apt-get install \
                 {RUNTIME_PACKAGE}), or pass --cc",
                CLANGS.join(", ")
            )
        })
}

fn fresh_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}

/// What one fuzzing run did.
#[derive(Debug, Default, PartialEq, Eq)]
struct Stats {
    execs: Option<u64>,
    per_sec: Option<u64>,
    /// The input libFuzzer saved for a crash, leak, timeout or OOM.
    artifact: Option<String>,
}

/// Reads libFuzzer's `-print_final_stats=1` lines and its crash report.
fn parse_stats(log: &str) -> Stats {
    let mut s = Stats::default();
    for line in log.lines() {
        let num = |key: &str| {
            line.strip_prefix(key)
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        if let Some(n) = num("stat::number_of_executed_units:") {
            s.execs = Some(n);
        }
        if let Some(n) = num("stat::average_exec_per_sec:") {
            s.per_sec = Some(n);
        }
        if let Some(at) = line.find("Test unit written to ") {
            s.artifact = Some(
                line[at + "Test unit written to ".len()..]
                    .trim()
                    .to_string(),
            );
        }
    }
    s
}

struct Outcome {
    name: String,
    kind: Kind,
    stats: Stats,
    ok: bool,
    log: PathBuf,
}

fn fuzz(root: &Path, out: &Path, selected: &[Target], flags: &Flags) -> Result<i32> {
    let targets = config::load_targets(root)?;
    let bin_dir = out.join("bin");
    fresh_dir(&bin_dir)?;
    let mut binaries: Vec<(Target, PathBuf)> = Vec::new();

    let cargo_targets: Vec<&Target> = selected.iter().filter(|t| t.kind == Kind::Cargo).collect();
    if !cargo_targets.is_empty() {
        let dir = cargo_fuzz_build(root, out, &cargo_targets)?;
        for t in cargo_targets {
            binaries.push((t.clone(), dir.join(&t.name)));
        }
    }
    let c_targets: Vec<&Target> = selected.iter().filter(|t| t.kind == Kind::C).collect();
    if !c_targets.is_empty() {
        let clang = find_clang(flags.cc.as_deref(), &bin_dir)?;
        eprintln!("fuzz: C harnesses with {clang}");
        for t in c_targets {
            let bin = bin_dir.join(&t.name);
            let mut cmd = c_command(root, &targets, &clang, FUZZER_FLAGS, &t.sources, &bin);
            process::check(&mut cmd).with_context(|| format!("cannot build {}", t.name))?;
            binaries.push((t.clone(), bin));
        }
    }

    let mut outcomes = Vec::new();
    for (t, bin) in &binaries {
        eprintln!("fuzz: {} for {} s", t.name, flags.time);
        outcomes.push(run_one(root, out, t, bin, flags.time)?);
    }

    println!(
        "{:<20} {:<6} {:>12} {:>9}  result",
        "target", "kind", "execs", "exec/s"
    );
    let mut failed = 0;
    for o in &outcomes {
        let show = |n: Option<u64>| n.map_or("?".to_string(), |n| n.to_string());
        let result = match (&o.stats.artifact, o.ok) {
            (Some(a), _) => format!("FAILED: input saved as {a}"),
            (None, false) => format!("FAILED: see {}", o.log.display()),
            (None, true) => "ok".to_string(),
        };
        println!(
            "{:<20} {:<6} {:>12} {:>9}  {result}",
            o.name,
            match o.kind {
                Kind::Cargo => "cargo",
                Kind::C => "c",
            },
            show(o.stats.execs),
            show(o.stats.per_sec),
        );
        failed += usize::from(!o.ok);
    }
    if failed > 0 {
        println!(
            "{failed} of {} fuzz targets failed; reproduce with the target's binary under {} \
             and the saved input, and commit the input under the target's regressions/ \
             directory once fixed (docs/fuzzing.md)",
            outcomes.len(),
            bin_dir.display()
        );
        return Ok(1);
    }
    Ok(0)
}

/// `cargo +nightly fuzz build` of the cargo targets; the directory that
/// holds their binaries.
fn cargo_fuzz_build(root: &Path, out: &Path, ts: &[&Target]) -> Result<PathBuf> {
    let target_dir = out.join("cargo");
    let host = rustc_host()?;
    let mut cmd = Command::new("cargo");
    cmd.current_dir(root)
        .args(["+nightly", "fuzz", "build", "--fuzz-dir", CARGO_FUZZ_DIR])
        .args(["--sanitizer", "none", "--debug-assertions"])
        .arg("--target-dir")
        .arg(&target_dir);
    if ts.len() == 1 {
        cmd.arg(&ts[0].name);
    }
    let shown = process::describe(&cmd);
    let status = cmd
        .status()
        .with_context(|| format!("cannot run {shown}"))?;
    if !status.success() {
        bail!(
            "{shown} failed ({status}); the cargo targets need the nightly toolchain \
             (rustup toolchain install nightly) and cargo-fuzz (cargo install cargo-fuzz \
             --locked)"
        );
    }
    Ok(target_dir.join(host).join("release"))
}

/// The host triple of the nightly toolchain (cargo fuzz builds for it).
fn rustc_host() -> Result<String> {
    let text = process::stdout(Command::new("rustc").args(["+nightly", "-vV"]))
        .context("the cargo fuzz targets need the nightly toolchain")?;
    text.lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(|h| h.trim().to_string())
        .context("rustc +nightly -vV names no host")
}

/// Fuzzes one target for `secs` seconds; its output goes to a log file.
fn run_one(root: &Path, out: &Path, t: &Target, bin: &Path, secs: u64) -> Result<Outcome> {
    let work = out.join("corpus").join(&t.name);
    let artifacts = out.join("artifacts").join(&t.name);
    let logs = out.join("logs");
    for d in [&work, &artifacts, &logs] {
        fresh_dir(d)?;
    }
    let log = logs.join(format!("{}.log", t.name));
    let log_file =
        std::fs::File::create(&log).with_context(|| format!("cannot create {}", log.display()))?;
    let mut prefix = artifacts.clone().into_os_string();
    prefix.push("/");
    let mut cmd = Command::new(bin);
    cmd.current_dir(root)
        // The working corpus first: libFuzzer adds what it finds there.
        .arg(&work)
        .args(input_dirs(root, t))
        .arg(format!("-max_total_time={secs}"))
        .arg("-print_final_stats=1")
        // A hang guard per input, not a measurement.
        .arg("-timeout=30")
        .arg("-rss_limit_mb=2048")
        .arg({
            let mut a = std::ffi::OsString::from("-artifact_prefix=");
            a.push(&prefix);
            a
        })
        .stdin(Stdio::null());
    if root.join(&t.dict).is_file() {
        let mut a = std::ffi::OsString::from("-dict=");
        a.push(root.join(&t.dict));
        cmd.arg(a);
    }
    cmd.stdout(
        log_file
            .try_clone()
            .with_context(|| format!("cannot write {}", log.display()))?,
    )
    .stderr(log_file);
    let shown = process::describe(&cmd);
    let status = cmd
        .status()
        .with_context(|| format!("cannot run {shown}"))?;
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let stats = parse_stats(&text);
    let ok = status.success() && stats.artifact.is_none();
    if !ok {
        let tail: Vec<&str> = text.lines().rev().take(40).collect();
        eprintln!(
            "fuzz: {} failed ({status}); last lines of {}:",
            t.name,
            log.display()
        );
        for l in tail.iter().rev() {
            eprintln!("  {l}");
        }
    }
    Ok(Outcome {
        name: t.name.clone(),
        kind: t.kind,
        stats,
        ok,
        log,
    })
}

/// Every committed input once: C harnesses built with `cc` (and its
/// sanitizers when it has them), cargo targets by their `cargo test`.
fn replay(root: &Path, out: &Path, selected: &[Target], cc: Option<&str>) -> Result<i32> {
    let targets = config::load_targets(root)?;
    let dir = out.join("replay");
    fresh_dir(&dir)?;
    let cc = cc.unwrap_or("cc");
    let mut failed = 0;
    let c_targets: Vec<&Target> = selected.iter().filter(|t| t.kind == Kind::C).collect();
    if !c_targets.is_empty() {
        let sanitize: &[&str] = if links(cc, REPLAY_SANITIZERS, &dir, "sanitizers") {
            REPLAY_SANITIZERS
        } else {
            eprintln!(
                "fuzz: {cc} cannot link {}; replaying without sanitizers",
                REPLAY_SANITIZERS[0]
            );
            &[]
        };
        for t in c_targets {
            let bin = dir.join(&t.name);
            let mut sources = t.sources.clone();
            sources.push(format!("{C_FUZZ_DIR}/fuzz_replay.c"));
            let mut cmd = c_command(root, &targets, cc, sanitize, &sources, &bin);
            process::check(&mut cmd).with_context(|| format!("cannot build {}", t.name))?;
            let inputs = input_dirs(root, t);
            if inputs.is_empty() {
                bail!(
                    "{}: no committed inputs (no directory {})",
                    t.name,
                    t.corpus[0].display()
                );
            }
            let mut run = Command::new(&bin);
            run.current_dir(root).args(&inputs);
            let shown = process::describe(&run);
            let output = run
                .stdin(Stdio::null())
                .output()
                .with_context(|| format!("cannot run {shown}"))?;
            let stdout = String::from_utf8_lossy(&output.stdout);
            if output.status.success() {
                println!("{}: {}", t.name, stdout.trim());
            } else {
                failed += 1;
                let stderr = String::from_utf8_lossy(&output.stderr);
                let last = stderr
                    .lines()
                    .rfind(|l| l.starts_with("replay: "))
                    .unwrap_or("replay: (before the first input)");
                println!("{}: FAILED ({}) on {}", t.name, output.status, &last[8..]);
                eprintln!("{stderr}");
            }
        }
    }
    if selected.iter().any(|t| t.kind == Kind::Cargo) {
        // The cargo targets' properties, on stable: the elftool test that
        // replays every target's committed inputs.
        let mut cmd = Command::new("cargo");
        cmd.current_dir(root)
            .args(["test", "-p", "elftool", "--test", "fuzz_regressions"]);
        let shown = process::describe(&cmd);
        let status = cmd
            .status()
            .with_context(|| format!("cannot run {shown}"))?;
        if !status.success() {
            failed += 1;
            println!("cargo targets: FAILED ({shown}: {status})");
        }
    }
    Ok(i32::from(failed > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_libfuzzer_stats_and_crash_path() {
        let log = "INFO: Seed: 1\n#2 INITED\nDone 120 runs in 2 second(s)\n\
                   stat::number_of_executed_units: 120\n\
                   stat::average_exec_per_sec:     60\n\
                   stat::new_units_added:          3\n";
        assert_eq!(
            parse_stats(log),
            Stats {
                execs: Some(120),
                per_sec: Some(60),
                artifact: None
            }
        );
        let crash = "==1==ERROR: AddressSanitizer: heap-buffer-overflow\n\
                     artifact_prefix='out/a/'; Test unit written to out/a/crash-da39a3ee\n";
        assert_eq!(
            parse_stats(crash).artifact.as_deref(),
            Some("out/a/crash-da39a3ee")
        );
    }

    #[test]
    fn every_target_is_found_and_c_sources_come_from_the_tender_group() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let targets = config::load_targets(&root).unwrap();
        let all = discover(&root, &targets, "x86_64").unwrap();
        let names: Vec<&str> = all.iter().map(|t| t.name.as_str()).collect();
        for want in [
            "elftool_elf",
            "elftool_notes",
            "elftool_manifest",
            "tender_elf_load",
            "tender_elf_note",
            "tender_mft",
            "tender_args",
        ] {
            assert!(names.contains(&want), "{want} missing from {names:?}");
        }
        for t in &all {
            let seeds = input_dirs(&root, t)
                .iter()
                .flat_map(|d| std::fs::read_dir(d).unwrap())
                .count();
            assert!(seeds > 0, "{}: no seed corpus", t.name);
        }
        let load = all.iter().find(|t| t.name == "tender_elf_load").unwrap();
        assert!(load
            .sources
            .contains(&"tenders/common/elf_host_x86_64.c".to_string()));
        assert!(select(&all, &["nope".to_string()])
            .unwrap_err()
            .to_string()
            .contains("known: elftool_elf"));
    }
}
