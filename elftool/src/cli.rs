//! Command line handling for `solo5-elftool`.
//!
//! Exit status: 0 on success, 1 when the command fails (the message names
//! the file at fault), 2 for a usage error.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};

use crate::elf::Elf;
use crate::{manifest, notes};

const PROG: &str = "solo5-elftool";

/// Inputs larger than this are refused rather than read into memory.
const MAX_ELF_SIZE: u64 = 1 << 30;
const MAX_JSON_SIZE: u64 = 16 << 20;

fn usage() -> String {
    format!(
        "usage: {PROG} COMMAND ARGS...\n\
         \n\
         Commands:\n  \
         gen-manifest MANIFEST.json OUTPUT.c\n      \
         Check the JSON application manifest and write C source that declares it\n      \
         as a Solo5 manifest note; compile it and link it into the unikernel.\n      \
         OUTPUT.c is written as OUTPUT.c.tmp, then renamed into place.\n  \
         query-manifest UNIKERNEL\n      \
         Print the application manifest embedded in UNIKERNEL, as JSON.\n  \
         query-abi UNIKERNEL\n      \
         Print the ABI target and version of UNIKERNEL, as JSON.\n\
         \n\
         Options:\n  \
         -h, --help     print this help and exit\n  \
         --version      print the version and exit\n"
    )
}

/// Run the tool with `args` (program name excluded); returns the exit status.
pub fn run(args: &[OsString], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let strs: Vec<&str> = args.iter().map(|a| a.to_str().unwrap_or("")).collect();
    if strs.iter().any(|a| *a == "-h" || *a == "--help") {
        let _ = out.write_all(usage().as_bytes());
        return 0;
    }
    if strs.first() == Some(&"--version") && strs.len() == 1 {
        let _ = writeln!(out, "{PROG} {}", env!("CARGO_PKG_VERSION"));
        return 0;
    }
    let usage_error = |err: &mut dyn Write, msg: String| {
        let _ = writeln!(err, "{PROG}: {msg}");
        let _ = err.write_all(usage().as_bytes());
        2
    };
    let Some(cmd) = strs.first() else {
        return usage_error(err, "no command given".into());
    };
    let want = match *cmd {
        "gen-manifest" => 2,
        "query-manifest" | "query-abi" => 1,
        other if other.starts_with('-') => {
            return usage_error(err, format!("unknown option '{other}'"));
        }
        other => return usage_error(err, format!("unknown command '{other}'")),
    };
    if args.len() - 1 != want {
        return usage_error(
            err,
            format!(
                "{cmd} takes {want} argument{}, {} given",
                if want == 1 { "" } else { "s" },
                args.len() - 1
            ),
        );
    }
    let result = match *cmd {
        "gen-manifest" => gen_manifest(Path::new(&args[1]), Path::new(&args[2])),
        "query-manifest" => query_manifest(Path::new(&args[1])),
        _ => query_abi(Path::new(&args[1])),
    };
    match result {
        Ok(text) => {
            if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                let _ = writeln!(err, "{PROG}: cannot write to standard output: {e}");
                return 1;
            }
            0
        }
        Err(e) => {
            let _ = writeln!(err, "{PROG}: {e:#}");
            1
        }
    }
}

/// Read at most `limit` bytes of `path`; larger files are an error.
fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let shown = path.display();
    let file = File::open(path).map_err(|e| anyhow!("{shown}: cannot open: {e}"))?;
    let mut data = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut data)
        .map_err(|e| anyhow!("{shown}: cannot read: {e}"))?;
    if data.len() as u64 > limit {
        bail!("{shown}: file is too large (more than {limit} bytes)");
    }
    Ok(data)
}

fn gen_manifest(source: &Path, output: &Path) -> Result<String> {
    let text = read_limited(source, MAX_JSON_SIZE)?;
    let m = manifest::parse(&text).map_err(|e| anyhow!("{}:{e}", source.display()))?;
    write_atomically(output, manifest::to_c(&m).as_bytes())
        .map_err(|e| anyhow!("{}: {e:#}", output.display()))?;
    Ok(String::new())
}

/// The temporary file `path` is written through: `<path>.tmp`, in the same
/// directory (so the rename is atomic) and visible. The name is the same on
/// every run, so one left by a killed run is overwritten by the next run
/// for the same output rather than accumulating. Two runs writing the same
/// output at once are not supported.
fn tmp_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".tmp");
    PathBuf::from(s)
}

/// Removes the temporary file when dropped, unless it was renamed into
/// place: no error path, nor a panic, leaves it behind.
struct TempFile<'a> {
    path: &'a Path,
    renamed: bool,
}

impl Drop for TempFile<'_> {
    fn drop(&mut self) {
        if !self.renamed {
            let _ = fs::remove_file(self.path);
        }
    }
}

/// Write `contents` to `<path>.tmp`, then rename it into place: readers
/// see the old file or the complete new one, never a part.
fn write_atomically(path: &Path, contents: &[u8]) -> Result<()> {
    if path.file_name().is_none() {
        bail!("not a file name");
    }
    let tmp = tmp_path(path);
    let mut guard = TempFile {
        path: &tmp,
        renamed: false,
    };
    let mut f = File::create(&tmp)
        .with_context(|| format!("cannot create the temporary file {}", tmp.display()))?;
    f.write_all(contents)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    drop(f);
    fs::rename(&tmp, path)
        .with_context(|| format!("cannot rename {} into place", tmp.display()))?;
    guard.renamed = true;
    Ok(())
}

/// An ELF file must be a regular file: opening a FIFO would wait for a
/// writer (forever), a device could be endless. Checked before opening, as
/// std cannot open without blocking; a JSON manifest may come from a pipe.
fn load_elf(path: &Path) -> Result<Vec<u8>> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| anyhow!("{shown}: cannot open: {e}"))?;
    if !meta.is_file() {
        let kind = meta.file_type();
        use std::os::unix::fs::FileTypeExt;
        let what = if kind.is_dir() {
            "a directory"
        } else if kind.is_fifo() {
            "a FIFO"
        } else if kind.is_socket() {
            "a socket"
        } else if kind.is_char_device() || kind.is_block_device() {
            "a device"
        } else {
            "not a regular file"
        };
        bail!("{shown}: {what}, not an ELF file (give the path of a regular file)");
    }
    read_limited(path, MAX_ELF_SIZE)
}

fn query_manifest(path: &Path) -> Result<String> {
    let data = load_elf(path)?;
    let shown = path.display();
    let elf = Elf::parse(&data).map_err(|e| anyhow!("{shown}: {e}"))?;
    match notes::read_manifest(&elf).map_err(|e| anyhow!("{shown}: {e}"))? {
        Some(m) => Ok(m.to_json()),
        None => bail!("{shown}: no Solo5 manifest found in executable"),
    }
}

fn query_abi(path: &Path) -> Result<String> {
    let data = load_elf(path)?;
    let shown = path.display();
    let elf = Elf::parse(&data).map_err(|e| anyhow!("{shown}: {e}"))?;
    match notes::read_abi(&elf).map_err(|e| anyhow!("{shown}: {e}"))? {
        Some(abi) => Ok(abi.to_json()),
        None => bail!("{shown}: no Solo5 ABI information found in executable"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(args: &[&str]) -> (i32, String, String) {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run(&args, &mut out, &mut err);
        (
            code,
            String::from_utf8_lossy(&out).into_owned(),
            String::from_utf8_lossy(&err).into_owned(),
        )
    }

    #[test]
    fn help_and_version() {
        for h in ["-h", "--help"] {
            let (code, out, err) = call(&[h]);
            assert_eq!(code, 0);
            assert!(out.starts_with("usage: solo5-elftool"));
            assert!(err.is_empty());
        }
        let (code, out, _) = call(&["--version"]);
        assert_eq!(code, 0);
        assert_eq!(
            out,
            format!("solo5-elftool {}\n", env!("CARGO_PKG_VERSION"))
        );
    }

    #[test]
    fn usage_errors_exit_2() {
        for args in [
            &[][..],
            &["frobnicate"][..],
            &["--frob"][..],
            &["gen-manifest", "a.json"][..],
            &["query-abi"][..],
            &["query-manifest", "a", "b"][..],
            &["--version", "x"][..],
        ] {
            let (code, out, err) = call(args);
            assert_eq!(code, 2, "{args:?}");
            assert!(out.is_empty());
            assert!(err.starts_with("solo5-elftool: "), "{err}");
            assert!(err.contains("usage:"), "{err}");
        }
    }

    #[test]
    fn missing_files_exit_1_naming_the_file() {
        let (code, _, err) = call(&["query-abi", "/nonexistent/x.elf"]);
        assert_eq!(code, 1);
        assert!(
            err.starts_with("solo5-elftool: /nonexistent/x.elf: cannot open: "),
            "{err}"
        );
    }

    /// A FIFO or a directory given as the ELF file is refused at once,
    /// not waited on.
    #[test]
    fn non_regular_files_are_refused() {
        let dir = std::env::temp_dir().join(format!("elftool-fifo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let fifo = dir.join("fifo");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("run mkfifo");
        assert!(status.success(), "mkfifo");
        for (path, what) in [(&fifo, "a FIFO"), (&dir, "a directory")] {
            let shown = path.display().to_string();
            for cmd in ["query-manifest", "query-abi"] {
                let (code, out, err) = call(&[cmd, &shown]);
                assert_eq!(code, 1, "{cmd} {shown}: {out}{err}");
                assert!(
                    err.contains(&format!("{shown}: {what}, not an ELF file")),
                    "{err}"
                );
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A unikernel whose manifest note is empty, or whose PT_NOTE holds no
    /// note at all, has no usable manifest: query-manifest fails (exit 1)
    /// naming the file, as query-abi does for a missing ABI note.
    #[test]
    fn empty_manifest_notes_are_errors() {
        use crate::elf::tests::all_builders;
        use crate::notes::{ABI1_NOTE_TYPE, MFT1_NOTE_TYPE, SOLO5_NOTE_NAME};

        let dir = std::env::temp_dir().join(format!("elftool-empty-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        for (i, b) in all_builders().iter().enumerate() {
            let abi = b.note(SOLO5_NOTE_NAME, ABI1_NOTE_TYPE, &b.u32s(&[1, 2, 0, 0]));
            let mut empty_desc = abi.clone();
            empty_desc.extend(b.note(SOLO5_NOTE_NAME, MFT1_NOTE_TYPE, &[]));
            for (what, file, want) in [
                (
                    "empty manifest note",
                    b.with_pt_note(&empty_desc),
                    "invalid Solo5 manifest: 0 bytes is too short for a manifest header",
                ),
                (
                    "no manifest note",
                    b.with_pt_note(&abi),
                    "no Solo5 manifest found",
                ),
                (
                    "empty PT_NOTE",
                    b.with_pt_note(&[]),
                    "no Solo5 manifest found",
                ),
            ] {
                let p = dir.join(format!("{i}.elf"));
                std::fs::write(&p, &file).expect("write");
                let shown = p.display().to_string();
                let (code, out, err) = call(&["query-manifest", &shown]);
                assert_eq!(code, 1, "{what}: {out}{err}");
                assert!(out.is_empty(), "{what}: {out}");
                assert!(
                    err.starts_with(&format!("solo5-elftool: {shown}: ")) && err.contains(want),
                    "{what}: {err}"
                );
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
