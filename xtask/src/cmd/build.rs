//! `cargo xtask build`: detect, plan and run the build for each target.

use crate::cli::{self, Matches, Opt};
use crate::model::config::{self, Config, ToolFlags};
use crate::model::layout::{self, Layout};
use crate::model::tests as testspec;
use crate::{engine as run, plan};
use anyhow::{bail, Context, Result};
use std::fs::File;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Flags {
    pub tools: ToolFlags,
    pub jobs: Option<usize>,
    pub verbose: bool,
}

/// `build`'s own options, after `config::TOOL_OPTS`.
pub const OPTS: &[Opt] = &[
    Opt::value(
        "jobs",
        "JOBS",
        "Parallel jobs (default: the number of cores)",
    )
    .short('j'),
    Opt::flag("verbose", "Print every command").short('v'),
];

impl Flags {
    pub fn from_matches(m: &Matches) -> Result<Flags, cli::Error> {
        Ok(Flags {
            tools: ToolFlags::from_matches(m),
            jobs: m.parse("jobs")?,
            verbose: m.flag("verbose"),
        })
    }
}

/// Where a build's time goes, printed to stderr when `SOLO5_TIMINGS` is
/// set (see docs/performance.md).
struct Phases {
    start: std::time::Instant,
    last: std::time::Instant,
    marks: Vec<(&'static str, std::time::Duration)>,
}

impl Phases {
    fn new() -> Phases {
        let now = std::time::Instant::now();
        Phases {
            start: now,
            last: now,
            marks: Vec::new(),
        }
    }

    fn mark(&mut self, what: &'static str) {
        let now = std::time::Instant::now();
        self.marks.push((what, now - self.last));
        self.last = now;
    }

    fn report(&self) {
        if std::env::var_os("SOLO5_TIMINGS").is_none() {
            return;
        }
        let parts: Vec<String> = self
            .marks
            .iter()
            .map(|(w, d)| format!("{w} {:.1} ms", d.as_secs_f64() * 1e3))
            .collect();
        eprintln!(
            "timings: {}; total {:.1} ms",
            parts.join(", "),
            self.start.elapsed().as_secs_f64() * 1e3
        );
    }
}

/// Held for the duration of a build; a second build of the same tree waits.
pub struct BuildLock(#[allow(dead_code)] File);

pub fn lock(root: &Path, out: &Path) -> Result<BuildLock> {
    let path = root.join(layout::lock_file(out));
    let dir = root.join(out);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let file = File::create(&path).with_context(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            println!(
                "waiting for another build of {} to finish (lock: {})...",
                out.display(),
                layout::lock_file(out).display()
            );
            file.lock()
                .with_context(|| format!("cannot lock {}", path.display()))?;
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("cannot lock {}", path.display()));
        }
    }
    Ok(BuildLock(file))
}

/// Builds solo5-elftool for the build machine with cargo and returns its
/// path (relative to the root when inside it). Only the commands that
/// install, package or run it need the binary: the build generates
/// manifests in-process through the elftool library.
///
/// `-p xtask` is named too so cargo resolves the features of the shared
/// dependencies (serde, anyhow, ...) as it did for `cargo xtask` itself
/// and reuses those builds: `-p elftool` alone selects fewer features,
/// which recompiled half the dependencies (16 s on two cores) the first
/// time.
pub fn build_elftool(root: &Path, out: &Path) -> Result<PathBuf> {
    // A prebuilt elftool (scratch trees in the engine's tests) skips cargo.
    if let Some(p) = std::env::var_os("SOLO5_ELFTOOL") {
        return Ok(PathBuf::from(p));
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(layout::cargo_target(out)));
    let status = std::process::Command::new(&cargo)
        .args([
            "build",
            "--quiet",
            "--package",
            "xtask",
            "--package",
            "elftool",
            "--bin",
            "solo5-elftool",
        ])
        .arg("--target-dir")
        .arg(&target_dir)
        .current_dir(root)
        .status()
        .with_context(|| format!("cannot run {cargo}"))?;
    if !status.success() {
        bail!("building solo5-elftool failed ({status})");
    }
    let exe = target_dir.join("debug/solo5-elftool");
    Ok(exe.strip_prefix(root).map(Path::to_path_buf).unwrap_or(exe))
}

/// Writes each arch's solo5_version.h when the version changed, so only
/// the files that include it recompile (depfiles track it).
/// Returns their paths, as the engine names them.
fn write_version_headers(root: &Path, cfg: &Config, version: &str) -> Result<Vec<PathBuf>> {
    let text =
        format!("/* Generated by cargo xtask build. */\n#define SOLO5_VERSION \"{version}\"\n");
    let mut written = Vec::new();
    for a in &cfg.arches {
        let rel = Layout::new(&cfg.out, &a.arch).gen().join("solo5_version.h");
        let path = root.join(&rel);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            toolchain::cache::write_atomic(&path, text.as_bytes())?;
        }
        written.push(rel);
    }
    Ok(written)
}

/// Builds everything selected and returns the config and plan used, so
/// `test` can find the products.
pub fn build(flags: &Flags) -> Result<(Config, plan::Plan)> {
    build_with(flags, false)
}

/// `build`, and with `elftool` also solo5-elftool into the output tree's
/// `build/bin` (for install, dist and test, which ship or run it).
pub fn build_with(flags: &Flags, elftool: bool) -> Result<(Config, plan::Plan)> {
    let mut times = Phases::new();
    let root = config::repo_root()?;
    let out = config::out_dir(&flags.tools)?;
    let _lock = lock(&root, &out)?;
    let (cfg, plan, summary) = std::thread::scope(|scope| -> Result<_> {
        // git, when it must be asked, runs while the plan is made.
        let version = scope.spawn(|| {
            crate::util::version::version_cached(&root, &root.join(layout::version_cache(&out)))
        });
        let cfg = config::load(&flags.tools)?;
        let tests = testspec::load_with(&root, &cfg.targets)?;
        times.mark("config");
        let elftool = match elftool {
            true => Some(build_elftool(&root, &cfg.out)?),
            false => None,
        };
        let plan = plan::plan(&cfg, &tests, elftool.as_deref())?;
        times.mark("plan");
        let version = version
            .join()
            .map_err(|_| anyhow::anyhow!("reading the version panicked"))?;
        // Before the engine looks at stamps: compiles depend on it.
        let written = write_version_headers(&root, &cfg, &version)?;
        times.mark("version");
        let jobs = flags.jobs.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
        });
        let summary = run::run(
            &root,
            &plan,
            &run::Options {
                jobs,
                verbose: flags.verbose,
                written,
            },
        )?;
        times.mark("run");
        Ok((cfg, plan, summary))
    })?;
    times.report();
    if summary.ran == 0 {
        println!("nothing to do: all {} steps up to date", summary.total);
    } else {
        println!("ran {} of {} steps", summary.ran, summary.total);
    }
    remove_stale(&root, &plan);
    let v = verdict(&cfg, &plan, &flags.tools);
    for line in &v.lines {
        println!("{line}");
    }
    if !v.failures.is_empty() {
        bail!(
            "the build could not do what was asked:\n  {}\n(`cargo xtask doctor` shows what to install)",
            v.failures.join("\n  ")
        );
    }
    Ok((cfg, plan))
}

/// Outputs of parts this plan skipped, left by an earlier build, would
/// look current: they go.
fn remove_stale(root: &Path, plan: &plan::Plan) {
    for s in &plan.skipped {
        let layout = Layout::new(&plan.out, &s.arch);
        let stale = match s.kind {
            plan::ProductKind::Tender | plan::ProductKind::Script => {
                vec![layout.bin.join(&s.part)]
            }
            plan::ProductKind::Binding => {
                vec![
                    layout.binding_object(&s.part),
                    layout.binding_script(&s.part),
                ]
            }
            plan::ProductKind::Unikernel => vec![],
        };
        for p in stale {
            if std::fs::remove_file(root.join(&p)).is_ok() {
                println!(
                    "removed {} (from an earlier build; not built now)",
                    p.display()
                );
            }
        }
    }
}

/// What a build of this plan produces and lacks, one line per arch and per
/// missing part with its fix; and whether that fulfils the request. `build`
/// and `doctor` print the same verdict.
pub struct Verdict {
    pub lines: Vec<String>,
    /// Why the request is not fulfilled; empty when it is.
    pub failures: Vec<String>,
}

pub fn verdict(cfg: &Config, plan: &plan::Plan, tools: &ToolFlags) -> Verdict {
    let mut v = Verdict {
        lines: Vec::new(),
        failures: Vec::new(),
    };
    for a in &cfg.arches {
        let built: Vec<String> = plan
            .products
            .iter()
            .filter(|p| p.arch == a.arch && p.kind != plan::ProductKind::Unikernel)
            .map(|p| format!("{} {}", p.kind, p.name))
            .collect();
        let tests = plan
            .products
            .iter()
            .filter(|p| p.arch == a.arch && p.kind == plan::ProductKind::Unikernel)
            .count();
        if built.is_empty() {
            v.lines.push(format!("{}: nothing built", a.arch));
            v.failures
                .push(format!("nothing could be built for {}", a.arch));
        } else {
            v.lines.push(format!(
                "{}: {} and {tests} test unikernels",
                a.arch,
                built.join(", ")
            ));
        }
        for s in plan.skipped.iter().filter(|s| s.arch == a.arch) {
            v.lines
                .push(format!("  not built: {} {}: {}", s.kind, s.part, s.reason));
        }
        for p in &a.tools.problems {
            let named = explicit(tools, p.role);
            v.lines
                .push(format!("  {} toolchain: {}", p.role, p.message));
            if let Some(what) = named {
                let f = format!("{what} for {} is unusable: {}", a.arch, p.message);
                if !v.failures.contains(&f) {
                    v.failures.push(f);
                }
            }
        }
    }
    v
}

/// The flag or variable that named the tool for `role` explicitly, if any:
/// such a tool that does not work fails the command.
fn explicit(tools: &ToolFlags, role: toolchain::Role) -> Option<String> {
    use toolchain::Role;
    let env = |k: &str| std::env::var_os(k).map(|_| k.to_string());
    let flag = |f: &Option<String>, name: &str| f.as_ref().map(|_| name.to_string());
    match role {
        Role::Host => flag(&tools.host_cc, "--host-cc")
            .or_else(|| flag(&tools.cc, "--cc"))
            .or_else(|| env("HOST_CC")),
        Role::Target => flag(&tools.target_cc, "--target-cc")
            .or_else(|| flag(&tools.target_ld, "--target-ld"))
            .or_else(|| flag(&tools.target_objcopy, "--target-objcopy"))
            .or_else(|| flag(&tools.cc, "--cc"))
            .or_else(|| env("TARGET_CC"))
            .or_else(|| env("TARGET_LD"))
            .or_else(|| env("TARGET_OBJCOPY")),
        Role::Build => None,
    }
}

pub fn run(flags: Flags) -> Result<i32> {
    build(&flags)?;
    Ok(0)
}
