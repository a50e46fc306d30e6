//! The stamp database: one file per arch (`obj/.stamps/db`), read once
//! per build and appended to as steps finish.
//!
//! A no-op build used to read one TOML file per step (1.8 MB in all, most
//! of it the same system headers listed again for every compile). Here a
//! file state (path, size, mtime) is written once and stamps refer to it
//! by number, so loading is one read, and checking is one `stat` per
//! distinct file however many steps read it.
//!
//! The file is a sequence of lines (paths are raw bytes, last on their
//! line, so spaces are fine; a path with a newline is never recorded):
//!
//! ```text
//! solo5-stamps 1                  header, first line
//! f <id> <size> <mtime_ns> <path> a file state
//! s <command hash> <output path>  a stamp: the step writing that output...
//! i <id> <id> ...                 ...the states of the inputs it read,
//! o <id> ...                      ...and of its outputs,
//! .                               ...complete
//! - <output path>                 forget the stamp of that output
//! ```
//!
//! Records are appended with one `write` each, after the step's outputs
//! are in place: a killed build leaves at most one partial record at the
//! end, which the reader drops (a record counts only once its `.` line is
//! read, and every `s` starts afresh). A build with steps to run first
//! rewrites the file compacted (temp file, then rename), so it never holds
//! more than one build's appended records.

use anyhow::{Context, Result};
use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

const HEADER: &str = "solo5-stamps 1\n";

/// A file as a stamp saw it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileState {
    pub path: PathBuf,
    pub size: u64,
    pub mtime_ns: i64,
}

impl FileState {
    /// The file's state now, or None when it cannot be read.
    pub fn of(root: &Path, path: &Path) -> Option<FileState> {
        let meta = std::fs::metadata(root.join(path)).ok()?;
        let mtime_ns = meta
            .modified()
            .ok()?
            .duration_since(UNIX_EPOCH)
            .ok()?
            .as_nanos() as i64;
        Some(FileState {
            path: path.to_path_buf(),
            size: meta.len(),
            mtime_ns,
        })
    }
}

/// What a step recorded when it last ran.
#[derive(Debug, Clone)]
pub struct Stamp {
    pub command: String,
    /// Indices into `Db::states`.
    pub inputs: Vec<usize>,
    pub outputs: Vec<usize>,
}

/// One arch's stamps, as loaded, plus what this build recorded.
#[derive(Debug, Default)]
pub struct Db {
    pub states: Vec<FileState>,
    /// Keyed by the path's bytes: hashing a `Path` walks its components,
    /// which was a quarter of a no-op build's time.
    index: HashMap<(Vec<u8>, u64, i64), usize>,
    /// By the step's first output.
    pub stamps: HashMap<PathBuf, Stamp>,
    /// Whether each state still matches the disk: None until checked.
    checked: Vec<Option<bool>>,
    /// Whether the file being appended to defines each state (under its
    /// index as id).
    in_file: Vec<bool>,
}

fn path_of(bytes: &[u8]) -> PathBuf {
    PathBuf::from(OsStr::from_bytes(bytes))
}

fn path_bytes(p: &Path) -> &[u8] {
    p.as_os_str().as_bytes()
}

impl Db {
    fn intern(&mut self, state: FileState) -> usize {
        let key = (path_bytes(&state.path).to_vec(), state.size, state.mtime_ns);
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        self.states.push(state);
        self.checked.push(None);
        self.in_file.push(false);
        self.index.insert(key, self.states.len() - 1);
        self.states.len() - 1
    }

    /// Reads the database; a missing or unreadable file is an empty one
    /// (every step then runs), as is any line it does not understand.
    pub fn load(path: &Path) -> Db {
        let mut db = Db::default();
        let Ok(data) = std::fs::read(path) else {
            return db;
        };
        if !data.starts_with(HEADER.as_bytes()) {
            return db;
        }
        // File ids are local to the file: map them to our indices. The
        // writer numbers states from 0, so a vector does (a hash map's
        // lookups, one per input of every stamp, were a tenth of a no-op).
        let mut ids: Vec<Option<usize>> = Vec::new();
        let mut open: Option<(PathBuf, Stamp)> = None;
        let mut bad = false;
        for line in data[HEADER.len()..].split(|&b| b == b'\n') {
            let (tag, rest) = match line.split_first() {
                Some((t, r)) => (*t, r.strip_prefix(b" ").unwrap_or(r)),
                None => continue,
            };
            match tag {
                b'f' => {
                    let mut it = rest.splitn(4, |&b| b == b' ');
                    let num = |f: Option<&[u8]>| {
                        f.and_then(|b| std::str::from_utf8(b).ok())
                            .and_then(|s| s.parse::<i128>().ok())
                    };
                    let (Some(id), Some(size), Some(mtime), Some(p)) =
                        (num(it.next()), num(it.next()), num(it.next()), it.next())
                    else {
                        continue;
                    };
                    let state = FileState {
                        path: path_of(p),
                        size: size as u64,
                        mtime_ns: mtime as i64,
                    };
                    // A state the file defines twice is one state.
                    let i = db.intern(state);
                    let Ok(id) = usize::try_from(id) else {
                        continue;
                    };
                    if id >= ids.len() {
                        if id > data.len() {
                            // More ids than bytes: not a file we wrote.
                            continue;
                        }
                        ids.resize(id + 1, None);
                    }
                    ids[id] = Some(i);
                }
                b's' => {
                    bad = false;
                    let Some((hash, out)) = rest.split_first_chunk::<64>() else {
                        open = None;
                        continue;
                    };
                    let Ok(hash) = std::str::from_utf8(hash) else {
                        open = None;
                        continue;
                    };
                    let out = out.strip_prefix(b" ").unwrap_or(out);
                    open = Some((
                        path_of(out),
                        Stamp {
                            command: hash.to_string(),
                            inputs: vec![],
                            outputs: vec![],
                        },
                    ));
                }
                b'i' | b'o' => {
                    let Some((_, stamp)) = open.as_mut() else {
                        continue;
                    };
                    let list = if tag == b'i' {
                        &mut stamp.inputs
                    } else {
                        &mut stamp.outputs
                    };
                    for id in rest.split(|&b| b == b' ').filter(|f| !f.is_empty()) {
                        let id = std::str::from_utf8(id)
                            .ok()
                            .and_then(|s| s.parse::<usize>().ok())
                            .and_then(|id| ids.get(id).copied().flatten());
                        match id {
                            Some(i) => list.push(i),
                            None => bad = true,
                        }
                    }
                }
                b'.' => {
                    if let Some((out, stamp)) = open.take() {
                        if !bad {
                            db.stamps.insert(out, stamp);
                        }
                    }
                }
                b'-' => {
                    db.stamps.remove(&path_of(rest));
                }
                _ => open = None,
            }
        }
        db
    }

    /// True when the state still matches the file on disk (each distinct
    /// state is looked at once per build).
    pub fn current(&mut self, root: &Path, i: usize) -> bool {
        if let Some(ok) = self.checked[i] {
            return ok;
        }
        let s = &self.states[i];
        let ok = FileState::of(root, &s.path).as_ref() == Some(s);
        self.checked[i] = Some(ok);
        ok
    }

    /// Records a stamp; returns the record to append to the file, or None
    /// when a path cannot be written (then the step stays unstamped and
    /// runs again next time).
    pub fn record(
        &mut self,
        output: &Path,
        command: String,
        inputs: Vec<FileState>,
        outputs: Vec<FileState>,
    ) -> Option<Vec<u8>> {
        let has_newline = |p: &Path| path_bytes(p).contains(&b'\n');
        if has_newline(output) || inputs.iter().chain(&outputs).any(|s| has_newline(&s.path)) {
            return None;
        }
        let mut text = Vec::new();
        let mut ids = |list: Vec<FileState>, text: &mut Vec<u8>| -> Vec<usize> {
            list.into_iter()
                .map(|s| {
                    let i = self.intern(s);
                    // A state recorded now is current by construction.
                    self.checked[i] = Some(true);
                    if !self.in_file[i] {
                        write_state(text, i, &self.states[i]);
                        self.in_file[i] = true;
                    }
                    i
                })
                .collect()
        };
        let stamp = Stamp {
            inputs: ids(inputs, &mut text),
            outputs: ids(outputs, &mut text),
            command,
        };
        write_stamp(&mut text, output, &stamp);
        self.stamps.insert(output.to_path_buf(), stamp);
        Some(text)
    }

    pub fn forget(&mut self, output: &Path) -> Vec<u8> {
        self.stamps.remove(output);
        let mut text = b"- ".to_vec();
        text.extend_from_slice(path_bytes(output));
        text.push(b'\n');
        text
    }

    /// The whole database, compacted: only the states live stamps use,
    /// each under its index as id.
    fn compacted(&self) -> Vec<u8> {
        let mut text = HEADER.as_bytes().to_vec();
        let mut used = vec![false; self.states.len()];
        for s in self.stamps.values() {
            for &i in s.inputs.iter().chain(&s.outputs) {
                used[i] = true;
            }
        }
        for (i, s) in self.states.iter().enumerate() {
            if used[i] {
                write_state(&mut text, i, s);
            }
        }
        let mut outs: Vec<&PathBuf> = self.stamps.keys().collect();
        outs.sort();
        for o in outs {
            write_stamp(&mut text, o, &self.stamps[o]);
        }
        text
    }
}

fn write_state(text: &mut Vec<u8>, id: usize, s: &FileState) {
    text.extend_from_slice(format!("f {id} {} {} ", s.size, s.mtime_ns).as_bytes());
    text.extend_from_slice(path_bytes(&s.path));
    text.push(b'\n');
}

fn write_stamp(text: &mut Vec<u8>, output: &Path, s: &Stamp) {
    text.extend_from_slice(format!("s {} ", s.command).as_bytes());
    text.extend_from_slice(path_bytes(output));
    let list = |tag: &str, ids: &[usize]| {
        let mut l = String::from(tag);
        for i in ids {
            l.push_str(&format!(" {i}"));
        }
        l.push('\n');
        l
    };
    text.push(b'\n');
    text.extend_from_slice(list("i", &s.inputs).as_bytes());
    text.extend_from_slice(list("o", &s.outputs).as_bytes());
    text.extend_from_slice(b".\n");
}

/// The file records are appended to while a build runs.
pub struct Journal {
    file: std::fs::File,
}

impl Journal {
    /// Opens the database for appending, once a build has a step to run.
    /// The file is first rewritten compacted from `db` (which was loaded
    /// from it): records appended since the last rewrite go, a record cut
    /// short goes, and the ids in the file become `db`'s indices, which
    /// the records appended next use. So the file never grows by more than
    /// one build's records.
    pub fn open(path: &Path, db: &mut Db) -> Result<Journal> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let text = db.compacted();
        db.in_file = vec![false; db.states.len()];
        for s in db.stamps.values() {
            for &i in s.inputs.iter().chain(&s.outputs) {
                db.in_file[i] = true;
            }
        }
        replace(path, &text)?;
        // Stamps of the earlier format, one file per output: stale now.
        if let Some(dir) = path.parent() {
            for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                if e.path() != path && e.file_type().is_ok_and(|t| t.is_file()) {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        Ok(Journal { file })
    }

    pub fn append(&mut self, record: &[u8]) -> Result<()> {
        self.file
            .write_all(record)
            .context("cannot append to the stamp database")
    }
}

/// Writes `bytes` to `path` through a temp file and a rename.
pub fn replace(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    if let Err(e) = std::fs::write(&tmp, bytes) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write {}", tmp.display()));
    }
    std::fs::rename(&tmp, path)
        .with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(p: &str, size: u64) -> FileState {
        FileState {
            path: p.into(),
            size,
            mtime_ns: 1_700_000_000_000_000_000 + size as i64,
        }
    }

    #[test]
    fn records_survive_a_reload_and_a_cut_short_tail_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let mut db = Db::load(&path);
        let mut j = Journal::open(&path, &mut db).unwrap();
        let hash = "a".repeat(64);
        let header = state("/usr/include/a b.h", 3);
        let r1 = db
            .record(
                Path::new("obj/x.o"),
                hash.clone(),
                vec![state("x.c", 1), header.clone()],
                vec![state("obj/x.o", 9)],
            )
            .unwrap();
        j.append(&r1).unwrap();
        let r2 = db
            .record(
                Path::new("obj/y.o"),
                "b".repeat(64),
                vec![state("y.c", 2), header.clone()],
                vec![state("obj/y.o", 8)],
            )
            .unwrap();
        // The shared header is defined once.
        assert!(!String::from_utf8_lossy(&r2).contains("a b.h"));
        j.append(&r2).unwrap();
        // A third record cut short by a kill.
        let r3 = db
            .record(Path::new("obj/z.o"), "c".repeat(64), vec![], vec![])
            .unwrap();
        j.append(&r3[..r3.len() - 2]).unwrap();
        drop(j);

        let back = Db::load(&path);
        assert_eq!(back.stamps.len(), 2, "{:?}", back.stamps.keys());
        let x = &back.stamps[Path::new("obj/x.o")];
        assert_eq!(x.command, hash);
        let inputs: Vec<&FileState> = x.inputs.iter().map(|&i| &back.states[i]).collect();
        assert_eq!(inputs, vec![&state("x.c", 1), &header]);

        // Appending after the cut record: the file is rewritten whole
        // first, and forgetting a stamp sticks.
        let mut db = back;
        let mut j = Journal::open(&path, &mut db).unwrap();
        let f = db.forget(Path::new("obj/x.o"));
        j.append(&f).unwrap();
        drop(j);
        let back = Db::load(&path);
        assert_eq!(
            back.stamps.keys().collect::<Vec<_>>(),
            vec![Path::new("obj/y.o")]
        );
    }

    #[test]
    fn paths_with_newlines_are_not_recorded_and_garbage_is_ignored() {
        let mut db = Db::default();
        assert!(db
            .record(Path::new("a\nb"), "d".repeat(64), vec![], vec![])
            .is_none());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        std::fs::write(&path, "solo5-stamps 1\nf x y z\ns short\ni 1\n.\nzz\n").unwrap();
        assert!(Db::load(&path).stamps.is_empty());
        std::fs::write(&path, "not a database\n").unwrap();
        assert!(Db::load(&path).stamps.is_empty());
    }

    #[test]
    fn current_compares_with_the_disk_once() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), "12345").unwrap();
        let now = FileState::of(dir.path(), Path::new("a")).unwrap();
        let mut db = Db::default();
        let i = db.intern(now.clone());
        let j = db.intern(FileState { size: 4, ..now });
        assert!(db.current(dir.path(), i));
        assert!(!db.current(dir.path(), j));
    }
}
