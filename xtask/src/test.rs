//! `cargo xtask test`: cargo's own tests, a build, the checks every
//! unikernel must pass, then every (test, binding, arch) cell this machine
//! can run, ending with one line: `N passed, N failed, N skipped`.

use crate::build;
use crate::config::{self, Config};
use crate::elf;
use crate::plan::{Layout, Plan};
use crate::testspec::{self, Test};
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

    println!("== test unikernels");
    let scratch = tempdir_in(&root.join("target/solo5/test-scratch"))?;
    for a in &cfg.arches {
        let layout = Layout::new(&a.arch);
        let supported: Vec<String> = cfg
            .targets
            .linux(&a.arch)
            .map(|s| s.bindings.iter().map(|b| b.get_ref().clone()).collect())
            .unwrap_or_default();
        for t in tests.iter().filter(|t| wanted(t)) {
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
                if b == "stub" {
                    // The stub binding links but never runs; the checks
                    // above covered its unikernels.
                    continue;
                }
                if t.build_only {
                    continue;
                }
                let tender = root.join(&layout.bin).join(format!("solo5-{b}"));
                if b == "virtio" {
                    tally.skip(
                        &cell,
                        "virtio unikernels run under QEMU; that runner has not landed yet",
                    );
                    continue;
                }
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
                if a.arch != cfg.build_arch {
                    tally.skip(
                        &cell,
                        &format!(
                            "{} needs the emulated {} guest runner, which has not landed yet",
                            b, a.arch
                        ),
                    );
                    continue;
                }
                if b == "hvt" {
                    tally.skip(&cell, "hvt needs the emulated-guest runner (this machine's KVM cannot run SSE guests), which has not landed yet");
                    continue;
                }
                let unikernel = match &t.tender_input {
                    Some(bytes) => {
                        let p = scratch.join(format!("{}.input", t.name));
                        std::fs::write(&p, bytes.as_bytes())
                            .context("cannot write tender input")?;
                        p
                    }
                    None => root
                        .join(&layout.tests)
                        .join(format!("test_{}.{b}", t.name)),
                };
                match run_cell(t, &tender, &unikernel, &scratch) {
                    Ok(elapsed) => tally.pass(&cell, &format!(" {:.2}s", elapsed.as_secs_f64())),
                    Err(e) => tally.fail(&cell, &format!("{e:#}")),
                }
            }
        }
    }
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
        if !tests.iter().any(|t| t.name == name && wanted(t)) || !binding_wanted(binding) {
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

/// Runs one test cell and checks its expectations.
fn run_cell(t: &Test, tender: &Path, unikernel: &Path, scratch: &Path) -> Result<Duration> {
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
    let mut ping_error = None;
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
            cmd.args(["-W", "2"]);
            if ping.flood {
                cmd.args(["-i", "0.002"]);
            } else {
                cmd.args(["-i", "0.2"]);
            }
            let o = cmd.arg(&addr).output().context("cannot run ping")?;
            if !o.status.success() {
                ping_error = Some(format!(
                    "ping {addr} failed: {}",
                    String::from_utf8_lossy(&o.stdout).trim()
                ));
                break;
            }
        }
    }
    let timeout = Duration::from_secs(t.timeout_secs.unwrap_or(30));
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break Some(s);
        }
        if start.elapsed() > timeout {
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
    let show = || {
        format!(
            "\n  command: {}\n  output:\n{}",
            argv.join(" "),
            indent(&output)
        )
    };
    let Some(status) = status else {
        anyhow::bail!("timed out after {}s{}", timeout.as_secs(), show());
    };
    if let Some(e) = ping_error {
        anyhow::bail!("{e}{}", show());
    }
    match (&t.expect_signal, t.expect_exit.unwrap_or(0)) {
        (Some(sig), _) => {
            let want = signal_number(sig)
                .with_context(|| format!("unknown signal {sig} in tests.toml"))?;
            if status.signal() != Some(want) {
                anyhow::bail!("expected death by {sig}, got {status}{}", show());
            }
        }
        (None, code) => {
            if status.code() != Some(code) {
                anyhow::bail!("expected exit status {code}, got {status}{}", show());
            }
        }
    }
    let mut rest = output.as_str();
    for needle in &t.expect_output {
        match rest.find(needle.as_str()) {
            Some(i) => rest = &rest[i + needle.len()..],
            None => anyhow::bail!("output lacks {needle:?} (in order){}", show()),
        }
    }
    Ok(elapsed)
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
