//! `cargo xtask bench <what>`: how long things take and how much memory,
//! as min / median / max over several runs. Each benchmark is one function
//! listed in `BENCHES`; it returns rows of samples and this file prints the
//! table. `--save FILE` keeps the samples as a baseline, `--compare FILE`
//! prints each median beside the baseline's with their ratio, so a
//! regression shows.

use crate::cli::{self, Arg, Matches, Opt};
use crate::model::config;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

#[derive(Debug, Clone)]
pub struct Flags {
    pub what: String,
    pub runs: u32,
    pub jobs: Option<usize>,
    pub build_dir: Option<PathBuf>,
    pub save: Option<PathBuf>,
    pub compare: Option<PathBuf>,
}

pub const OPTS: &[Opt] = &[
    Opt::value("runs", "RUNS", "Runs per measurement").default("5"),
    Opt::value(
        "jobs",
        "JOBS",
        "Parallel jobs for builds (default: the number of cores)",
    )
    .short('j'),
    Opt::value(
        "build-dir",
        "DIR",
        "Build directory for the tenders benchmark's build (see `build`); the build benchmark \
         always builds a scratch copy in its own tree",
    ),
    Opt::value(
        "save",
        "FILE",
        "Save the samples to FILE (TOML), as a baseline for --compare",
    ),
    Opt::value(
        "compare",
        "FILE",
        "Compare with a baseline saved by --save: each median beside the baseline's, and their \
         ratio",
    ),
];

pub const ARG: Arg = Arg {
    name: "WHAT",
    required: true,
    possible: NAMES,
    help: "What to measure: build (clean, no-op and touch-one-source builds of a scratch copy \
           of the tree); tenders (wall time and peak RSS of solo5-spt and solo5-hvt running \
           test_hello, and of solo5-virtio-run booting it in QEMU to its exit, beside /bin/true)",
};

impl Flags {
    pub fn from_matches(m: &Matches) -> Result<Flags, cli::Error> {
        let runs = m.parse("runs")?.unwrap_or(5);
        if runs == 0 {
            return Err(m.error("invalid value '0' for '--runs <RUNS>': at least 1".into()));
        }
        Ok(Flags {
            what: m.arg.clone().unwrap_or_default(),
            runs,
            jobs: m.parse("jobs")?,
            build_dir: m.value("build-dir").map(PathBuf::from),
            save: m.value("save").map(PathBuf::from),
            compare: m.value("compare").map(PathBuf::from),
        })
    }
}

struct Bench {
    name: &'static str,
    run: fn(&Flags) -> Result<Report>,
}

/// The benchmarks. Adding one is a function and a line here.
const BENCHES: &[Bench] = &[
    Bench {
        name: "build",
        run: bench_build,
    },
    Bench {
        name: "tenders",
        run: bench_tenders,
    },
];

/// The names in `BENCHES`, for the command line (a test keeps them equal).
const NAMES: &[&str] = &["build", "tenders"];

/// What a benchmark measured.
struct Report {
    /// One line saying what was measured, and how.
    title: String,
    rows: Vec<Row>,
    notes: Vec<String>,
}

impl Report {
    /// The width of the first column of the tables.
    fn label_width(&self) -> usize {
        self.rows
            .iter()
            .map(|r| r.what.len())
            .max()
            .unwrap_or(0)
            .max(4)
    }
}

struct Row {
    what: String,
    samples: Vec<Duration>,
    /// Peak RSS of each run in KiB: the largest of the measured process
    /// and every process it waited for (a build's compilers, say).
    rss_kib: Vec<u64>,
    /// Free text for the last column (steps run, say).
    detail: String,
}

/// What `--save` writes and `--compare` reads.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Baseline {
    bench: String,
    rows: Vec<BaselineRow>,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct BaselineRow {
    what: String,
    /// Wall times in microseconds.
    micros: Vec<u64>,
    rss_kib: Vec<u64>,
}

pub fn run(flags: Flags) -> Result<i32> {
    let bench = BENCHES
        .iter()
        .find(|b| b.name == flags.what)
        .with_context(|| format!("no benchmark named {:?}", flags.what))?;
    // Read first: a bad baseline fails before minutes of measuring.
    let baseline = flags
        .compare
        .as_ref()
        .map(|p| load_baseline(p, bench.name))
        .transpose()?;
    let report = (bench.run)(&flags)?;
    print!("{}", render(&report));
    if let Some(base) = &baseline {
        print!("{}", compare(&report, base));
    }
    if let Some(path) = &flags.save {
        let base = Baseline {
            bench: bench.name.to_string(),
            rows: report
                .rows
                .iter()
                .map(|r| BaselineRow {
                    what: r.what.clone(),
                    micros: r.samples.iter().map(|d| d.as_micros() as u64).collect(),
                    rss_kib: r.rss_kib.clone(),
                })
                .collect(),
        };
        let text = toml::to_string(&base).context("cannot serialise the baseline")?;
        toolchain::cache::write_atomic(path, text.as_bytes())?;
        println!("\nsaved as a baseline in {}", path.display());
    }
    Ok(0)
}

fn load_baseline(path: &Path, bench: &str) -> Result<Baseline> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the baseline {}", path.display()))?;
    let base: Baseline = toml::from_str(&text).with_context(|| {
        format!(
            "{} is not a baseline saved by `cargo xtask bench --save`",
            path.display()
        )
    })?;
    if base.bench != bench {
        bail!(
            "{} is a baseline of `bench {}`, not of `bench {bench}`",
            path.display(),
            base.bench
        );
    }
    Ok(base)
}

/// Each row's median time and RSS beside the baseline's, with ratios.
fn compare(report: &Report, base: &Baseline) -> String {
    let width = report.label_width();
    let mut out = format!(
        "\ncompared with the baseline (medians; ratio = now / baseline)\n\n{:width$}  {:>9}  {:>9}  {:>6}  {:>9}  {:>9}  {:>6}\n",
        "", "baseline", "now", "ratio", "RSS base", "RSS now", "ratio"
    );
    for r in &report.rows {
        let Some(b) = base.rows.iter().find(|b| b.what == r.what) else {
            out.push_str(&format!("{:width$}  (not in the baseline)\n", r.what));
            continue;
        };
        let then: Vec<Duration> = b.micros.iter().map(|&m| Duration::from_micros(m)).collect();
        let (_, then, _) = stats(&then);
        let (_, now, _) = stats(&r.samples);
        let (then_rss, now_rss) = (median_u64(&b.rss_kib), median_u64(&r.rss_kib));
        let ratio = |a: f64, b: f64| {
            if b > 0.0 {
                format!("{:.2}x", a / b)
            } else {
                "-".into()
            }
        };
        out.push_str(&format!(
            "{:width$}  {:>9}  {:>9}  {:>6}  {:>9}  {:>9}  {:>6}\n",
            r.what,
            human(then),
            human(now),
            ratio(now.as_secs_f64(), then.as_secs_f64()),
            format!("{then_rss} KiB"),
            format!("{now_rss} KiB"),
            ratio(now_rss as f64, then_rss as f64),
        ));
    }
    out
}

fn median_u64(v: &[u64]) -> u64 {
    let mut v = v.to_vec();
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

/// Runs `cmd` to the end, its output captured; returns the output, the
/// wall time and the peak RSS in KiB (wait4's, which covers the process and
/// everything it waited for).
fn run_measured(cmd: &mut Command) -> Result<(std::process::Output, Duration, u64)> {
    use std::io::Read;
    let start = Instant::now();
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {:?}", cmd.get_program()))?;
    let mut stdout = child.stdout.take().context("stdout")?;
    let mut stderr = child.stderr.take().context("stderr")?;
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stderr.read_to_end(&mut v);
        v
    });
    let mut out = Vec::new();
    let _ = stdout.read_to_end(&mut out);
    let mut status = 0;
    // SAFETY: plain syscall on our own child's pid, with valid pointers.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let took = start.elapsed();
    if r != pid {
        return Err(std::io::Error::last_os_error()).context("wait4");
    }
    let err = err.join().unwrap_or_default();
    use std::os::unix::process::ExitStatusExt;
    Ok((
        std::process::Output {
            status: std::process::ExitStatus::from_raw(status),
            stdout: out,
            stderr: err,
        },
        took,
        usage.ru_maxrss as u64,
    ))
}

fn render(report: &Report) -> String {
    let width = report.label_width();
    let mut out = format!("{}\n\n", report.title);
    out.push_str(&format!(
        "{:width$}  {:>9}  {:>9}  {:>9}  {:>23}  {}\n",
        "", "min", "median", "max", "peak RSS min/med/max", "detail"
    ));
    for r in &report.rows {
        let (min, median, max) = stats(&r.samples);
        let mut rss = r.rss_kib.clone();
        rss.sort();
        let rss = match (rss.first(), rss.last()) {
            (Some(lo), Some(hi)) => format!("{lo}/{}/{hi} KiB", median_u64(&rss)),
            _ => "-".into(),
        };
        out.push_str(&format!(
            "{:width$}  {:>9}  {:>9}  {:>9}  {:>23}  {}\n",
            r.what,
            human(min),
            human(median),
            human(max),
            rss,
            r.detail
        ));
    }
    for n in &report.notes {
        out.push_str(&format!("\nnote: {n}\n"));
    }
    out
}

fn stats(samples: &[Duration]) -> (Duration, Duration, Duration) {
    let mut s = samples.to_vec();
    s.sort();
    if s.is_empty() {
        return Default::default();
    }
    let n = s.len();
    let median = if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2
    };
    (s[0], median, s[n - 1])
}

fn human(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs >= 1.0 {
        format!("{secs:.2} s")
    } else {
        format!("{:.1} ms", secs * 1000.0)
    }
}

// ---------------------------------------------------------------------------
// build: the build engine.

/// What a scratch copy of the tree needs.
const SOURCES: &[&str] = &[
    "targets.toml",
    "include",
    "ld-scripts",
    "bindings",
    "tenders",
    "tests",
];

/// A copy of the tree's sources in a temp dir, removed when dropped.
struct Scratch {
    root: PathBuf,
}

impl Scratch {
    fn new(from: &Path) -> Result<Scratch> {
        let root = std::env::temp_dir().join(format!("solo5-bench-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let scratch = Scratch { root };
        std::fs::create_dir_all(&scratch.root)
            .with_context(|| format!("cannot create {}", scratch.root.display()))?;
        for name in SOURCES {
            let src = from.join(name);
            if src.exists() {
                copy_tree(&src, &scratch.root.join(name))?;
            }
        }
        Ok(scratch)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    if from.is_dir() {
        std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
        let entries =
            std::fs::read_dir(from).with_context(|| format!("cannot list {}", from.display()))?;
        for e in entries {
            let e = e.with_context(|| format!("cannot list {}", from.display()))?;
            copy_tree(&e.path(), &to.join(e.file_name()))?;
        }
    } else {
        std::fs::copy(from, to)
            .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    }
    Ok(())
}

/// One build of the scratch tree by this very xtask binary.
struct Build<'a> {
    exe: PathBuf,
    scratch: &'a Scratch,
    jobs: Option<usize>,
}

/// What one build printed that the table uses.
struct Outcome {
    took: Duration,
    rss_kib: u64,
    /// "K of N".
    steps: String,
    /// Sources compiled for the target (`CC` lines).
    compiled: Vec<String>,
}

impl Build<'_> {
    fn run(&self) -> Result<Outcome> {
        let mut cmd = Command::new(&self.exe);
        cmd.arg("build").env("SOLO5_XTASK_ROOT", &self.scratch.root);
        if let Some(j) = self.jobs {
            cmd.args(["--jobs", &j.to_string()]);
        }
        let (out, took, rss_kib) = run_measured(&mut cmd)?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            bail!(
                "the build failed ({}):\n{stdout}{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let mut steps = String::new();
        let mut compiled = Vec::new();
        for line in stdout.lines() {
            if let Some(n) = line
                .strip_prefix("nothing to do: all ")
                .and_then(|s| s.strip_suffix(" steps up to date"))
            {
                steps = format!("0 of {n}");
            } else if let Some(s) = line
                .strip_prefix("ran ")
                .and_then(|s| s.strip_suffix(" steps"))
            {
                steps = s.to_string();
            } else if let Some((_, rest)) = line.split_once("] CC ") {
                if let Some((_arch, label)) = rest.split_once(' ') {
                    compiled.push(label.to_string());
                }
            }
        }
        Ok(Outcome {
            took,
            rss_kib,
            steps,
            compiled,
        })
    }
}

/// Removes build outputs; `keep_toolchains` keeps the detection caches.
fn clean(root: &Path, keep_toolchains: bool) -> Result<()> {
    let out = root.join(crate::model::layout::IN_TREE);
    if !keep_toolchains {
        return match std::fs::remove_dir_all(&out) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(e).with_context(|| format!("cannot remove {}", out.display()))
            }
            _ => Ok(()),
        };
    }
    let Ok(dirs) = std::fs::read_dir(&out) else {
        return Ok(());
    };
    for dir in dirs.flatten().filter(|e| e.path().is_dir()) {
        for e in std::fs::read_dir(dir.path())?.flatten() {
            let p = e.path();
            if p.is_dir() {
                std::fs::remove_dir_all(&p)
            } else if e.file_name() != "toolchain.toml" {
                std::fs::remove_file(&p)
            } else {
                Ok(())
            }
            .with_context(|| format!("cannot remove {}", p.display()))?;
        }
    }
    Ok(())
}

/// Gives a file a new mtime, as saving it unchanged would.
fn touch(path: &Path) -> Result<()> {
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(SystemTime::now()))
        .with_context(|| format!("cannot touch {}", path.display()))
}

/// Runs `f` `runs` times; the row's detail is the last run's step count.
fn measure(what: &str, runs: u32, mut f: impl FnMut(u32) -> Result<Outcome>) -> Result<Row> {
    let mut samples = Vec::new();
    let mut rss_kib = Vec::new();
    let mut detail = String::new();
    for i in 0..runs {
        let o = f(i)?;
        samples.push(o.took);
        rss_kib.push(o.rss_kib);
        detail = o.steps;
    }
    Ok(Row {
        what: what.into(),
        samples,
        rss_kib,
        detail,
    })
}

fn bench_build(flags: &Flags) -> Result<Report> {
    let root = config::repo_root()?;
    let scratch = Scratch::new(&root)?;
    let b = Build {
        exe: std::env::current_exe().context("cannot find the xtask binary")?,
        scratch: &scratch,
        jobs: flags.jobs,
    };
    let runs = flags.runs;
    let mut rows = Vec::new();
    let mut compiled = Vec::new();

    rows.push(measure("clean build", runs, |_| {
        clean(&scratch.root, false)?;
        let o = b.run()?;
        compiled = o.compiled.clone();
        Ok(o)
    })?);
    rows.push(measure("clean build, toolchains cached", runs, |_| {
        clean(&scratch.root, true)?;
        b.run()
    })?);
    rows.push(measure("no-op build", runs, |_| b.run())?);
    for (what, dir) in [
        ("touch one binding source", "bindings/"),
        ("touch one test source", "tests/"),
    ] {
        let sources: Vec<&String> = compiled.iter().filter(|s| s.starts_with(dir)).collect();
        if sources.is_empty() {
            continue;
        }
        rows.push(measure(what, runs, |i| {
            touch(&scratch.root.join(sources[i as usize % sources.len()]))?;
            b.run()
        })?);
    }

    let jobs = flags
        .jobs
        .map_or("the number of cores".to_string(), |j| format!("{j}"));
    let mut notes = Vec::new();
    if cfg!(debug_assertions) {
        notes.push(
            "this xtask is a debug build (as `cargo xtask` runs it): no-op times include \
             unoptimised TOML parsing and hashing"
                .to_string(),
        );
    }
    Ok(Report {
        title: format!(
            "build: a scratch copy of the tree, {}, jobs = {jobs}, {runs} runs each",
            config::build_arch(&config::load_targets(&config::repo_root()?)?)
        ),
        rows,
        notes,
    })
}

// ---------------------------------------------------------------------------
// tenders: start-up cost of a unikernel, measured against /bin/true.

/// Runs `argv`; returns wall time and peak RSS in KiB.
fn timed_run(argv: &[String]) -> Result<(Duration, u64)> {
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..]).stdin(std::process::Stdio::null());
    let (out, took, kib) = run_measured(&mut cmd)?;
    if !out.status.success() {
        bail!("{} failed ({})", argv.join(" "), out.status);
    }
    Ok((took, kib))
}

/// The peak RSS in KiB of `argv` and every process it starts: the largest
/// high-water mark (`VmHWM`) of their own memory, each read as the process
/// exits. `wait4`'s `ru_maxrss` cannot tell it: a child begins with this
/// program's memory (shared when spawned, copied when forked), and `exec`
/// folds that memory's peak into the child's, so every row would show the
/// xtask's size. Each process is traced (`PTRACE_TRACEME`, then its forks)
/// and stopped at its exit (`PTRACE_O_TRACEEXIT`), where its memory is
/// still there to read; `/usr/bin/time` gives the same figure when its own
/// forked copy is smaller than the program it runs. Tracing costs stops, so
/// these runs are not the timed ones.
fn peak_rss_kib(argv: &[String]) -> Result<u64> {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    // SAFETY: between fork and exec, one raw system call and no allocation.
    unsafe {
        cmd.pre_exec(|| {
            let n = std::ptr::null_mut::<libc::c_void>();
            if libc::ptrace(libc::PTRACE_TRACEME, 0, n, n) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd
        .spawn()
        .with_context(|| format!("cannot run {} traced", argv[0]))?;
    let first = child.id() as libc::pid_t;
    // An exec of a traced process becomes an event stop, not a SIGTRAP.
    let options = libc::PTRACE_O_TRACEEXIT
        | libc::PTRACE_O_TRACEEXEC
        | libc::PTRACE_O_TRACEFORK
        | libc::PTRACE_O_TRACEVFORK
        | libc::PTRACE_O_TRACECLONE
        | libc::PTRACE_O_EXITKILL;
    let (mut peak, mut exit_status) = (0u64, None);
    let mut started = std::collections::HashSet::new();
    loop {
        let mut status = 0;
        // SAFETY: waits for our own traced children, valid pointer.
        let pid = unsafe { libc::waitpid(-1, &mut status, libc::__WALL) };
        if pid == -1 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::ECHILD) {
                break;
            }
            return Err(e).context("waitpid");
        }
        if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
            if pid == first {
                exit_status = Some(status);
            }
            continue;
        }
        if !libc::WIFSTOPPED(status) {
            continue;
        }
        let (sig, event) = (libc::WSTOPSIG(status), (status >> 16) & 0xff);
        let mut deliver = 0;
        if event == libc::PTRACE_EVENT_EXIT {
            let text = std::fs::read_to_string(format!("/proc/{pid}/status"))
                .with_context(|| format!("cannot read the status of process {pid}"))?;
            peak = peak.max(vm_hwm_kib(&text).context("no VmHWM in /proc/PID/status")?);
        } else if event != 0 {
            // A fork, clone or exec: a new process is traced from its start.
        } else if started.insert(pid) {
            // The first stop of each process is ours: the SIGTRAP of the
            // first exec, or the SIGSTOP a traced fork starts with.
            ptrace_stopped(libc::PTRACE_SETOPTIONS, pid, options as usize);
        } else {
            deliver = sig;
        }
        // (deliver) is the signal it stopped with, or 0.
        ptrace_stopped(libc::PTRACE_CONT, pid, deliver as usize);
    }
    match exit_status {
        Some(s) if libc::WIFEXITED(s) && libc::WEXITSTATUS(s) == 0 => Ok(peak),
        s => bail!(
            "{} failed under tracing (wait status {s:?})",
            argv.join(" ")
        ),
    }
}

/// A ptrace request with a data word on `pid`, a stopped tracee of ours.
/// It fails only when the tracee is gone, which the next wait reports.
fn ptrace_stopped(request: libc::c_uint, pid: libc::pid_t, data: usize) {
    // SAFETY: no memory of ours is passed; the tracee is ours.
    unsafe {
        libc::ptrace(
            request,
            pid,
            std::ptr::null_mut::<libc::c_void>(),
            data as *mut libc::c_void,
        )
    };
}

/// `VmHWM` of a `/proc/PID/status` text, in KiB.
fn vm_hwm_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn bench_tenders(flags: &Flags) -> Result<Report> {
    let build_flags = crate::cmd::build::Flags {
        tools: config::ToolFlags {
            build_dir: flags.build_dir.clone(),
            ..config::ToolFlags::default()
        },
        jobs: flags.jobs,
        verbose: false,
    };
    let (cfg, _) = crate::cmd::build::build(&build_flags)?;
    let root = config::repo_root()?;
    let arch = cfg.build_arch.clone();
    let layout = crate::model::layout::Layout::new(&cfg.out, &arch);
    let mut runners = crate::runner::Runners::new(&cfg, &root);
    let runs = flags.runs.max(1) * 4;
    let mut cases: Vec<(String, Vec<String>)> =
        vec![("/bin/true".into(), vec!["/bin/true".into()])];
    let mut notes = Vec::new();
    // Every binding a tender runs, measured where it runs natively.
    for b in cfg.targets.binding.keys() {
        let Some(tender) = runners.tender(&arch, b) else {
            continue;
        };
        let uk = root.join(layout.unikernel("hello", b));
        let tname = tender
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !tender.exists() || !uk.exists() {
            notes.push(format!("{tname} or test_hello.{b} not built: not measured"));
            continue;
        }
        // A QEMU-booted binding: boot to exit of a whole machine, quiet.
        let (options, how) = match runners.placement(&arch, b) {
            crate::runner::Placement::Native => (vec![], String::new()),
            // The probe failed (a paravirtual KVM rejects SSE guests), yet
            // test_hello may still run on this KVM: measured when it does.
            crate::runner::Placement::Guest
                if timed_run(&[tender.display().to_string(), uk.display().to_string()]).is_ok() =>
            {
                let (_, kvm) = crate::runner::kvm::summary();
                notes.push(format!(
                    "{tname} test_hello.{b} runs on this machine's KVM although the probe does not ({kvm})"
                ));
                (vec![], " (this KVM)".into())
            }
            crate::runner::Placement::Qemu { kvm: true } => {
                (vec!["-q", "-H", "kvm"], " (KVM)".into())
            }
            crate::runner::Placement::Qemu { kvm: false } => {
                (vec!["-q", "-H", "qemu"], " (TCG)".into())
            }
            _ => {
                notes.push(format!(
                    "{tname} test_hello.{b} does not run natively here: not measured"
                ));
                continue;
            }
        };
        let mut argv = vec![tender.display().to_string()];
        argv.extend(options.into_iter().map(String::from));
        argv.extend([uk.display().to_string(), "Hello".into()]);
        cases.push((format!("{tname} test_hello.{b}{how}"), argv));
    }
    let mut rows = Vec::new();
    for (what, argv) in cases {
        let (mut samples, mut rss) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            samples.push(timed_run(&argv)?.0);
        }
        for _ in 0..runs {
            match peak_rss_kib(&argv) {
                Ok(kib) => rss.push(kib),
                Err(e) => {
                    notes.push(format!("{what}: peak RSS not measured: {e:#}"));
                    break;
                }
            }
        }
        rows.push(Row {
            what,
            samples,
            rss_kib: rss,
            detail: String::new(),
        });
    }
    notes.push("wall time includes this program's fork and exec, the same for every row".into());
    Ok(Report {
        title: format!("tender start-up on {arch}: {runs} runs each, wall time and peak RSS (min / median / max)"),
        rows,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peak_rss_is_read_from_vm_hwm() {
        let status =
            "Name:\tsolo5-hvt\nVmPeak:\t  9000 kB\nVmHWM:\t    1424 kB\nVmRSS:\t 1400 kB\n";
        assert_eq!(vm_hwm_kib(status), Some(1424));
        assert_eq!(vm_hwm_kib("VmRSS:\t 1400 kB\n"), None);
    }

    #[test]
    fn command_line_names_every_bench() {
        let names: Vec<&str> = BENCHES.iter().map(|b| b.name).collect();
        assert_eq!(names, NAMES);
    }

    #[test]
    fn medians() {
        let ms = Duration::from_millis;
        assert_eq!(stats(&[ms(3), ms(1), ms(2)]), (ms(1), ms(2), ms(3)));
        assert_eq!(
            stats(&[ms(4), ms(1), ms(2), ms(3)]),
            (ms(1), Duration::from_micros(2500), ms(4))
        );
    }

    #[test]
    fn table() {
        let report = Report {
            title: "t".into(),
            rows: vec![Row {
                what: "no-op build".into(),
                samples: vec![Duration::from_millis(20), Duration::from_secs(2)],
                rss_kib: vec![900, 1000],
                detail: "0 of 9".into(),
            }],
            notes: vec![],
        };
        let text = render(&report);
        assert!(
            text.contains(
                "no-op build    20.0 ms     1.01 s     2.00 s        900/1000/1000 KiB  0 of 9"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_saved_baseline_compares_with_ratios() {
        let ms = Duration::from_millis;
        let report = Report {
            title: "t".into(),
            rows: vec![
                Row {
                    what: "no-op build".into(),
                    samples: vec![ms(30), ms(10), ms(20)],
                    rss_kib: vec![1500, 1500, 1500],
                    detail: String::new(),
                },
                Row {
                    what: "new row".into(),
                    samples: vec![ms(1)],
                    rss_kib: vec![1],
                    detail: String::new(),
                },
            ],
            notes: vec![],
        };
        let base = Baseline {
            bench: "build".into(),
            rows: vec![BaselineRow {
                what: "no-op build".into(),
                micros: vec![40_000, 40_000],
                rss_kib: vec![1000, 1000],
            }],
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("base.toml");
        std::fs::write(&path, toml::to_string(&base).unwrap()).unwrap();
        let back = load_baseline(&path, "build").unwrap();
        let text = compare(&report, &back);
        assert!(text.contains("40.0 ms    20.0 ms   0.50x"), "{text}");
        assert!(text.contains("1000 KiB   1500 KiB   1.50x"), "{text}");
        assert!(
            text.contains("new row      (not in the baseline)"),
            "{text}"
        );
        let err = load_baseline(&path, "tenders").unwrap_err().to_string();
        assert!(err.contains("not of `bench tenders`"), "{err}");
        std::fs::write(&path, "garbage = [").unwrap();
        let err = format!("{:#}", load_baseline(&path, "build").unwrap_err());
        assert!(err.contains("not a baseline"), "{err}");
    }
}
