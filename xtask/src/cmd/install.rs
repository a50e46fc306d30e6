//! `cargo xtask install`: builds, then copies the products into Solo5's
//! installed layout under DESTDIR+PREFIX:
//!
//! ```text
//! bin/solo5-hvt, bin/solo5-spt             tenders (one host arch)
//! bin/solo5-virtio-{run,mkimage}           the tenders' arch's binding scripts
//! bin/solo5-elftool                        build-machine tool
//! bin/<arch>-solo5-none-static-{cc,ld,objcopy}
//! include/<arch>-solo5-none-static/        solo5.h, ABI headers, compiler headers
//! lib/<arch>-solo5-none-static/            solo5_<binding>.o, solo5_<binding>.lds
//! ```
//!
//! Every arch's toolchain lives under its own triple, so several share one
//! prefix. Only files the build plan produces are installed (never stale
//! leftovers of the output tree), with fixed modes, and nothing is written
//! outside DESTDIR+PREFIX.

use crate::cli::{self, Matches, Opt};
use crate::cmd::build;
use crate::model::config::Config;
use crate::model::layout::{self, solo5_triple, Layout};
use crate::plan::{Plan, ProductKind};
use anyhow::{bail, Context, Result};
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Flags {
    pub build: build::Flags,
    pub prefix: Option<PathBuf>,
    pub destdir: Option<PathBuf>,
    pub tools_only: bool,
    pub no_tenders: bool,
    pub package: Option<String>,
    pub manifest: Option<PathBuf>,
    pub debian_substvars: Option<PathBuf>,
}

/// `install`'s own options, after `build`'s.
pub const OPTS: &[Opt] = &[
    Opt::value(
        "prefix",
        "DIR",
        "Installation prefix (default: $PREFIX, else /usr/local)",
    ),
    Opt::value(
        "destdir",
        "DIR",
        "Staging directory prepended to every installed path (default: $DESTDIR); the files \
         still expect to run from PREFIX",
    ),
    Opt::flag(
        "tools-only",
        "Only the programs that run unikernels and inspect them: the tenders and solo5-elftool \
         (no wrappers, headers or bindings)",
    ),
    Opt::flag(
        "no-tenders",
        "Everything but the tenders: the toolchain of each target and solo5-elftool",
    ),
    Opt::value(
        "package",
        "NAME",
        "Only the files of one package of `cargo xtask dist`'s split: `solo5-ng` (tenders, \
         solo5-elftool) or `solo5-ng-cross-ARCH` (that arch's toolchain), for distro packaging \
         (debian/rules, the spec)",
    ),
    Opt::value(
        "manifest",
        "FILE",
        "Also write the installed paths (under PREFIX, without DESTDIR) to FILE, one a line, \
         sorted; the directories the files alone own (below PREFIX/bin, include and lib) end \
         with `/`",
    ),
    Opt::value(
        "debian-substvars",
        "FILE",
        "Also add `solo5:Depends=` to the Debian substvars FILE: the packages that own the \
         compilers the installed wrappers run",
    ),
];

/// Option pairs that exclude each other.
pub const CONFLICTS: &[(&str, &str)] = &[
    ("tools-only", "no-tenders"),
    ("package", "tools-only"),
    ("package", "no-tenders"),
];

impl Flags {
    pub fn from_matches(m: &Matches) -> Result<Flags, cli::Error> {
        Ok(Flags {
            build: build::Flags::from_matches(m)?,
            prefix: m.value("prefix").map(PathBuf::from),
            destdir: m.value("destdir").map(PathBuf::from),
            tools_only: m.flag("tools-only"),
            no_tenders: m.flag("no-tenders"),
            package: m.value("package"),
            manifest: m.value("manifest").map(PathBuf::from),
            debian_substvars: m.value("debian-substvars").map(PathBuf::from),
        })
    }
}

/// Which parts to install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parts {
    /// Install the tenders (and bindings' host scripts) of this arch.
    pub tenders: Option<String>,
    pub elftool: bool,
    /// Install the toolchains (wrappers, headers, bindings) of these arches.
    pub toolchains: Vec<String>,
}

/// One file to install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Relative to the repository root, or absolute.
    pub src: PathBuf,
    /// Relative to the prefix.
    pub dest: PathBuf,
    pub mode: u32,
}

/// The arch whose tenders go into `bin/` when several arches are selected:
/// the build machine's if selected, else the only one selected.
pub fn tender_arch(cfg: &Config) -> Result<String> {
    if cfg.arches.iter().any(|a| a.arch == cfg.build_arch) {
        return Ok(cfg.build_arch.clone());
    }
    match cfg.arches.as_slice() {
        [one] => Ok(one.arch.clone()),
        _ => bail!(
            "the tenders of {} would all be bin/solo5-*: pass --no-tenders, or one --target",
            cfg.arches
                .iter()
                .map(|a| a.arch.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Every file the parts consist of, from the build plan's outputs, sorted
/// by destination.
pub fn entries(plan: &Plan, parts: &Parts) -> Result<Vec<Entry>> {
    let outputs: Vec<&PathBuf> = plan.steps.iter().flat_map(|s| s.outputs.iter()).collect();
    let mut v = Vec::new();
    if let Some(arch) = &parts.tenders {
        let scripts = plan.products_of(arch, ProductKind::Script);
        for p in plan.products_of(arch, ProductKind::Tender).chain(scripts) {
            v.push(Entry {
                src: p.path.clone(),
                dest: Path::new("bin").join(&p.name),
                mode: 0o755,
            });
        }
    }
    if parts.elftool {
        v.push(Entry {
            src: layout::tools_bin(&plan.out).join("solo5-elftool"),
            dest: PathBuf::from("bin/solo5-elftool"),
            mode: 0o755,
        });
    }
    for arch in &parts.toolchains {
        let layout = Layout::new(&plan.out, arch);
        let triple = solo5_triple(arch);
        let mut wrappers = 0;
        for out in &outputs {
            if let Ok(rel) = out.strip_prefix(&layout.include) {
                v.push(Entry {
                    src: out.to_path_buf(),
                    dest: Path::new("include").join(&triple).join(rel),
                    mode: 0o644,
                });
            } else if let Ok(rel) = out.strip_prefix(&layout.lib) {
                v.push(Entry {
                    src: out.to_path_buf(),
                    dest: Path::new("lib").join(&triple).join(rel),
                    mode: 0o644,
                });
            } else if let Ok(rel) = out.strip_prefix(&layout.bin) {
                let name = rel.display().to_string();
                if crate::plan::wrappers::TOOLS
                    .iter()
                    .any(|t| name == format!("{triple}-{t}"))
                {
                    wrappers += 1;
                    v.push(Entry {
                        src: out.to_path_buf(),
                        dest: Path::new("bin").join(rel),
                        mode: 0o755,
                    });
                }
            }
        }
        if wrappers == 0 {
            bail!("no toolchain was built for {arch} (run `cargo xtask doctor --target {arch}`)");
        }
    }
    v.sort_by(|a, b| a.dest.cmp(&b.dest));
    v.dedup_by(|a, b| a.dest == b.dest);
    Ok(v)
}

/// `root` joined with a relative path that must stay inside it.
fn inside(root: &Path, rel: &Path) -> Result<PathBuf> {
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        bail!(
            "refusing to install to {}: not a plain relative path",
            rel.display()
        );
    }
    Ok(root.join(rel))
}

/// Copies the entries under `dest_root` (DESTDIR+PREFIX, or a staging
/// directory), each written to a temp name and renamed, with its mode.
/// Directories created are 0755.
pub fn copy_entries(root: &Path, entries: &[Entry], dest_root: &Path) -> Result<()> {
    for e in entries {
        let to = inside(dest_root, &e.dest)?;
        let dir = to.parent().context("install path has no parent")?;
        create_dirs(dest_root, dir)?;
        let from = root.join(&e.src);
        let mut tmp = to.as_os_str().to_owned();
        tmp.push(".solo5-tmp");
        let tmp = PathBuf::from(tmp);
        std::fs::copy(&from, &tmp).with_context(|| {
            format!(
                "cannot copy {} to {} (did the build finish?)",
                from.display(),
                tmp.display()
            )
        })?;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(e.mode))
            .with_context(|| format!("cannot set the mode of {}", tmp.display()))?;
        std::fs::rename(&tmp, &to)
            .with_context(|| format!("cannot rename {} to {}", tmp.display(), to.display()))?;
    }
    Ok(())
}

/// Creates `dir` and its parents up to `base` with mode 0755.
fn create_dirs(base: &Path, dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        if parent != base && parent.starts_with(base) {
            create_dirs(base, parent)?;
        } else {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
    }
    match std::fs::create_dir(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("cannot create {}", dir.display())),
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("cannot set the mode of {}", dir.display()))
}

/// DESTDIR + PREFIX, as packagers expect: PREFIX is absolute and DESTDIR
/// is simply put in front of it.
pub fn destination(destdir: Option<&Path>, prefix: &Path) -> Result<PathBuf> {
    if !prefix.is_absolute() {
        bail!(
            "the prefix must be an absolute path, not {} (use --destdir to stage elsewhere)",
            prefix.display()
        );
    }
    let rel = prefix.strip_prefix("/").unwrap_or(prefix);
    Ok(match destdir {
        Some(d) if !d.as_os_str().is_empty() => d.join(rel),
        _ => prefix.to_path_buf(),
    })
}

/// The manifest of `--manifest`: every installed path under `prefix`, and
/// the directories below `prefix/bin`, `include` and `lib` that the
/// entries create (with a trailing `/`), which a package owns; `bin/`,
/// `include/` and `lib/` themselves belong to the system.
pub fn manifest(prefix: &Path, list: &[Entry]) -> String {
    let mut lines = std::collections::BTreeSet::new();
    for e in list {
        lines.insert(prefix.join(&e.dest).display().to_string());
        let mut dir = e.dest.parent();
        while let Some(d) = dir.filter(|d| d.components().count() >= 2) {
            lines.insert(format!("{}/", prefix.join(d).display()));
            dir = d.parent();
        }
    }
    lines.into_iter().map(|l| l + "\n").collect()
}

/// Writes `text` to a temp name next to `path`, then renames it.
fn write_atomic(path: &Path, text: &str) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".solo5-tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()))
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

pub fn run(flags: Flags) -> Result<i32> {
    let prefix = flags
        .prefix
        .clone()
        .or_else(|| env_path("PREFIX"))
        .unwrap_or_else(|| PathBuf::from("/usr/local"));
    let destdir = flags.destdir.clone().or_else(|| env_path("DESTDIR"));
    let dest = destination(destdir.as_deref(), &prefix)?;
    let (cfg, plan) = build::build_with(&flags.build, true)?;
    let all: Vec<String> = cfg.arches.iter().map(|a| a.arch.clone()).collect();
    let parts = match &flags.package {
        Some(name) => crate::cmd::dist::package_parts(&cfg, name)?,
        None => Parts {
            tenders: if flags.no_tenders {
                None
            } else {
                Some(tender_arch(&cfg)?)
            },
            elftool: true,
            toolchains: if flags.tools_only { vec![] } else { all },
        },
    };
    let list = entries(&plan, &parts)?;
    copy_entries(&cfg.root, &list, &dest)?;
    if let Some(file) = &flags.manifest {
        write_atomic(file, &manifest(&prefix, &list))?;
    }
    if let Some(file) = &flags.debian_substvars {
        let depends = crate::cmd::dist::tool_packages(&cfg, &parts).join(", ");
        let mut text = std::fs::read_to_string(file).unwrap_or_default();
        text.retain(|c| c != '\r');
        let mut lines: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with("solo5:Depends="))
            .collect();
        let ours = format!("solo5:Depends={depends}");
        lines.push(&ours);
        write_atomic(file, &format!("{}\n", lines.join("\n")))?;
    }
    for e in &list {
        println!("{:04o} {}", e.mode, prefix.join(&e.dest).display());
    }
    println!(
        "installed {} files under {}{}",
        list.len(),
        prefix.display(),
        match &destdir {
            Some(d) => format!(" (staged in {})", d.display()),
            None => String::new(),
        }
    );
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destdir_goes_in_front_of_the_prefix() {
        assert_eq!(
            destination(Some(Path::new("/tmp/x")), Path::new("/usr")).unwrap(),
            PathBuf::from("/tmp/x/usr")
        );
        assert_eq!(
            destination(None, Path::new("/opt/solo5")).unwrap(),
            PathBuf::from("/opt/solo5")
        );
        assert_eq!(
            destination(Some(Path::new("")), Path::new("/usr")).unwrap(),
            PathBuf::from("/usr")
        );
        let e = destination(None, Path::new("usr")).unwrap_err();
        assert!(e.to_string().contains("absolute"), "{e}");
    }

    #[test]
    fn manifest_lists_files_and_the_directories_they_own() {
        let e = |dest: &str| Entry {
            src: PathBuf::from("x"),
            dest: PathBuf::from(dest),
            mode: 0o644,
        };
        let list = [
            e("bin/solo5-hvt"),
            e("include/t/sub/a.h"),
            e("include/t/b.h"),
            e("lib/t/solo5_hvt.o"),
        ];
        assert_eq!(
            manifest(Path::new("/usr"), &list),
            "/usr/bin/solo5-hvt\n/usr/include/t/\n/usr/include/t/b.h\n\
             /usr/include/t/sub/\n/usr/include/t/sub/a.h\n/usr/lib/t/\n/usr/lib/t/solo5_hvt.o\n"
        );
    }

    #[test]
    fn nothing_escapes_the_destination() {
        let dir = tempfile::tempdir().unwrap();
        let bad = [Entry {
            src: PathBuf::from("x"),
            dest: PathBuf::from("../x"),
            mode: 0o644,
        }];
        assert!(copy_entries(dir.path(), &bad, dir.path()).is_err());
    }

    #[test]
    fn modes_are_set_and_directories_are_0755() {
        let src = tempfile::tempdir().unwrap();
        let dst = tempfile::tempdir().unwrap();
        std::fs::write(src.path().join("a"), "a").unwrap();
        std::fs::set_permissions(src.path().join("a"), std::fs::Permissions::from_mode(0o600))
            .unwrap();
        let list = [
            Entry {
                src: PathBuf::from("a"),
                dest: PathBuf::from("bin/a"),
                mode: 0o755,
            },
            Entry {
                src: PathBuf::from("a"),
                dest: PathBuf::from("include/t/sub/a.h"),
                mode: 0o644,
            },
        ];
        let root = dst.path().join("usr");
        copy_entries(src.path(), &list, &root).unwrap();
        let mode = |p: &str| {
            std::fs::metadata(root.join(p))
                .unwrap()
                .permissions()
                .mode()
                & 0o7777
        };
        assert_eq!(mode("bin/a"), 0o755);
        assert_eq!(mode("include/t/sub/a.h"), 0o644);
        assert_eq!(mode("include/t/sub"), 0o755);
        assert_eq!(mode("include"), 0o755);
    }
}
