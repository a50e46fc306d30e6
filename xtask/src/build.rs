//! `cargo xtask build`: detect, plan and run the build for each target.

use crate::config::{self, Config, ToolFlags};
use crate::{plan, run, testspec};
use anyhow::{bail, Context, Result};
use std::fs::File;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, clap::Args)]
#[group(skip)]
pub struct Flags {
    #[command(flatten)]
    pub tools: ToolFlags,
    /// Parallel jobs (default: the number of cores).
    #[arg(short, long)]
    pub jobs: Option<usize>,
    /// Print every command.
    #[arg(short, long)]
    pub verbose: bool,
}

/// Held for the duration of a build; a second build of the same tree waits.
pub struct BuildLock(#[allow(dead_code)] File);

pub fn lock(root: &Path) -> Result<BuildLock> {
    let dir = root.join("target/solo5");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join(".lock");
    let file = File::create(&path).with_context(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            println!(
                "waiting for another build of target/solo5 to finish (lock: target/solo5/.lock)..."
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
/// path (relative to the root when inside it).
fn build_elftool(root: &Path) -> Result<PathBuf> {
    // A prebuilt elftool (scratch trees in the engine's tests) skips cargo.
    if let Some(p) = std::env::var_os("SOLO5_ELFTOOL") {
        return Ok(PathBuf::from(p));
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = std::process::Command::new(&cargo)
        .args([
            "build",
            "--quiet",
            "--package",
            "elftool",
            "--bin",
            "solo5-elftool",
        ])
        .current_dir(root)
        .status()
        .with_context(|| format!("cannot run {cargo}"))?;
    if !status.success() {
        bail!("building solo5-elftool failed ({status})");
    }
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let exe = target_dir.join("debug/solo5-elftool");
    Ok(exe.strip_prefix(root).map(Path::to_path_buf).unwrap_or(exe))
}

/// Builds everything selected and returns the config and plan used, so
/// `test` can find the products.
pub fn build(flags: &Flags) -> Result<(Config, plan::Plan)> {
    let root = config::repo_root();
    let _lock = lock(&root)?;
    let cfg = config::load(&flags.tools)?;
    let tests = testspec::load(&root)?;
    let elftool = build_elftool(&root)?;
    let plan = plan::plan(&cfg, &tests, &elftool)?;
    for s in &plan.skipped {
        println!("skipped: {s}");
    }
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
        },
    )?;
    if summary.ran == 0 {
        println!("nothing to do: all {} steps up to date", summary.total);
    } else {
        println!("ran {} of {} steps", summary.ran, summary.total);
    }
    for arch in &cfg.arches {
        let built: Vec<String> = plan
            .products
            .iter()
            .filter(|p| p.arch == arch.arch)
            .map(|p| format!("{} {}", p.kind, p.name))
            .collect();
        println!(
            "{}: {}",
            arch.arch,
            if built.is_empty() {
                "nothing built".to_string()
            } else {
                built.join(", ")
            }
        );
    }
    Ok((cfg, plan))
}

pub fn run(flags: Flags) -> Result<i32> {
    build(&flags)?;
    Ok(0)
}
