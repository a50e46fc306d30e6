//! Detection results cached as human-readable TOML in the target's build
//! directory. Re-detected when the request (flags, relevant environment
//! variables) changes, any probed tool file's path, size or mtime does, or
//! a directory of PATH gains or loses an entry (its mtime moves): a better
//! compiler installed later is then found without deleting the cache.
//!
//! Only complete results are cached: every role has its tools and there is
//! no problem. A result with something missing is not reused, because what
//! would fix it (a package installed, a header added, a tool put on PATH)
//! need not touch any file the cache key stamps; it is probed again on the
//! next run, which is cheap. A probe that could not run (see
//! [`crate::exec`]) fails this run and leaves the cache as it was.

use crate::detect::{self, Request, Toolchains};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ToolStamp {
    path: PathBuf,
    size: u64,
    mtime_ns: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct CacheFile {
    /// Bumped when the cached format or the probes change meaning (6: a
    /// compiler's arch is named from the request's `arches`).
    format: u32,
    /// The program that probed (size and mtime of its executable): a
    /// rebuilt xtask may probe differently, so it re-probes.
    prober: Option<ToolStamp>,
    request: Request,
    tools: Vec<ToolStamp>,
    /// The directories of the request's PATH that exist.
    #[serde(default)]
    search_dirs: Vec<ToolStamp>,
    toolchains: Toolchains,
}

const FORMAT: u32 = 7;

fn stamp(path: &Path) -> Option<ToolStamp> {
    // Follow symlinks: /usr/bin/gcc -> gcc-12 changes when the target does.
    let meta = std::fs::metadata(path).ok()?;
    let mtime_ns = meta
        .modified()
        .ok()?
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_nanos() as i64;
    Some(ToolStamp {
        path: path.to_path_buf(),
        size: meta.len(),
        mtime_ns,
    })
}

/// Stamps of the PATH directories detection searched. Taken after
/// detection: a compiler installed while it ran is seen by the next
/// change to the directory at the latest.
fn search_dirs(req: &Request) -> Vec<ToolStamp> {
    let path = req.env.get("PATH").map(String::as_str).unwrap_or("");
    std::env::split_paths(path)
        .filter(|d| !d.as_os_str().is_empty())
        .filter_map(|d| stamp(&d))
        .collect()
}

fn prober() -> Option<ToolStamp> {
    stamp(&std::env::current_exe().ok()?)
}

/// Whether the result came from the cache, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Cached,
    Probed,
}

/// Returns cached toolchains when still valid, otherwise detects, and
/// writes the cache (atomically) when the result is complete. Probe files
/// go to a `probe` directory next to the cache file, removed afterwards.
pub fn load_or_detect(req: &Request, cache_path: &Path) -> Result<(Toolchains, Origin)> {
    if let Some(tc) = load(req, cache_path) {
        return Ok((tc, Origin::Cached));
    }
    let dir = cache_path.parent().unwrap_or(Path::new("."));
    let scratch = dir.join("probe");
    match std::fs::remove_dir_all(&scratch) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(e).with_context(|| {
                format!("cannot empty the probe directory {}", scratch.display())
            });
        }
        _ => {}
    }
    let detected = detect::detect(req, &scratch);
    // Best effort: a leftover is emptied by the next detection.
    let _ = std::fs::remove_dir_all(&scratch);
    let tc = detected?;
    if !tc.complete() {
        return Ok((tc, Origin::Probed));
    }
    let file = CacheFile {
        format: FORMAT,
        prober: prober(),
        request: req.clone(),
        tools: tc.tool_paths().iter().filter_map(|p| stamp(p)).collect(),
        search_dirs: search_dirs(req),
        toolchains: tc.clone(),
    };
    let mut text = String::from(
        "# Toolchain detection results, written by `cargo xtask`.\n\
         # Only complete results are kept. Re-probed automatically when a\n\
         # tool or a relevant variable changes; delete this file to force it.\n\n",
    );
    text.push_str(&toml::to_string_pretty(&file).context("cannot serialise the toolchain cache")?);
    write_atomic(cache_path, text.as_bytes())?;
    Ok((tc, Origin::Probed))
}

fn load(req: &Request, cache_path: &Path) -> Option<Toolchains> {
    let text = std::fs::read_to_string(cache_path).ok()?;
    let file: CacheFile = toml::from_str(&text).ok()?;
    if file.format != FORMAT
        || file.prober != prober()
        || file.request != *req
        || !file.toolchains.complete()
        || file.search_dirs != search_dirs(req)
    {
        return None;
    }
    for t in &file.tools {
        if stamp(&t.path).as_ref() != Some(t) {
            return None;
        }
    }
    Some(file.toolchains)
}

/// Writes a file by writing a sibling temp file and renaming it over.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    // Append, not with_extension: a.o and a.lds must not share a temp.
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp.{}", std::process::id()));
    let tmp = std::path::PathBuf::from(tmp);
    let written = std::fs::write(&tmp, bytes)
        .with_context(|| format!("cannot write {}", tmp.display()))
        .and_then(|()| {
            std::fs::rename(&tmp, path)
                .with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()))
        });
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}
