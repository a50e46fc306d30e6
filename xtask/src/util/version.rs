//! The version string tools report: Cargo's version, plus `git describe`
//! when building from a git checkout; in an unpacked source tarball, its
//! `VERSION` file (written from git by `cargo xtask dist --source`).
//!
//! Every build needs the version (for solo5_version.h), and starting git
//! cost a no-op build a few milliseconds; `version_cached` keeps what git
//! said together with a fingerprint of everything its answer depends on,
//! and asks git again only when that fingerprint moves.

use sha256::Sha256;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The version of the tree at `root`.
pub fn version(root: &Path) -> String {
    compose(root, describe)
}

/// `version`, with git's answer cached in the file `cache`.
pub fn version_cached(root: &Path, cache: &Path) -> String {
    compose(root, |root| {
        let Some(before) = fingerprint(root) else {
            return describe(root);
        };
        if let Ok(text) = std::fs::read_to_string(cache) {
            if let Some((key, described)) = text.split_once('\n') {
                if key == before {
                    let d = described.trim();
                    return (!d.is_empty()).then(|| d.to_string());
                }
            }
        }
        let described = describe(root);
        // Kept only if nothing moved while git ran (a file saved then may
        // or may not be in its answer). When git refreshed its index, that
        // moved too: the next build asks again and keeps that answer.
        if fingerprint(root).as_ref() == Some(&before) {
            let text = format!("{before}\n{}\n", described.as_deref().unwrap_or(""));
            let _ = toolchain::cache::write_atomic(cache, text.as_bytes());
        }
        described
    })
}

fn compose(root: &Path, describe: impl FnOnce(&Path) -> Option<String>) -> String {
    let base = env!("CARGO_PKG_VERSION");
    let stamped = std::fs::read_to_string(root.join("VERSION"))
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty());
    // An unpacked source tarball, maybe inside someone else's checkout.
    if let (Some(v), false) = (&stamped, root.join(".git").exists()) {
        return v.clone();
    }
    match describe(root) {
        Some(d) => format!("{base}+git.{d}"),
        None => stamped.unwrap_or_else(|| base.to_string()),
    }
}

fn describe(root: &Path) -> Option<String> {
    Command::new("git")
        .args(["describe", "--always", "--dirty", "--tags"])
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The git directory of the checkout at `root` (`.git`, or where a
/// worktree's `.git` file points) and its common directory (refs, config).
fn git_dirs(root: &Path) -> Option<(PathBuf, PathBuf)> {
    let dot = root.join(".git");
    let git = if dot.is_dir() {
        dot
    } else {
        let text = std::fs::read_to_string(&dot).ok()?;
        let p = PathBuf::from(text.strip_prefix("gitdir:")?.trim());
        if p.is_absolute() {
            p
        } else {
            root.join(p)
        }
    };
    let common = match std::fs::read_to_string(git.join("commondir")) {
        Ok(c) => {
            let p = PathBuf::from(c.trim());
            if p.is_absolute() {
                p
            } else {
                git.join(p)
            }
        }
        Err(_) => git.clone(),
    };
    Some((git, common))
}

/// What `git describe --always --dirty --tags` depends on, hashed: HEAD,
/// the ref it names, packed refs, the tags, the config, the index, and the
/// size, times and inode of every file the index tracks (how git itself
/// decides whether to look at a file for `--dirty`). None when the
/// checkout has something this does not understand; then git is asked.
fn fingerprint(root: &Path) -> Option<String> {
    let (git, common) = git_dirs(root)?;
    let mut h = Sha256::new();
    let mut meta = |p: &Path| {
        h.update(p.as_os_str().as_encoded_bytes());
        match std::fs::symlink_metadata(p) {
            Ok(m) => h.update(format!(
                " {} {}.{} {}.{} {}\n",
                m.len(),
                m.mtime(),
                m.mtime_nsec(),
                m.ctime(),
                m.ctime_nsec(),
                m.ino()
            )),
            Err(_) => h.update(b" -\n"),
        }
    };
    let head = std::fs::read(git.join("HEAD")).ok()?;
    if let Some(r) = head.strip_prefix(b"ref: ") {
        let r = std::str::from_utf8(r).ok()?.trim();
        meta(&common.join(r));
        meta(&git.join(r));
    }
    for p in ["packed-refs", "config", "shallow"] {
        meta(&common.join(p));
    }
    let mut tags = vec![common.join("refs/tags")];
    while let Some(dir) = tags.pop() {
        meta(&dir);
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                tags.push(e.path());
            } else {
                meta(&e.path());
            }
        }
    }
    let index_path = git.join("index");
    meta(&index_path);
    let index = std::fs::read(&index_path).ok()?;
    let config = std::fs::read_to_string(common.join("config")).unwrap_or_default();
    // SHA-256 repositories have longer entries; leave them to git.
    if config.contains("objectformat") {
        return None;
    }
    for path in index_paths(&index)? {
        meta(&root.join(path));
    }
    let mut h2 = h;
    h2.update(&head);
    Some(format!("{:x}", h2.finalize()))
}

/// The paths of the entries of a git index (versions 2 to 4, SHA-1), or
/// None for anything else (a split index, say).
fn index_paths(data: &[u8]) -> Option<Vec<PathBuf>> {
    use std::os::unix::ffi::OsStrExt;
    let be32 = |at: usize| -> Option<u32> {
        Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
    };
    if data.get(..4)? != b"DIRC" {
        return None;
    }
    let version = be32(4)?;
    if !(2..=4).contains(&version) {
        return None;
    }
    let count = be32(8)? as usize;
    let mut at = 12;
    let mut paths = Vec::with_capacity(count);
    let mut prev: Vec<u8> = Vec::new();
    for _ in 0..count {
        let start = at;
        // ctime, mtime, dev, ino, mode, uid, gid, size; the object id.
        at += 40 + 20;
        let flags = u16::from_be_bytes(data.get(at..at + 2)?.try_into().ok()?);
        at += 2;
        if version >= 3 && flags & 0x4000 != 0 {
            at += 2;
        }
        let name = if version == 4 {
            // The length of the previous path's tail to drop, as git's
            // offset varint, then the rest of this path.
            let mut b = *data.get(at)?;
            at += 1;
            let mut strip = (b & 0x7f) as usize;
            while b & 0x80 != 0 {
                b = *data.get(at)?;
                at += 1;
                strip = ((strip + 1) << 7) | (b & 0x7f) as usize;
            }
            let len = data.get(at..)?.iter().position(|&c| c == 0)?;
            let keep = prev.len().checked_sub(strip)?;
            let mut name = prev[..keep].to_vec();
            name.extend_from_slice(&data[at..at + len]);
            at += len + 1;
            name
        } else {
            let len = data.get(at..)?.iter().position(|&c| c == 0)?;
            let name = data[at..at + len].to_vec();
            // Entries are NUL-padded to a multiple of eight bytes.
            at = start + ((at + len - start + 8) & !7);
            name
        };
        paths.push(PathBuf::from(std::ffi::OsStr::from_bytes(&name)));
        prev = name;
    }
    // A split index keeps entries elsewhere.
    if data.get(at..at + 4) == Some(b"link".as_slice()) {
        return None;
    }
    Some(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) -> bool {
        Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@t")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@t")
            .output()
            .is_ok_and(|o| o.status.success())
    }

    #[test]
    fn the_index_lists_every_tracked_path_in_each_version() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        if !git(d, &["init", "-q"]) {
            eprintln!("SKIP: git is not installed");
            return;
        }
        for f in ["a.c", "dir/b c.h", "dir/deeper/x", "z"] {
            let p = d.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, f).unwrap();
        }
        assert!(git(d, &["add", "."]));
        for v in ["2", "3", "4"] {
            assert!(git(d, &["update-index", "--index-version", v]));
            let data = std::fs::read(d.join(".git/index")).unwrap();
            let got = index_paths(&data).unwrap_or_else(|| panic!("version {v} unread"));
            let want: Vec<PathBuf> = ["a.c", "dir/b c.h", "dir/deeper/x", "z"]
                .iter()
                .map(PathBuf::from)
                .collect();
            assert_eq!(got, want, "index version {v}");
        }
        assert!(index_paths(b"DIRC\0\0\0\x09").is_none());
        assert!(index_paths(b"junk").is_none());
    }

    #[test]
    fn the_cached_description_follows_commits_tags_and_edits() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        if !git(d, &["init", "-q"]) {
            eprintln!("SKIP: git is not installed");
            return;
        }
        let cache = d.join("cache");
        // Dated in the past: git rewrites its index on every call while a
        // file is as new as the index (its "racy" check), and a real tree
        // settles as time passes.
        let write_old = |name: &str, text: &str| {
            let p = d.join(name);
            std::fs::write(&p, text).unwrap();
            let f = std::fs::File::options().write(true).open(&p).unwrap();
            f.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(10))
                .unwrap();
        };
        write_old("f", "1");
        assert!(git(d, &["add", "f"]) && git(d, &["commit", "-qm", "one"]));
        let clean = version_cached(d, &cache);
        assert_eq!(clean, version(d));
        assert!(!clean.ends_with("-dirty"), "{clean}");
        // Asked until git leaves its index alone, then cached.
        for _ in 0..3 {
            assert_eq!(version_cached(d, &cache), clean);
        }
        assert!(cache.exists());
        let key = std::fs::read_to_string(&cache).unwrap();
        assert_eq!(version_cached(d, &cache), clean);
        assert_eq!(
            std::fs::read_to_string(&cache).unwrap(),
            key,
            "the cache answered"
        );

        // An edit to a tracked file, without touching .git.
        std::fs::write(d.join("f"), "22").unwrap();
        let dirty = version_cached(d, &cache);
        assert!(dirty.ends_with("-dirty"), "{dirty}");
        assert_eq!(dirty, version(d));

        // A tag, then a commit.
        std::fs::write(d.join("f"), "1").unwrap();
        assert!(git(d, &["tag", "v9.9"]));
        let tagged = version_cached(d, &cache);
        assert!(tagged.ends_with("+git.v9.9"), "{tagged}");
        write_old("g", "new");
        assert!(git(d, &["add", "g"]) && git(d, &["commit", "-qm", "two"]));
        let after = version_cached(d, &cache);
        assert!(after.contains("+git.v9.9-1-g"), "{after}");
        assert_eq!(after, version(d));
    }
}
