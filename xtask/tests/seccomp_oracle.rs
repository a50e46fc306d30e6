//! The tenders' seccomp generator checked against libseccomp.
//!
//! For each arch and each tender it has (targets.toml), this builds
//! `tenders/test/seccomp_dump` with that arch's Linux compiler from the
//! tender's own sources (all but its `*_main.c` and `version.c`; headers
//! and dump glue from its main's directory, so solo5-hvt-debug is checked
//! with its dumpcore rules), runs it
//! (natively, or under user-mode QEMU: it installs no filter), and hands
//! its output, the rule table and our BPF program, to
//! `tenders/test/seccomp_oracle`, built natively with libseccomp, which
//! builds the same policy with libseccomp and compares both programs'
//! verdicts over many system calls. Each dump runs twice: with a few
//! devices, and with a full manifest.
//!
//! The oracle also checks the sandbox table: every `seccomp_*` row of
//! `tests/tests.toml` (test_seccomp's arguments: a system call and its
//! arguments, which spt runs in the guests expecting SIGSYS) must be killed
//! by every tender's program on every arch the row applies to, and the
//! system call numbers the test unikernels use (`tests/common/linux_sys.h`)
//! must be libseccomp's.
//!
//! A missing tool (libseccomp headers, cross compiler, qemu-user) skips
//! that part with a `SKIP:` line naming the Debian package; CI installs
//! them all.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Fewest cases one comparison must check to count as a real test.
const MIN_CASES: u64 = 10_000;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// The build machine's arch, named as targets.toml names it.
fn build_arch() -> &'static str {
    match std::env::consts::ARCH {
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        other => other,
    }
}

fn run(cmd: &mut Command) -> Result<Output, String> {
    cmd.current_dir(workspace())
        .output()
        .map_err(|e| format!("cannot run {:?}: {e}", cmd.get_program()))
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Whether `program` can be started at all.
fn exists(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// One arch's row of targets.toml, as far as this test needs it.
struct Arch {
    name: String,
    gnu_triple: String,
    compiler_package: String,
    tenders: Vec<String>,
}

fn str_at<'a>(v: &'a toml::Value, path: &[&str]) -> &'a str {
    let mut v = v;
    for key in path {
        v = v
            .get(key)
            .unwrap_or_else(|| panic!("targets.toml: no {}", path.join(".")));
    }
    v.as_str()
        .unwrap_or_else(|| panic!("targets.toml: {} is not a string", path.join(".")))
}

fn strings(v: Option<&toml::Value>) -> Vec<String> {
    v.and_then(toml::Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn targets() -> toml::Value {
    let path = workspace().join("targets.toml");
    let s = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    // A document (`Value`'s own `parse` reads a single value).
    toml::from_str(&s).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn arches(t: &toml::Value) -> Vec<Arch> {
    let table = t
        .get("arch")
        .and_then(toml::Value::as_table)
        .expect("targets.toml: no [arch] table");
    table
        .keys()
        .map(|name| Arch {
            name: name.clone(),
            gnu_triple: str_at(t, &["arch", name, "gnu_triple"]).to_string(),
            compiler_package: strings(
                t.get("arch")
                    .and_then(|a| a.get(name))
                    .and_then(|a| a.get("packages"))
                    .and_then(|p| p.get("debian")),
            )
            .join(" "),
            tenders: strings(
                t.get("host")
                    .and_then(|h| h.get("linux"))
                    .and_then(|l| l.get(name))
                    .and_then(|a| a.get("tenders")),
            ),
        })
        .collect()
}

/// The tender's sources for (arch): its source groups (`uses`), then its
/// own, without its main and version.c.
fn tender_sources(t: &toml::Value, tender: &str, arch: &str) -> Vec<String> {
    let entry = t.get("tender").and_then(|x| x.get(tender));
    let groups = strings(entry.and_then(|x| x.get("uses")));
    let mut all = Vec::new();
    for g in &groups {
        all.extend(strings(t.get("sources").and_then(|s| s.get(g))));
    }
    all.extend(strings(entry.and_then(|x| x.get("sources"))));
    all.into_iter()
        .map(|s| s.replace("{arch}", arch))
        .filter(|s| !s.ends_with("_main.c") && !s.ends_with("/version.c"))
        .collect()
}

/// The directory under `tenders/` of the tender's `*_main.c` (`hvt` for
/// both solo5-hvt and solo5-hvt-debug): its headers and its dump glue
/// (`tenders/test/seccomp_dump_<dir>.c`) are that directory's.
fn tender_dir(t: &toml::Value, tender: &str) -> String {
    let entry = t.get("tender").and_then(|x| x.get(tender));
    let groups = strings(entry.and_then(|x| x.get("uses")));
    let mut all = strings(entry.and_then(|x| x.get("sources")));
    for g in &groups {
        all.extend(strings(t.get("sources").and_then(|s| s.get(g))));
    }
    all.iter()
        .find(|s| s.ends_with("_main.c"))
        .and_then(|s| s.strip_prefix("tenders/"))
        .and_then(|s| s.split('/').next())
        .unwrap_or_else(|| panic!("tender {tender} has no tenders/<dir>/*_main.c"))
        .to_string()
}

fn c_flags(tender: &str) -> Vec<String> {
    [
        "-std=gnu11",
        "-O2",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-D_GNU_SOURCE",
        "-Iinclude",
        "-Itenders/common",
        "-Itenders/test",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([format!("-Itenders/{tender}")])
    .collect()
}

/// Builds the oracle; Err(message) if libseccomp is missing.
fn build_oracle(dir: &Path) -> Result<PathBuf, String> {
    let exe = dir.join("seccomp_oracle");
    let out = run(Command::new("cc")
        .args(["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror"])
        .arg("tenders/test/seccomp_oracle.c")
        .arg("-o")
        .arg(&exe)
        .arg("-lseccomp"))?;
    if out.status.success() {
        return Ok(exe);
    }
    let log = text(&out);
    if log.contains("seccomp.h") || log.contains("lseccomp") {
        return Err("libseccomp headers or library (install libseccomp-dev)".into());
    }
    panic!("cannot build the oracle:\n{log}");
}

/// The compiler and runner for (arch), or what is missing.
fn toolchain(arch: &Arch) -> Result<(Vec<String>, Option<String>), String> {
    if arch.name == build_arch() {
        return Ok((vec!["cc".into()], None));
    }
    let cc = format!("{}-gcc", arch.gnu_triple);
    if !exists(&cc) {
        return Err(format!("{cc} (install {})", arch.compiler_package));
    }
    let qemu = format!("qemu-{}", arch.name);
    if !exists(&qemu) {
        return Err(format!("{qemu} (install qemu-user)"));
    }
    Ok((vec![cc, "-static".into()], Some(qemu)))
}

/// The sandbox rows of tests/tests.toml that apply to (arch): test_seccomp
/// cells expecting SIGSYS, as the oracle's "kill <name> <args>" lines.
fn sandbox_rows(arch: &str) -> Vec<String> {
    let path = workspace().join("tests/tests.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let v: toml::Value =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let tests = v.get("test").and_then(toml::Value::as_array);
    let mut rows = Vec::new();
    for t in tests.into_iter().flatten() {
        let args = strings(t.get("args"));
        let arches = strings(t.get("arches"));
        let is_row = t.get("source").and_then(toml::Value::as_str) == Some("seccomp")
            && t.get("expect_signal").and_then(toml::Value::as_str) == Some("SIGSYS")
            && !args.is_empty();
        if is_row && (arches.is_empty() || arches.iter().any(|a| a == arch)) {
            rows.push(format!("kill {}", args.join(" ")));
        }
    }
    rows
}

/// The test unikernels' system call numbers for (arch), from the
/// `X(name, nr)` lines of its block in tests/common/linux_sys.h, as the
/// oracle's "number <name> <nr>" lines.
fn syscall_numbers(arch: &str) -> Vec<String> {
    let path = workspace().join("tests/common/linux_sys.h");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut current = String::new();
    let mut lines = Vec::new();
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("#define LINUX_ARCH ") {
            current = rest.trim_matches('"').to_string();
        } else if let Some(call) = line.strip_prefix("X(") {
            let call = call.split(')').next().unwrap_or_default();
            if let Some((name, nr)) = call.split_once(',') {
                if current == arch {
                    lines.push(format!("number {} {}", name.trim(), nr.trim()));
                }
            }
        }
    }
    lines
}

/// Runs every sandbox row through the kernel: `seccomp_dump install NR
/// ARGS...` installs the tender's filter and makes the call, which must
/// kill it with SIGSYS. Natively only (user-mode QEMU cannot install
/// filters; spt runs the rows in the guests, as test cells). Returns the
/// number of rows run.
fn kernel_kills(exe: &Path, what: &str, rows: &[String], numbers: &[String]) -> usize {
    use std::os::unix::process::ExitStatusExt;
    const SIGSYS: i32 = 31; // on every Linux arch here
    let nr_of = |name: &str| {
        numbers
            .iter()
            .find_map(|l| l.strip_prefix(&format!("number {name} ")))
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or_else(|| panic!("{what}: no number for {name} in tests/common/linux_sys.h"))
    };
    for row in rows {
        let mut words = row.split(' ').skip(1); // "kill"
        let name = words.next().expect("a row names a system call");
        let nr = match name.strip_prefix("x32:") {
            Some(base) => nr_of(base) | 0x4000_0000,
            None => nr_of(name),
        };
        let out = run(Command::new(exe)
            .arg("install")
            .arg(nr.to_string())
            .args(words))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            out.status.signal(),
            Some(SIGSYS),
            "{what}: `{row}` under the installed filter: {:?}, not SIGSYS:\n{}",
            out.status,
            text(&out)
        );
    }
    rows.len()
}

/// (checked, not killed) from the oracle's sandbox line.
fn sandbox_counts(report: &str) -> (u64, u64) {
    let line = report
        .lines()
        .find(|l| l.contains(" sandbox calls checked"))
        .unwrap_or_default();
    let num = |before: &str| {
        line.split(before)
            .next()
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(u64::MAX)
    };
    (num(" sandbox calls checked"), num(" not killed"))
}

/// N in the oracle's "<arch>: N cases checked, ..." line.
fn cases(report: &str) -> u64 {
    report
        .lines()
        .find_map(|l| {
            l.split(" cases checked")
                .next()
                .filter(|_| l.contains(" cases checked"))
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// A part that cannot run here says so; under CI, where `.ci/run` installs
/// every package, that is a failure.
fn skip(why: &str) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{why} (CI installs it: cargo xtask doctor --install --all)"
    );
    println!("SKIP: {why}");
}

/// DUMP_FD_NEXT in tenders/test/seccomp_dump.h: the descriptor the dump
/// says the next file created under the filter gets.
const DUMP_FD_NEXT: u64 = 7;

/// --dumpcore widens the hvt filter only to the exact core descriptor and
/// the exact mincore() call: every check of its rules is an equality;
/// pwrite64 and close check the descriptor (only), mincore all three
/// arguments. (The oracle then shows the BPF enforces the table.)
fn check_dumpcore_rules(dump: &str, what: &str) {
    let mut rules = 0;
    for line in dump.lines().filter(|l| l.starts_with("rule ")) {
        let Some((checks, name)) = line.split_once(" | ") else {
            panic!("{what}: malformed dump line {line:?}");
        };
        if !name.starts_with("dumpcore:") {
            continue;
        }
        rules += 1;
        let words: Vec<&str> = checks.split_whitespace().collect();
        let triples: Vec<(&str, &str, u64)> = words[3..]
            .chunks(3)
            .map(|c| {
                let v = c[2];
                let value = match v.strip_prefix("0x") {
                    Some(h) => u64::from_str_radix(h, 16),
                    None => v.parse(),
                }
                .unwrap_or_else(|e| panic!("{what}: {line:?}: {e}"));
                (c[0], c[1], value)
            })
            .collect();
        assert!(
            triples.iter().all(|(_, op, _)| *op == "EQ"),
            "{what}: a dumpcore rule allows a range: {line:?}"
        );
        let args: Vec<&str> = triples.iter().map(|t| t.0).collect();
        if name.contains("write") || name.contains("close") {
            assert_eq!(args, ["0"], "{what}: {line:?}");
            assert_eq!(triples[0].2, DUMP_FD_NEXT, "{what}: {line:?}");
        } else if name.contains("mincore") {
            assert_eq!(args, ["0", "1", "2"], "{what}: {line:?}");
        }
    }
    if what.contains("hvt-debug") {
        assert_eq!(
            rules, 4,
            "{what}: openat, pwrite64, close and mincore rules:\n{dump}"
        );
    }
}

#[test]
fn generator_matches_libseccomp() {
    let t = targets();
    let tmp = tempfile::Builder::new()
        .prefix("solo5-seccomp-oracle-")
        .tempdir()
        .expect("cannot make a temporary directory");
    let oracle = match build_oracle(tmp.path()) {
        Ok(exe) => exe,
        Err(missing) => {
            skip(&missing);
            return;
        }
    };

    let mut checked = 0;
    for arch in arches(&t) {
        let (cc, qemu) = match toolchain(&arch) {
            Ok(x) => x,
            Err(missing) => {
                skip(&format!("{}: {missing}", arch.name));
                continue;
            }
        };
        let rows = sandbox_rows(&arch.name);
        let numbers = syscall_numbers(&arch.name);
        assert!(
            !rows.is_empty() && !numbers.is_empty(),
            "{}: no sandbox rows in tests/tests.toml or no system call \
             numbers in tests/common/linux_sys.h",
            arch.name
        );
        let calls = tmp.path().join(format!("calls_{}.txt", arch.name));
        std::fs::write(
            &calls,
            format!("{}\n{}\n", numbers.join("\n"), rows.join("\n")),
        )
        .expect("cannot write the sandbox table");
        for tender in &arch.tenders {
            let exe = tmp
                .path()
                .join(format!("seccomp_dump_{}_{tender}", arch.name));
            let out = run(Command::new(&cc[0])
                .args(&cc[1..])
                .args(c_flags(&tender_dir(&t, tender)))
                .args(tender_sources(&t, tender, &arch.name))
                .arg("tenders/test/seccomp_dump.c")
                .arg(format!(
                    "tenders/test/seccomp_dump_{}.c",
                    tender_dir(&t, tender)
                ))
                .arg("-o")
                .arg(&exe))
            .unwrap_or_else(|e| panic!("{e}"));
            assert!(
                out.status.success(),
                "{} {tender}: cannot build the dump:\n{}",
                arch.name,
                text(&out)
            );

            if qemu.is_none() {
                let n = kernel_kills(&exe, &format!("{} {tender}", arch.name), &rows, &numbers);
                println!(
                    "{} {tender}: {n} sandbox rows killed by the kernel",
                    arch.name
                );
            }

            for (variant, arg) in [("a few devices", None), ("a full manifest", Some("many"))] {
                let mut cmd = match &qemu {
                    Some(q) => {
                        let mut c = Command::new(q);
                        c.arg(&exe);
                        c
                    }
                    None => Command::new(&exe),
                };
                cmd.args(arg);
                let out = run(&mut cmd).unwrap_or_else(|e| panic!("{e}"));
                assert!(
                    out.status.success(),
                    "{} {tender}, {variant}: the dump failed:\n{}",
                    arch.name,
                    text(&out)
                );
                let dump = tmp.path().join(format!(
                    "dump_{}_{tender}_{}.txt",
                    arch.name,
                    arg.unwrap_or("few")
                ));
                std::fs::write(&dump, &out.stdout).expect("cannot write the dump");
                let what = format!("{} {tender}, {variant}", arch.name);
                check_dumpcore_rules(&String::from_utf8_lossy(&out.stdout), &what);

                let out = run(Command::new(&oracle).arg(&dump).arg(&calls))
                    .unwrap_or_else(|e| panic!("{e}"));
                let report = text(&out);
                println!("{} {tender}, {variant}:\n{report}", arch.name);
                assert!(
                    out.status.success(),
                    "{} {tender}, {variant}: our BPF differs from libseccomp's:\n{report}",
                    arch.name
                );
                let n = cases(&report);
                assert!(
                    n >= MIN_CASES,
                    "{} {tender}, {variant}: only {n} cases checked:\n{report}",
                    arch.name
                );
                let (calls_checked, not_killed) = sandbox_counts(&report);
                assert_eq!(
                    (calls_checked, not_killed),
                    (rows.len() as u64, 0),
                    "{} {tender}, {variant}: the sandbox table was not checked in \
                     full:\n{report}",
                    arch.name
                );
                checked += n;
            }
        }
    }
    println!("seccomp oracle: {checked} cases checked in all");
}
