//! `cargo xtask bench <what>`: how long things take, as min / median / max
//! over several runs. Each benchmark is one function listed in `BENCHES`;
//! it returns rows of samples and this file prints the table.

use crate::model::config;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

#[derive(Debug, Clone, clap::Args)]
pub struct Flags {
    /// What to measure: build (clean, no-op and touch-one-source builds of
    /// a scratch copy of the tree); tenders (wall time and peak RSS of
    /// solo5-spt and solo5-hvt running test_hello, and of solo5-virtio-run
    /// booting it in QEMU to its exit, beside /bin/true).
    #[arg(value_parser = names())]
    pub what: String,
    /// Runs per measurement.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub runs: u32,
    /// Parallel jobs for builds (default: the number of cores).
    #[arg(short, long)]
    pub jobs: Option<usize>,
    /// Build directory for the tenders benchmark's build (see `build`);
    /// the build benchmark always builds a scratch copy in its own tree.
    #[arg(long, value_name = "DIR")]
    pub build_dir: Option<PathBuf>,
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

fn names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(BENCHES.iter().map(|b| b.name))
}

/// What a benchmark measured.
struct Report {
    /// One line saying what was measured, and how.
    title: String,
    rows: Vec<Row>,
    notes: Vec<String>,
}

struct Row {
    what: String,
    samples: Vec<Duration>,
    /// Free text for the last column (steps run, say).
    detail: String,
}

pub fn run(flags: Flags) -> Result<i32> {
    let bench = BENCHES
        .iter()
        .find(|b| b.name == flags.what)
        .with_context(|| format!("no benchmark named {:?}", flags.what))?;
    let report = (bench.run)(&flags)?;
    print!("{}", render(&report));
    Ok(0)
}

fn render(report: &Report) -> String {
    let width = report
        .rows
        .iter()
        .map(|r| r.what.len())
        .max()
        .unwrap_or(0)
        .max(4);
    let mut out = format!("{}\n\n", report.title);
    out.push_str(&format!(
        "{:width$}  {:>9}  {:>9}  {:>9}  {}\n",
        "", "min", "median", "max", "detail"
    ));
    for r in &report.rows {
        let (min, median, max) = stats(&r.samples);
        out.push_str(&format!(
            "{:width$}  {:>9}  {:>9}  {:>9}  {}\n",
            r.what,
            human(min),
            human(median),
            human(max),
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

/// solo5-elftool for the scratch builds (a scratch tree has no workspace to
/// build it in): `SOLO5_ELFTOOL`, or cargo's build of it.
fn elftool(root: &Path) -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("SOLO5_ELFTOOL") {
        return Ok(PathBuf::from(p));
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(&cargo)
        .args(["build", "--quiet", "--package", "elftool", "--bin"])
        .arg("solo5-elftool")
        .current_dir(root)
        .status()
        .with_context(|| format!("cannot run {cargo}"))?;
    if !status.success() {
        bail!("building solo5-elftool failed ({status})");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(|d| root.join(d))
        .unwrap_or_else(|| root.join("target"));
    Ok(target.join("debug/solo5-elftool"))
}

/// One build of the scratch tree by this very xtask binary.
struct Build<'a> {
    exe: PathBuf,
    scratch: &'a Scratch,
    elftool: PathBuf,
    jobs: Option<usize>,
}

/// What one build printed that the table uses.
struct Outcome {
    took: Duration,
    /// "K of N".
    steps: String,
    /// Sources compiled for the target (`CC` lines).
    compiled: Vec<String>,
}

impl Build<'_> {
    fn run(&self) -> Result<Outcome> {
        let mut cmd = Command::new(&self.exe);
        cmd.arg("build")
            .env("SOLO5_XTASK_ROOT", &self.scratch.root)
            .env("SOLO5_ELFTOOL", &self.elftool);
        if let Some(j) = self.jobs {
            cmd.args(["--jobs", &j.to_string()]);
        }
        let start = Instant::now();
        let out = cmd
            .output()
            .with_context(|| format!("cannot run {}", self.exe.display()))?;
        let took = start.elapsed();
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
    let mut detail = String::new();
    for i in 0..runs {
        let o = f(i)?;
        samples.push(o.took);
        detail = o.steps;
    }
    Ok(Row {
        what: what.into(),
        samples,
        detail,
    })
}

fn bench_build(flags: &Flags) -> Result<Report> {
    let root = config::repo_root()?;
    let elftool = elftool(&root)?;
    let scratch = Scratch::new(&root)?;
    let b = Build {
        exe: std::env::current_exe().context("cannot find the xtask binary")?,
        scratch: &scratch,
        elftool,
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

/// Runs `argv` under GNU time; returns wall time and peak RSS in KiB.
fn timed_run(argv: &[String], scratch: &Path) -> Result<(Duration, u64)> {
    let rss_file = scratch.join("rss");
    let start = Instant::now();
    let status = Command::new("/usr/bin/time")
        .args(["-f", "%M", "-o"])
        .arg(&rss_file)
        .args(argv)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .context("cannot run /usr/bin/time (install the time package)")?;
    let took = start.elapsed();
    if !status.success() {
        bail!("{} failed ({status})", argv.join(" "));
    }
    let text = std::fs::read_to_string(&rss_file).context("GNU time wrote no RSS")?;
    let kib = text
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .with_context(|| format!("cannot read peak RSS from {text:?}"))?;
    Ok((took, kib))
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
    let scratch = tempfile_dir(&root, &cfg.out)?;
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
            crate::runner::Placement::Native => (vec![], ""),
            crate::runner::Placement::Qemu { kvm: true } => (vec!["-q", "-H", "kvm"], " (KVM)"),
            crate::runner::Placement::Qemu { kvm: false } => (vec!["-q", "-H", "qemu"], " (TCG)"),
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
            let (took, kib) = timed_run(&argv, &scratch)?;
            samples.push(took);
            rss.push(kib);
        }
        rss.sort();
        let detail = format!(
            "peak RSS {} / {} / {} KiB",
            rss[0],
            rss[rss.len() / 2],
            rss[rss.len() - 1]
        );
        rows.push(Row {
            what,
            samples,
            detail,
        });
    }
    let _ = std::fs::remove_dir_all(&scratch);
    notes.push("wall time includes GNU time's own fork and exec, the same for every row".into());
    Ok(Report {
        title: format!("tender start-up on {arch}: {runs} runs each, wall time and peak RSS (min / median / max)"),
        rows,
        notes,
    })
}

fn tempfile_dir(root: &Path, out: &Path) -> Result<PathBuf> {
    let dir = root
        .join(crate::model::layout::scratch_dir(out, "bench"))
        .join(std::process::id().to_string());
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

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
                detail: "0 of 9".into(),
            }],
            notes: vec![],
        };
        let text = render(&report);
        assert!(
            text.contains("no-op build    20.0 ms     1.01 s     2.00 s  0 of 9"),
            "{text}"
        );
    }
}
