//! Run: executes a Plan in parallel and incrementally.
//!
//! A step is up to date when its stamp (under obj/.stamps) records the same
//! command hash, the same size and mtime for every input it read (explicit
//! ones and those its depfile named) and every output, and none of the
//! steps it depends on ran. Outputs are written under temp names and
//! renamed, and the stamp is written last, so an interrupted build never
//! leaves a file a later build trusts.

mod stamps;

use crate::plan::{Action, Plan, Step};
use anyhow::{anyhow, Context, Result};
use sha256::Sha256;
use stamps::{Db, FileState, Journal};
use std::collections::{BTreeMap, HashSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};
use std::time::UNIX_EPOCH;

/// What identifies a step's work: the action with all its arguments.
fn command_hash(step: &Step) -> String {
    let mut h = Sha256::new();
    match &step.action {
        Action::Run {
            program,
            args,
            renames,
        } => {
            h.update(b"run\0");
            h.update(program.as_os_str().as_encoded_bytes());
            for a in args {
                h.update(b"\0");
                h.update(a.as_bytes());
            }
            for (from, to) in renames {
                h.update(format!("\0{}>{}", from.display(), to.display()).as_bytes());
            }
        }
        Action::Write { contents } => {
            h.update(b"write\0");
            h.update(contents);
        }
        Action::Copy { from } => {
            h.update(b"copy\0");
            h.update(from.as_os_str().as_encoded_bytes());
        }
    }
    for o in &step.outputs {
        h.update(format!("\0out:{}", o.display()).as_bytes());
    }
    format!("{:x}", h.finalize())
}

/// The stamp database of `arch`'s steps.
fn db_path(out: &Path, arch: &str) -> PathBuf {
    crate::model::layout::stamps_dir(out, arch).join("db")
}

/// Prints from a worker. A closed stdout (`cargo xtask build -v | head`)
/// is ignored: `println!` would panic the worker, and the others would
/// wait for it for ever.
fn say(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// True when the step's stamp proves its outputs current.
fn up_to_date(root: &Path, db: &mut Db, step: &Step) -> bool {
    let Some(first) = step.outputs.first() else {
        return false;
    };
    let Some(stamp) = db.stamps.get(first) else {
        return false;
    };
    if stamp.command != command_hash(step) || stamp.outputs.len() != step.outputs.len() {
        return false;
    }
    // Compared as bytes: `Path`'s equality parses both into components,
    // and this runs for every input against every recorded one (a spelling
    // that differs only makes the step run again).
    let covered = step.inputs.iter().all(|i| {
        let i = i.as_os_str();
        stamp
            .inputs
            .iter()
            .any(|&s| db.states[s].path.as_os_str() == i)
    });
    if !covered {
        return false;
    }
    let ids: Vec<usize> = stamp.inputs.iter().chain(&stamp.outputs).copied().collect();
    ids.into_iter().all(|i| db.current(root, i))
}

/// Parses a make-style depfile: every prerequisite of every rule.
pub fn parse_depfile(text: &str) -> Vec<PathBuf> {
    let joined = text.replace("\\\n", " ");
    let mut deps = Vec::new();
    for line in joined.lines() {
        let Some((_, rest)) = line.split_once(": ").or_else(|| line.split_once(":\t")) else {
            continue;
        };
        let mut cur = String::new();
        let mut chars = rest.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.peek() == Some(&' ') => {
                    cur.push(' ');
                    chars.next();
                }
                ' ' | '\t' => {
                    if !cur.is_empty() {
                        deps.push(PathBuf::from(std::mem::take(&mut cur)));
                    }
                }
                _ => cur.push(c),
            }
        }
        if !cur.is_empty() {
            deps.push(PathBuf::from(cur));
        }
    }
    deps.sort();
    deps.dedup();
    deps
}

/// `<path>.tmp`: unique per output (and per stamp), unlike a name derived
/// with `with_extension`, which gives `test_hello.stub` and `test_hello.spt`
/// (or `solo5_stub.o` and `solo5_stub.lds`) the same temp file when their
/// steps run in parallel. One build at a time holds the lock, so no pid is
/// needed, and a temp file left by a killed build is reused, not orphaned.
fn tmp_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".tmp");
    PathBuf::from(s)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let tmp = tmp_path(path);
    if let Err(e) = std::fs::write(&tmp, bytes) {
        // A partial temp (no space left) would only hold on to the space.
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write {}", tmp.display()));
    }
    std::fs::rename(&tmp, path)
        .with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()))
}

/// Removes a step's temp output and what tools derive from its name: their
/// own temp (`<temp>.tmp`, solo5-elftool's) and a depfile (`<temp>.d`).
fn remove_temps(tmp: &Path) {
    for suffix in ["", ".tmp", ".d"] {
        let mut p = tmp.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

/// Variables of the compiler launchers (their cache directory, distcc's
/// hosts, sccache's server): tools run in a scrubbed environment, but a
/// launcher needs these to work, and C compilers and linkers ignore them.
const LAUNCHER_ENV: &[&str] = &[
    "CCACHE_",
    "SCCACHE_",
    "DISTCC_",
    "XDG_CACHE_HOME",
    "XDG_CONFIG_HOME",
];

fn launcher_env(cmd: &mut std::process::Command) {
    for (k, v) in std::env::vars_os() {
        let name = k.to_string_lossy();
        if LAUNCHER_ENV.iter().any(|p| name.starts_with(p)) {
            cmd.env(&k, v);
        }
    }
}

/// A tool outlives a killed build otherwise, and would write its temp file
/// while the next build runs the same step.
fn die_with_parent(cmd: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl is async-signal-safe and touches no memory of ours.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Executes one step; returns the extra inputs its depfile named.
fn execute(root: &Path, step: &Step, verbose: bool) -> Result<Vec<PathBuf>> {
    for o in &step.outputs {
        if let Some(dir) = root.join(o).parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
    }
    match &step.action {
        Action::Write { contents } => {
            write_atomic(&root.join(&step.outputs[0]), contents)?;
            Ok(vec![])
        }
        Action::Copy { from } => {
            let out = root.join(&step.outputs[0]);
            let tmp = tmp_path(&out);
            if let Err(e) = std::fs::copy(root.join(from), &tmp) {
                let _ = std::fs::remove_file(&tmp);
                return Err(e).with_context(|| {
                    format!("cannot copy {} to {}", from.display(), tmp.display())
                });
            }
            std::fs::rename(&tmp, &out)
                .with_context(|| format!("cannot rename {}", tmp.display()))?;
            Ok(vec![])
        }
        Action::Run {
            program,
            args,
            renames,
        } => {
            let shown = format!("{} {}", program.display(), args.join(" "));
            if verbose {
                say(&format!("{shown}\n"));
            }
            // What a killed build may have left: a temp that a tool would
            // append to, a tool's own temp, a depfile.
            for (from, _) in renames {
                remove_temps(&root.join(from));
            }
            let mut cmd = toolchain::exec::scrubbed(program);
            cmd.args(args).current_dir(root);
            launcher_env(&mut cmd);
            die_with_parent(&mut cmd);
            let out = cmd
                .output()
                .with_context(|| format!("cannot run {}", program.display()))?;
            let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&out.stderr));
            if !out.status.success() {
                for (from, _) in renames {
                    remove_temps(&root.join(from));
                }
                if let Some(d) = &step.depfile {
                    let _ = std::fs::remove_file(root.join(d));
                }
                return Err(anyhow!(
                    "{} failed ({}):\n  {shown}\n{}",
                    step.label,
                    out.status,
                    text.trim_end()
                ));
            }
            if !text.trim().is_empty() {
                // Warnings from a successful step are still worth seeing.
                say(&format!("{}\n", text.trim_end()));
            }
            let mut deps = Vec::new();
            if let Some(d) = &step.depfile {
                let d = root.join(d);
                let text = std::fs::read_to_string(&d)
                    .with_context(|| format!("cannot read depfile {}", d.display()))?;
                deps = parse_depfile(&text);
                let _ = std::fs::remove_file(&d);
            }
            for (from, to) in renames {
                std::fs::rename(root.join(from), root.join(to)).with_context(|| {
                    format!("cannot rename {} to {}", from.display(), to.display())
                })?;
            }
            Ok(deps)
        }
    }
}

/// The file system's clock, read back from a probe file written just before
/// the build's first step runs: any input modified after this point carries
/// an mtime at least this large (file times come from a coarse clock that
/// can lag the system clock, so `SystemTime::now()` would not do). Failing
/// to write it (no space, no inodes) fails the build: without this time a
/// stamp could not tell a source edited during its step, and would trust
/// it. One probe serves every step: an input edited after the build
/// started but before its step did only costs that step a rerun.
fn fs_now(probe: &Path) -> Result<i64> {
    if let Some(dir) = probe.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(probe, b"").with_context(|| format!("cannot write {}", probe.display()))?;
    let mtime = std::fs::metadata(probe).and_then(|m| m.modified());
    let _ = std::fs::remove_file(probe);
    let mtime = mtime.with_context(|| format!("cannot read the mtime of {}", probe.display()))?;
    let since = mtime
        .duration_since(UNIX_EPOCH)
        .with_context(|| format!("{} is dated before 1970", probe.display()))?;
    Ok(since.as_nanos() as i64)
}

/// One arch's stamps while steps run: the database and its open file.
struct Book {
    db: Db,
    journal: Journal,
}

/// Records the step's stamp, unless a source changed while the build ran:
/// the output may hold the old contents, so the step is left stale (its
/// stamp forgotten) and the next build runs it again. Outputs of other
/// steps (`generated`) are exempt: they were finished before this step
/// started, and may share the file system clock's tick with the probe.
fn record(
    root: &Path,
    book: &Mutex<Book>,
    step: &Step,
    extra_inputs: Vec<PathBuf>,
    started: i64,
    generated: &HashSet<&Path>,
) -> Result<()> {
    let mut inputs: Vec<PathBuf> = step.inputs.clone();
    for d in extra_inputs {
        // Depfiles name system headers by absolute path and ours relative
        // to the root; both are tracked.
        let rel = d.strip_prefix(root).map(Path::to_path_buf).unwrap_or(d);
        inputs.push(rel);
    }
    inputs.sort();
    inputs.dedup();
    let inputs: Vec<FileState> = inputs
        .iter()
        .filter_map(|p| FileState::of(root, p))
        .collect();
    let outputs: Vec<FileState> = step
        .outputs
        .iter()
        .filter_map(|p| FileState::of(root, p))
        .collect();
    let changed = inputs
        .iter()
        .any(|f| f.mtime_ns >= started && !generated.contains(f.path.as_path()));
    let mut book = book.lock().unwrap_or_else(|e| e.into_inner());
    let first = &step.outputs[0];
    let entry = if changed {
        None
    } else {
        book.db.record(first, command_hash(step), inputs, outputs)
    };
    let entry = match entry {
        Some(e) => e,
        None => book.db.forget(first),
    };
    book.journal.append(&entry)
}

pub struct Options {
    pub jobs: usize,
    pub verbose: bool,
    /// Files the build itself wrote just before running the plan (the
    /// version headers): like the outputs of steps, they may share the
    /// clock's tick with the start of the build and are not a user's edit.
    pub written: Vec<PathBuf>,
}

#[derive(Debug, Default)]
pub struct Summary {
    pub ran: usize,
    pub total: usize,
}

struct State {
    /// Dirty steps not yet started, in plan (dependency) order.
    pending: Vec<usize>,
    done: Vec<bool>,
    running: usize,
    finished: usize,
    error: Option<anyhow::Error>,
}

/// Runs every out-of-date step of the plan. Stops starting new steps at the
/// first failure, lets running ones finish, and reports it.
pub fn run(root: &Path, plan: &Plan, opts: &Options) -> Result<Summary> {
    let n = plan.steps.len();
    let mut dbs: BTreeMap<&str, Db> = BTreeMap::new();
    for step in &plan.steps {
        dbs.entry(step.arch.as_str())
            .or_insert_with(|| Db::load(&root.join(db_path(&plan.out, &step.arch))));
    }
    // Decide up front what must run (as ninja does): a step runs if its own
    // stamp is stale or any step it depends on runs.
    let mut dirty = vec![false; n];
    for (i, step) in plan.steps.iter().enumerate() {
        dirty[i] = step.deps.iter().any(|&d| dirty[d]) || {
            let db = dbs.get_mut(step.arch.as_str()).expect("loaded above");
            !up_to_date(root, db, step)
        };
    }
    let pending: Vec<usize> = (0..n).filter(|&i| dirty[i]).collect();
    let total = pending.len();
    if total == 0 {
        return Ok(Summary { ran: 0, total: n });
    }
    let mut books: BTreeMap<&str, Mutex<Book>> = BTreeMap::new();
    for (arch, mut db) in dbs {
        if !pending.iter().any(|&i| plan.steps[i].arch == arch) {
            continue;
        }
        let journal = Journal::open(&root.join(db_path(&plan.out, arch)), &mut db)?;
        books.insert(arch, Mutex::new(Book { db, journal }));
    }
    let started = fs_now(
        &root
            .join(crate::model::layout::lock_file(&plan.out))
            .with_extension("clock"),
    )?;
    let generated: HashSet<&Path> = plan
        .steps
        .iter()
        .flat_map(|s| s.outputs.iter().map(PathBuf::as_path))
        .chain(opts.written.iter().map(PathBuf::as_path))
        .collect();
    let tty = std::io::stdout().is_terminal() && !opts.verbose;
    let state = Mutex::new(State {
        pending,
        done: dirty.iter().map(|d| !d).collect(),
        running: 0,
        finished: 0,
        error: None,
    });
    let cv = Condvar::new();
    let lock = || state.lock().unwrap_or_else(|e| e.into_inner());
    std::thread::scope(|scope| {
        for _ in 0..opts.jobs.max(1) {
            scope.spawn(|| loop {
                let (i, k) = {
                    let mut st = lock();
                    loop {
                        if st.error.is_some() || (st.pending.is_empty() && st.running == 0) {
                            cv.notify_all();
                            return;
                        }
                        let ready = st
                            .pending
                            .iter()
                            .position(|&i| plan.steps[i].deps.iter().all(|&d| st.done[d]));
                        match ready {
                            Some(pos) => {
                                let i = st.pending.remove(pos);
                                st.running += 1;
                                let k = total - st.pending.len();
                                break (i, k);
                            }
                            None if st.pending.is_empty() => return,
                            None => st = cv.wait(st).unwrap_or_else(|e| e.into_inner()),
                        }
                    }
                };
                let step = &plan.steps[i];
                let line = format!("[{k}/{total}] {} {} {}", step.verb, step.arch, step.label);
                if tty {
                    say(&format!("\r\x1b[K{line}"));
                } else {
                    say(&format!("{line}\n"));
                }
                let book = &books[step.arch.as_str()];
                let result = execute(root, step, opts.verbose)
                    .and_then(|deps| record(root, book, step, deps, started, &generated));
                let mut st = lock();
                st.running -= 1;
                st.finished += 1;
                match result {
                    Ok(()) => st.done[i] = true,
                    Err(e) => {
                        if st.error.is_none() {
                            st.error = Some(e);
                        }
                    }
                }
                cv.notify_all();
            });
        }
    });
    if tty {
        println!();
    }
    let st = state.into_inner().unwrap_or_else(|e| e.into_inner());
    if let Some(e) = st.error {
        return Err(e);
    }
    Ok(Summary {
        ran: st.finished,
        total: n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depfiles_parse() {
        let d = "obj/a.o.tmp: bindings/a.c include/solo5.h \\\n /usr/lib/gcc/x/include/stddef.h\n\ninclude/solo5.h:\n";
        let deps = parse_depfile(d);
        assert_eq!(
            deps,
            vec![
                PathBuf::from("/usr/lib/gcc/x/include/stddef.h"),
                PathBuf::from("bindings/a.c"),
                PathBuf::from("include/solo5.h"),
            ]
        );
        assert_eq!(
            parse_depfile("x.o: a\\ b.c c.h"),
            vec![PathBuf::from("a b.c"), PathBuf::from("c.h")]
        );
    }
}
