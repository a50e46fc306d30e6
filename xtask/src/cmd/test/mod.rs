//! `cargo xtask test`: cargo's own tests, a build, the checks every
//! unikernel must pass, then every (test, binding, arch) cell this machine
//! can run, ending with one line: `N passed, N failed, N skipped`.

pub mod e2e;

use crate::cmd::build;
use crate::model::config::{self, Config};
use crate::model::tests::{self as testspec, Test};
use crate::plan::{Layout, Plan};
use crate::runner::guest;
use crate::util::elf;
use anyhow::{Context, Result};
use std::fs::File;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, clap::Args)]
#[group(skip)]
pub struct Flags {
    #[command(flatten)]
    pub build: build::Flags,
    /// Only run cells of this binding; repeatable.
    #[arg(long = "binding", value_name = "BINDING")]
    pub bindings: Vec<String>,
    /// Skip `cargo test` (unit and integration tests of the Rust crates).
    #[arg(long)]
    pub no_cargo_tests: bool,
    /// Only tests whose name contains this.
    pub filter: Option<String>,
}

#[derive(Default)]
struct Tally {
    passed: usize,
    failed: usize,
    skipped: usize,
    failures: Vec<String>,
}

impl Tally {
    fn pass(&mut self, what: &str, detail: &str) {
        self.passed += 1;
        println!("PASS {what}{detail}");
    }
    fn fail(&mut self, what: &str, why: &str) {
        self.failed += 1;
        self.failures.push(what.to_string());
        println!("FAIL {what}: {why}");
    }
    fn skip(&mut self, what: &str, why: &str) {
        self.skipped += 1;
        println!("SKIP {what}: {why}");
    }
}

pub fn run(flags: Flags) -> Result<i32> {
    let root = config::repo_root();
    let mut tally = Tally::default();
    if !flags.no_cargo_tests {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        println!("== cargo test --workspace");
        let status = Command::new(&cargo)
            .args(["test", "--workspace", "--quiet"])
            .current_dir(&root)
            .status()
            .with_context(|| format!("cannot run {cargo}"))?;
        if status.success() {
            tally.pass("cargo test --workspace", "");
        } else {
            tally.fail("cargo test --workspace", &format!("{status}"));
        }
    }
    println!("== build");
    let (cfg, plan) = build::build(&flags.build)?;
    let tests = testspec::load(&root)?;
    let wanted = |t: &Test| {
        flags
            .filter
            .as_ref()
            .is_none_or(|f| t.name.contains(f.as_str()))
    };
    let binding_wanted =
        |b: &str| flags.bindings.is_empty() || flags.bindings.iter().any(|x| x == b);

    println!("== unikernel checks (PT_INTERP guard, W^X, entry, notes, direct exec)");
    check_products(
        &root,
        &cfg,
        &plan,
        &tests,
        &wanted,
        &binding_wanted,
        &mut tally,
    );

    println!("== every ELF in each arch's tree is of that arch");
    for a in &cfg.arches {
        check_tree_machines(
            &root,
            &a.arch,
            cfg.targets.arch[&a.arch].elf_machine,
            &mut tally,
        );
    }

    println!("== bindings were built by the compiler asked for (.comment)");
    for a in &cfg.arches {
        check_comments(&root, a, &plan, &mut tally);
    }

    println!("== test unikernels");
    let scratch = tempdir_in(&root.join("target/solo5/test-scratch"))?;
    let mut hvt_native: Option<bool> = None;
    for a in &cfg.arches {
        let layout = Layout::new(&a.arch);
        let supported: Vec<String> = cfg
            .targets
            .linux(&a.arch)
            .map(|s| s.bindings.iter().map(|b| b.get_ref().clone()).collect())
            .unwrap_or_default();
        let mut guest_cells: Vec<(String, &Test, guest::Cell)> = Vec::new();
        let mut guest_files: Vec<(String, PathBuf)> = Vec::new();
        let mut guest_tenders: Vec<PathBuf> = Vec::new();
        for t in tests.iter().filter(|t| wanted(t) && t.applies_to(&a.arch)) {
            if let Some(needle) = &t.expect_build_error {
                if a.arch == cfg.build_arch && binding_wanted(&t.bindings[0]) {
                    check_build_error(&root, t, needle, &scratch, &mut tally);
                }
                continue;
            }
            for b in t
                .bindings
                .iter()
                .filter(|b| binding_wanted(b) && supported.contains(b))
            {
                let cell = format!("{} {} ({})", t.name, b, a.arch);
                // The stub binding links but never runs; the checks above
                // covered its unikernels. Build-only tests likewise.
                if b == "stub" || t.build_only {
                    continue;
                }
                // A cross-binding check applies only where both exist.
                if t.unikernel_from
                    .as_ref()
                    .is_some_and(|f| !supported.contains(f))
                {
                    continue;
                }
                if b == "virtio" {
                    tally.skip(
                        &cell,
                        "virtio unikernels run under QEMU; that runner has not landed yet",
                    );
                    continue;
                }
                let tender = root.join(&layout.bin).join(format!("solo5-{b}"));
                if !tender.exists() {
                    let why = plan
                        .skipped
                        .iter()
                        .find(|s| s.contains(&format!("solo5-{b}")) && s.starts_with(&a.arch))
                        .cloned()
                        .unwrap_or_else(|| format!("solo5-{b} was not built"));
                    tally.skip(&cell, &why);
                    continue;
                }
                let unikernel = match &t.tender_input {
                    Some(bytes) => {
                        let p = scratch.join(format!("{}.input", t.name));
                        std::fs::write(&p, bytes.as_bytes())
                            .context("cannot write tender input")?;
                        p
                    }
                    None => root.join(&layout.tests).join(format!(
                        "test_{}.{}",
                        t.source(),
                        t.unikernel_from.as_deref().unwrap_or(b)
                    )),
                };
                let native = if a.arch != cfg.build_arch {
                    false
                } else if b == "hvt" {
                    // Decided once per run, and said once.
                    *hvt_native.get_or_insert_with(|| {
                        let (ok, why) = decide_hvt(&root.join(&layout.tests), &tender);
                        println!("hvt: {why}");
                        ok
                    })
                } else {
                    true
                };
                if native {
                    match run_native(t, &tender, &unikernel, &scratch).and_then(|o| judge(t, &o)) {
                        Ok(elapsed) => {
                            tally.pass(&cell, &format!(" {:.2}s", elapsed.as_secs_f64()))
                        }
                        Err(e) => tally.fail(&cell, &format!("{e:#}")),
                    }
                } else {
                    let id = format!("c{}", guest_cells.len());
                    let tender_guest = format!("/t/solo5-{b}");
                    if !guest_tenders.contains(&tender) {
                        guest_tenders.push(tender.clone());
                        guest_files.push((tender_guest.clone(), tender.clone()));
                    }
                    let uk_guest = format!(
                        "/t/{}",
                        unikernel
                            .file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default()
                    );
                    guest_files.push((uk_guest.clone(), unikernel.clone()));
                    let c = guest_cell(&id, t, &tender_guest, &uk_guest);
                    guest_cells.push((cell, t, c));
                }
            }
        }
        if guest_cells.is_empty() {
            continue;
        }
        let Some(g) = cfg.targets.arch[&a.arch].guest.as_ref() else {
            for (cell, _, _) in &guest_cells {
                tally.skip(
                    cell,
                    &format!(
                        "no emulated guest is described for {} in targets.toml",
                        a.arch
                    ),
                );
            }
            continue;
        };
        println!(
            "guest: running {} cells in an emulated {} Linux guest ({})",
            guest_cells.len(),
            a.arch,
            g.qemu
        );
        let cells: Vec<guest::Cell> = guest_cells.iter().map(|(_, _, c)| c.clone()).collect();
        let gnu = &cfg.targets.arch[&a.arch].gnu_triple;
        match guest::run_batch(&root, &a.arch, gnu, g, &guest_files, &guest_tenders, &cells) {
            Ok(results) => {
                for (cell, t, c) in &guest_cells {
                    match results.get(&c.id) {
                        Some(r) => {
                            let core = r.fetched.as_ref().map(|bytes| {
                                let p = scratch.join(format!("{}.core", c.id));
                                std::fs::write(&p, bytes).map(|_| p)
                            });
                            let core = match core {
                                Some(Ok(p)) => Some(p),
                                Some(Err(e)) => {
                                    tally.fail(cell, &format!("cannot save the core: {e}"));
                                    continue;
                                }
                                None => None,
                            };
                            let host_uk = guest_files
                                .iter()
                                .find(|(g, _)| {
                                    Some(g)
                                        == c.argv.iter().find(|a| {
                                            a.starts_with("/t/test_") || a.ends_with(".input")
                                        })
                                })
                                .map(|(_, h)| h.clone())
                                .unwrap_or_default();
                            let o = Outcome {
                                core,
                                unikernel: host_uk,
                                // The shell reports death by signal N as
                                // 128 + N (N <= 64); 255 is exit status 255
                                // (a Solo5 abort), not a signal.
                                exit: (!(129..=192).contains(&r.status)).then_some(r.status),
                                signal: (129..=192).contains(&r.status).then_some(r.status - 128),
                                timed_out: r.timed_out,
                                during_error: r.during_failed.then(|| {
                                    "a command run during the test failed (see output)".to_string()
                                }),
                                output: r.output.clone(),
                                command: c.argv.join(" "),
                                elapsed: Duration::ZERO,
                                timeout: c.timeout_secs,
                            };
                            match judge(t, &o) {
                                Ok(_) => tally.pass(cell, " (in guest)"),
                                Err(e) => tally.fail(cell, &format!("{e:#}")),
                            }
                        }
                        None => tally.fail(cell, "the guest reported no result"),
                    }
                }
            }
            Err(e) => {
                for (cell, _, _) in &guest_cells {
                    tally.fail(cell, &format!("{e:#}"));
                }
            }
        }
    }
    // Issue 7: the packages, end to end, outside the repository (e2e.rs).
    if flags.filter.is_none() && flags.bindings.is_empty() {
        println!("== packages, end to end (outside the repository)");
        for (name, v) in crate::cmd::test::e2e::run(&cfg, &plan) {
            match v {
                crate::cmd::test::e2e::Verdict::Pass(d) => tally.pass(&name, &d),
                crate::cmd::test::e2e::Verdict::Fail(why) => tally.fail(&name, &why),
                crate::cmd::test::e2e::Verdict::Skip(why) => tally.skip(&name, &why),
            }
        }
    }
    // End of issue 7.
    let _ = std::fs::remove_dir_all(&scratch);
    println!();
    if !tally.failures.is_empty() {
        println!("failed: {}", tally.failures.join(", "));
    }
    println!(
        "{} passed, {} failed, {} skipped",
        tally.passed, tally.failed, tally.skipped
    );
    Ok(if tally.failed == 0 { 0 } else { 1 })
}

fn tempdir_in(base: &Path) -> Result<PathBuf> {
    let dir = base.join(format!("{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

fn check_products(
    root: &Path,
    cfg: &Config,
    plan: &Plan,
    tests: &[Test],
    wanted: &dyn Fn(&Test) -> bool,
    binding_wanted: &dyn Fn(&str) -> bool,
    tally: &mut Tally,
) {
    let elftool = root.join(crate::plan::tools_bin()).join("solo5-elftool");
    for p in plan.products.iter().filter(|p| p.kind == "test") {
        let (name, binding) = p.name.rsplit_once('.').unwrap_or((&p.name, ""));
        if !tests.iter().any(|t| t.source() == name && wanted(t)) || !binding_wanted(binding) {
            continue;
        }
        let what = format!("unikernel test_{} ({})", p.name, p.arch);
        let machine = cfg.targets.arch[&p.arch].elf_machine;
        let path = root.join(&p.path);
        let mut broken = match std::fs::read(&path)
            .map_err(anyhow::Error::from)
            .and_then(|d| elf::parse(&d))
        {
            Ok(e) => elf::check_unikernel(&e, machine),
            Err(e) => vec![format!("cannot read {}: {e:#}", path.display())],
        };
        for q in ["query-manifest", "query-abi"] {
            match Command::new(&elftool).arg(q).arg(&path).output() {
                Ok(o) if o.status.success() => {}
                Ok(o) => broken.push(format!(
                    "solo5-elftool {q} failed: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                )),
                Err(e) => broken.push(format!("cannot run {}: {e}", elftool.display())),
            }
        }
        // The host kernel must refuse it: the interpreter does not exist.
        match Command::new(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            // A foreign arch's ELF is refused for its machine type before
            // PT_INTERP is looked at (ENOEXEC).
            Err(e) if p.arch != cfg.build_arch && e.raw_os_error() == Some(8) => {}
            Err(e) => broken.push(format!("exec failed with {e}, not ENOENT")),
            Ok(mut child) => {
                let _ = child.kill();
                let _ = child.wait();
                broken.push("exec of the unikernel started a process".into());
            }
        }
        if broken.is_empty() {
            tally.pass(&what, "");
        } else {
            tally.fail(&what, &broken.join("; "));
        }
    }
}

/// Reads each binding object's `.comment` and checks every compiler
/// identity in it is the target compiler's: a build that silently used
/// another compiler than the one asked for fails here.
fn check_comments(root: &Path, a: &config::ArchConfig, plan: &Plan, tally: &mut Tally) {
    let Some(cc) = &a.tools.target_cc else { return };
    let want = match cc.family {
        toolchain::Family::Gcc => "GCC: ".to_string(),
        toolchain::Family::Clang => "clang version ".to_string(),
    };
    let version = format!(
        "{}.{}.{}",
        cc.version.major, cc.version.minor, cc.version.patch
    );
    for p in plan
        .products
        .iter()
        .filter(|p| p.kind == "binding" && p.arch == a.arch)
    {
        let what = format!("solo5_{}.o ({}) built by {}", p.name, a.arch, cc.describe());
        let strings = match std::fs::read(root.join(&p.path))
            .map_err(anyhow::Error::from)
            .and_then(|d| elf::comment_strings(&d))
        {
            Ok(s) => s,
            Err(e) => {
                tally.fail(&what, &format!("cannot read {}: {e:#}", p.path.display()));
                continue;
            }
        };
        // Linkers may add their own line (LLD does); compilers' lines start
        // with "GCC:" or contain "clang version".
        let compilers: Vec<&String> = strings
            .iter()
            .filter(|s| s.starts_with("GCC:") || s.contains("clang version"))
            .collect();
        let bad: Vec<&&String> = compilers
            .iter()
            .filter(|s| !(s.contains(&want) && s.contains(&version)))
            .collect();
        if compilers.is_empty() {
            tally.fail(&what, "no compiler identity in .comment");
        } else if !bad.is_empty() {
            tally.fail(
                &what,
                &format!("built by {:?}, not {} {version}", bad, cc.family),
            );
        } else {
            tally.pass(&what, "");
        }
    }
}

/// Walks target/solo5/<arch>/ and checks the machine of every ELF file, so
/// nothing built for one arch ever lands in another's tree.
fn check_tree_machines(root: &Path, arch: &str, machine: u16, tally: &mut Tally) {
    let base = root.join("target/solo5").join(arch);
    let mut stack = vec![base.clone()];
    let (mut seen, mut wrong) = (0usize, Vec::new());
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let Ok(data) = std::fs::read(&p) else {
                continue;
            };
            if !data.starts_with(b"\x7fELF") {
                continue;
            }
            seen += 1;
            match elf::parse(&data) {
                Ok(e) if e.machine == machine => {}
                Ok(e) => wrong.push(format!(
                    "{} (machine {})",
                    p.strip_prefix(root).unwrap_or(&p).display(),
                    e.machine
                )),
                Err(err) => wrong.push(format!("{}: {err:#}", p.display())),
            }
        }
    }
    let what = format!("ELF machine of {seen} files under target/solo5/{arch}");
    if seen == 0 {
        tally.fail(&what, "no ELF files found");
    } else if wrong.is_empty() {
        tally.pass(&what, "");
    } else {
        tally.fail(&what, &format!("not {arch}: {}", wrong.join(", ")));
    }
}

fn check_build_error(root: &Path, t: &Test, needle: &str, scratch: &Path, tally: &mut Tally) {
    let what = format!("{} (manifest rejected at build time)", t.name);
    let elftool = root.join(crate::plan::tools_bin()).join("solo5-elftool");
    let out_c = scratch.join(format!("{}.manifest.c", t.name));
    let json = root.join(t.dir()).join("manifest.json");
    match Command::new(&elftool)
        .arg("gen-manifest")
        .arg(&json)
        .arg(&out_c)
        .output()
    {
        Ok(o) => {
            let err = String::from_utf8_lossy(&o.stderr);
            if o.status.success() {
                tally.fail(&what, "solo5-elftool accepted it");
            } else if !err.contains(needle) {
                tally.fail(&what, &format!("message {:?} lacks {needle:?}", err.trim()));
            } else if out_c.exists() {
                tally.fail(&what, "a partial output file was left behind");
            } else {
                tally.pass(&what, "");
            }
        }
        Err(e) => tally.fail(&what, &format!("cannot run {}: {e}", elftool.display())),
    }
}

fn signal_number(name: &str) -> Option<i32> {
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

/// Network namespace with tap devices, deleted on drop.
struct NetNs {
    name: String,
}

impl NetNs {
    fn create(name: &str, taps: usize) -> Result<NetNs> {
        let ns = NetNs {
            name: name.to_string(),
        };
        let _ = Command::new("ip").args(["netns", "del", name]).output();
        sh(&["ip", "netns", "add", name])?;
        sh(&["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"])?;
        for i in 0..taps {
            let tap = format!("tap{i}");
            let addr = format!("10.0.{}.1/24", i + 1);
            sh(&[
                "ip", "netns", "exec", name, "ip", "tuntap", "add", &tap, "mode", "tap",
            ])?;
            sh(&[
                "ip", "netns", "exec", name, "ip", "addr", "add", &addr, "dev", &tap,
            ])?;
            sh(&["ip", "netns", "exec", name, "ip", "link", "set", &tap, "up"])?;
        }
        Ok(ns)
    }
}

impl Drop for NetNs {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}

fn sh(argv: &[&str]) -> Result<()> {
    let out = Command::new(argv[0])
        .args(&argv[1..])
        .output()
        .with_context(|| format!("cannot run {}", argv[0]))?;
    anyhow::ensure!(
        out.status.success(),
        "{} failed: {}",
        argv.join(" "),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(())
}

/// What happened when a cell ran, wherever it ran.
struct Outcome {
    /// The core file the tender wrote, when the test expects one.
    core: Option<PathBuf>,
    unikernel: PathBuf,
    exit: Option<i32>,
    signal: Option<i32>,
    timed_out: bool,
    during_error: Option<String>,
    output: String,
    command: String,
    elapsed: Duration,
    timeout: u64,
}

/// Runs one cell on this machine.
fn run_native(t: &Test, tender: &Path, unikernel: &Path, scratch: &Path) -> Result<Outcome> {
    let mut argv: Vec<String> = Vec::new();
    let ns = if t.nets.is_empty() {
        None
    } else {
        let name = format!("solo5test{}", std::process::id());
        let ns = NetNs::create(&name, t.nets.len())?;
        argv.extend(["ip".into(), "netns".into(), "exec".into(), name]);
        Some(ns)
    };
    argv.push(tender.display().to_string());
    if let Some(mem) = t.mem {
        argv.push(format!("--mem={mem}"));
    }
    let cell_dir = scratch.join(format!("{}.d", t.name));
    let _ = std::fs::remove_dir_all(&cell_dir);
    std::fs::create_dir_all(&cell_dir)
        .with_context(|| format!("cannot create {}", cell_dir.display()))?;
    for a in &t.tender_args {
        argv.push(a.replace("{scratch}", &cell_dir.display().to_string()));
    }
    for (name, size) in &t.blocks {
        let p = scratch.join(format!("{}-{name}.img", t.name));
        let f = File::create(&p).with_context(|| format!("cannot create {}", p.display()))?;
        f.set_len(*size).context("cannot size block image")?;
        argv.push(format!("--block:{name}={}", p.display()));
    }
    for (i, name) in t.nets.iter().enumerate() {
        argv.push(format!("--net:{name}=tap{i}"));
    }
    argv.push(unikernel.display().to_string());
    argv.extend(t.args.iter().cloned());

    let log = scratch.join(format!("{}.log", t.name));
    let out = File::create(&log).context("cannot create the test log")?;
    let start = Instant::now();
    let mut child = Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .spawn()
        .with_context(|| format!("cannot run {}", argv.join(" ")))?;
    let mut during_error = None;
    if let (Some(ns), Some(ping)) = (&ns, &t.ping) {
        std::thread::sleep(Duration::from_millis(500));
        for i in 0..t.nets.len() {
            let addr = format!("10.0.{}.2", i + 1);
            let mut cmd = Command::new("ip");
            cmd.args([
                "netns",
                "exec",
                &ns.name,
                "ping",
                "-c",
                &ping.count.to_string(),
                "-s",
                &ping.size.to_string(),
            ]);
            cmd.args(["-w", "20", "-i", if ping.flood { "0.002" } else { "0.2" }]);
            let o = cmd.arg(&addr).output().context("cannot run ping")?;
            if !o.status.success() {
                during_error = Some(format!(
                    "ping {addr} failed: {}",
                    String::from_utf8_lossy(&o.stdout).trim()
                ));
                break;
            }
        }
    }
    let timeout = t.timeout_secs.unwrap_or(30);
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break Some(s);
        }
        if start.elapsed() > Duration::from_secs(timeout) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    drop(ns);
    let output =
        String::from_utf8_lossy(&std::fs::read(&log).unwrap_or_default()).replace('\0', "");
    let core = if t.expect_core {
        find_core(&cell_dir)
    } else {
        None
    };
    Ok(Outcome {
        core,
        unikernel: unikernel.to_path_buf(),
        exit: status.and_then(|s| s.code()),
        signal: status.and_then(|s| s.signal()),
        timed_out: status.is_none(),
        during_error,
        output,
        command: argv.join(" "),
        elapsed,
        timeout,
    })
}

fn find_core(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("core."))
        })
}

/// gdb must load the core against the unikernel and show a backtrace.
fn check_core_with_gdb(unikernel: &Path, core: &Path) -> Result<(), String> {
    let out = Command::new("gdb")
        .args(["-batch", "-nx", "-ex", "info registers", "-ex", "bt"])
        .arg(unikernel)
        .arg(core)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run gdb (install gdb): {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success()
        || text.contains("is not a core dump")
        || text.contains("not in executable format")
        || !text.contains("#0")
    {
        return Err(format!(
            "gdb cannot read the core {}:\n{}",
            core.display(),
            indent(&text)
        ));
    }
    Ok(())
}

/// Checks an outcome against the test's expectations.
fn judge(t: &Test, o: &Outcome) -> Result<Duration> {
    let show = || {
        format!(
            "\n  command: {}\n  output:\n{}",
            o.command,
            indent(&o.output)
        )
    };
    if o.timed_out {
        anyhow::bail!("timed out after {}s{}", o.timeout, show());
    }
    if let Some(e) = &o.during_error {
        anyhow::bail!("{e}{}", show());
    }
    let got = match (o.exit, o.signal) {
        (Some(c), _) => format!("exit status {c}"),
        (_, Some(s)) => format!("signal {s}"),
        _ => "no status".to_string(),
    };
    match (&t.expect_signal, t.expect_exit.unwrap_or(0)) {
        (Some(sig), _) => {
            let want = signal_number(sig)
                .with_context(|| format!("unknown signal {sig} in tests.toml"))?;
            if o.signal != Some(want) {
                anyhow::bail!("expected death by {sig}, got {got}{}", show());
            }
        }
        (None, code) => {
            if o.exit != Some(code) {
                anyhow::bail!("expected exit status {code}, got {got}{}", show());
            }
        }
    }
    let mut rest = o.output.as_str();
    for needle in &t.expect_output {
        match rest.find(needle.as_str()) {
            Some(i) => rest = &rest[i + needle.len()..],
            None => anyhow::bail!("output lacks {needle:?} (in order){}", show()),
        }
    }
    for needle in &t.reject_output {
        if o.output.contains(needle.as_str()) {
            anyhow::bail!("output contains {needle:?}, which it must not{}", show());
        }
    }
    if t.expect_core {
        let core = o
            .core
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("no core file was written{}", show()))?;
        check_core_with_gdb(&o.unikernel, core).map_err(|e| anyhow::anyhow!("{e}{}", show()))?;
    }
    if t.output_digest.is_some() {
        check_digest(&o.output).map_err(|e| anyhow::anyhow!("{e}{}", show()))?;
    }
    Ok(o.elapsed)
}

/// Whether hvt cells run on this machine's /dev/kvm, and why: only when
/// it runs a guest that uses SSE (test_fpu) correctly.
fn decide_hvt(tests_dir: &Path, tender: &Path) -> (bool, String) {
    if !Path::new("/dev/kvm").exists() {
        return (
            false,
            "no /dev/kvm here: running hvt tests in an emulated guest with nested KVM".into(),
        );
    }
    let probe = tests_dir.join("test_fpu.hvt");
    if !probe.exists() {
        return (
            false,
            "no SSE probe unikernel (test_fpu.hvt) to qualify /dev/kvm: using the emulated guest"
                .into(),
        );
    }
    let out = Command::new("timeout")
        .arg("20")
        .arg(tender)
        .arg(&probe)
        .stdin(Stdio::null())
        .output();
    match out {
        Ok(o) if o.status.success() && String::from_utf8_lossy(&o.stdout).contains("SUCCESS") => (
            true,
            "this machine's /dev/kvm ran the SSE probe guest correctly: running hvt tests natively"
                .into(),
        ),
        Ok(o) => {
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            let line = text
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("no output")
                .trim()
                .to_string();
            (
                false,
                format!("this machine's /dev/kvm failed the SSE probe guest ({line}): running hvt tests in an emulated guest with nested KVM"),
            )
        }
        Err(e) => (
            false,
            format!("cannot run the SSE probe ({e}): using the emulated guest"),
        ),
    }
}

/// The shell form of a cell for the emulated guest.
fn guest_cell(id: &str, t: &Test, tender: &str, unikernel: &str) -> guest::Cell {
    let mut argv = vec![tender.to_string()];
    let mut setup = Vec::new();
    let mut during = Vec::new();
    if let Some(mem) = t.mem {
        argv.push(format!("--mem={mem}"));
    }
    let cell_dir = format!("/tmp/{id}.d");
    setup.push(format!("rm -rf {cell_dir}; mkdir -p {cell_dir}"));
    for a in &t.tender_args {
        argv.push(a.replace("{scratch}", &cell_dir));
    }
    for (name, size) in &t.blocks {
        let img = format!("/tmp/{id}-{name}.img");
        setup.push(format!("rm -f {img}; truncate -s {size} {img}"));
        argv.push(format!("--block:{name}={img}"));
    }
    if !t.nets.is_empty() {
        // Taps of earlier cells persist and hold the same 10.0.N.1/24
        // addresses, which would route this cell's pings to them.
        setup.push(
            "for d in /sys/class/net/c*n*; do [ -e \"$d\" ] && tunctl -d \"${d##*/}\"; done"
                .to_string(),
        );
    }
    for (i, name) in t.nets.iter().enumerate() {
        let tap = format!("{id}n{i}");
        setup.push(format!("tunctl -t {tap}"));
        setup.push(format!("ip addr add 10.0.{}.1/24 dev {tap}", i + 1));
        setup.push(format!("ip link set {tap} up"));
        argv.push(format!("--net:{name}={tap}"));
        if let Some(p) = &t.ping {
            if i == 0 {
                during.push("sleep 1".to_string());
            }
            // busybox ping has no -f; -A sends the next request as soon
            // as a reply arrives, -q keeps 2000 replies off the console.
            // Otherwise 0.2 s apart, as natively.
            during.push(format!(
                "ping -c {} -s {} -w 20 {} 10.0.{}.2",
                p.count,
                p.size,
                if p.flood { "-A -q" } else { "-i 0.2" },
                i + 1
            ));
        }
    }
    argv.push(unikernel.to_string());
    argv.extend(t.args.iter().cloned());
    // A core comes back over the console, base64-encoded.
    let fetch = t.expect_core.then(|| format!("{cell_dir}/core.*"));
    guest::Cell {
        id: id.to_string(),
        argv,
        setup,
        during,
        fetch,
        timeout_secs: t.timeout_secs.unwrap_or(30),
    }
}

/// 64-bit FNV-1a, the digest test_output prints over its records.
fn fnv1a64(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for &b in data {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// Checks the bytes between OUTPUT-BEGIN and OUTPUT-END against the
/// unikernel's own digest line, so truncated or mangled writes show up.
fn check_digest(output: &str) -> Result<(), String> {
    let begin = "OUTPUT-BEGIN\n";
    let start = output.find(begin).ok_or("no OUTPUT-BEGIN line")? + begin.len();
    let len = output[start..]
        .find("OUTPUT-END\n")
        .ok_or("no OUTPUT-END line")?;
    let body = &output.as_bytes()[start..start + len];
    let line = output[start + len..]
        .lines()
        .find_map(|l| l.strip_prefix("OUTPUT-DIGEST "))
        .ok_or("no OUTPUT-DIGEST line")?;
    let want = format!("fnv1a64={:016x} bytes={}", fnv1a64(body), body.len());
    if line.trim() != want {
        return Err(format!(
            "digest line says {:?}, the output received gives {want:?}",
            line.trim()
        ));
    }
    Ok(())
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
