//! `cargo xtask dist`: builds, then packages into `target/dist/` (or
//! `DIR/dist/` with `--build-dir DIR`):
//!
//! - `solo5-ng-<version>-<arch>.tar.gz` per target: a relocatable tree
//!   (`bin/`, `include/<triple>/`, `lib/<triple>/`) to unpack anywhere;
//! - `solo5-ng_<version>_<debarch>.deb`: the tenders and solo5-elftool
//!   for the build machine's arch (Depends: libc6 only: the seccomp
//!   filters are our own);
//! - `solo5-ng-cross-<arch>_<version>_<debarch>.deb` per target: that
//!   target's toolchain, installable on the build machine's arch;
//! - `SHA256SUMS`.
//!
//! Reproducible: entries sorted, owners 0, every time stamp
//! `SOURCE_DATE_EPOCH` (else the last commit's time), gzip without name or
//! time, so the same sources give the same bytes in any directory.

use crate::cli::{self, Matches, Opt};
use crate::cmd::build;
use crate::cmd::install::{self, Entry, Parts};
use crate::model::config::{ArchConfig, Config};
use crate::model::layout::solo5_triple;
use crate::plan::{Plan, ProductKind};
use crate::util::process;
use anyhow::{bail, Context, Result};
use sha256::Sha256;
use std::fs::File;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone)]
pub struct Flags {
    pub build: build::Flags,
    pub source: bool,
}

/// `dist`'s own options, after `build`'s.
pub const OPTS: &[Opt] = &[Opt::flag(
    "source",
    "Only the source tarball `solo5-ng-VERSION.tar.gz` (git-tracked files, a VERSION file, \
     the crates vendored): builds nothing",
)];

impl Flags {
    pub fn from_matches(m: &Matches) -> Result<Flags, cli::Error> {
        Ok(Flags {
            build: build::Flags::from_matches(m)?,
            source: m.flag("source"),
        })
    }
}

pub const NAME: &str = "solo5-ng";

/// What `make` produced, for callers that use the packages.
#[derive(Debug, Default)]
pub struct Made {
    pub tarballs: Vec<(String, PathBuf)>,
    /// The tenders package, if built.
    pub host_deb: Option<PathBuf>,
    /// Per arch.
    pub cross_debs: Vec<(String, PathBuf)>,
    pub skipped: Vec<String>,
}

/// Debian's name for an arch.
pub fn debian_arch(cfg: &Config, arch: &str) -> String {
    cfg.targets
        .arch
        .get(arch)
        .map_or_else(|| arch.to_string(), |a| a.debian_arch.clone())
}

/// A version Debian accepts without a revision: digits first, then only
/// letters, digits and `.+~` (git describe's `-` become `.`).
pub fn debian_version(v: &str) -> String {
    let mut out: String = v
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".+~".contains(c) {
                c
            } else {
                '.'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "0~");
    }
    out
}

/// Package name part for an arch (`x86_64` → `x86-64`).
fn package_arch(arch: &str) -> String {
    arch.replace('_', "-")
}

/// The name of the package holding one arch's toolchain.
pub fn cross_package(arch: &str) -> String {
    format!("{NAME}-cross-{}", package_arch(arch))
}

/// The split every packaging shares (these .debs, the Debian source
/// package, the RPM spec): `solo5-ng` holds the tenders of the build
/// machine's arch and solo5-elftool; `solo5-ng-cross-ARCH` holds that
/// arch's toolchain (wrappers, headers, bindings).
pub fn package_parts(cfg: &Config, name: &str) -> Result<Parts> {
    if name == NAME {
        return Ok(Parts {
            tenders: Some(cfg.build_arch.clone()),
            elftool: true,
            toolchains: vec![],
        });
    }
    for arch in cfg.targets.arch.keys() {
        if name != cross_package(arch) {
            continue;
        }
        if !cfg.arches.iter().any(|a| &a.arch == arch) {
            bail!("package {name} holds the {arch} toolchain: add `--target {arch}`");
        }
        return Ok(Parts {
            tenders: None,
            elftool: false,
            toolchains: vec![arch.clone()],
        });
    }
    let mut valid = vec![NAME.to_string()];
    valid.extend(cfg.targets.arch.keys().map(|a| cross_package(a)));
    bail!(
        "unknown package {name:?}: the packages are {}",
        valid.join(", ")
    )
}

/// The Debian packages a package's toolchain wrappers need: those that own
/// the compilers, linkers and objcopy they run (found with `dpkg -S`).
pub fn tool_packages(cfg: &Config, parts: &Parts) -> Vec<String> {
    let mut depends = Vec::new();
    for a in cfg
        .arches
        .iter()
        .filter(|a| parts.toolchains.contains(&a.arch))
    {
        let tools = [
            a.tools.target_cc.as_ref().map(|c| c.path.clone()),
            a.tools.target_ld.as_ref().map(|l| l.path.clone()),
            a.tools.target_objcopy.as_ref().map(|o| o.path.clone()),
        ];
        for t in tools.into_iter().flatten() {
            for p in owning_packages(&t) {
                if !depends.contains(&p) {
                    depends.push(p);
                }
            }
        }
    }
    depends
}

/// SOURCE_DATE_EPOCH, else the time of the last commit, else now.
pub fn source_date_epoch(root: &Path) -> Result<u64> {
    if let Ok(v) = std::env::var("SOURCE_DATE_EPOCH") {
        return v
            .trim()
            .parse()
            .with_context(|| format!("SOURCE_DATE_EPOCH must be seconds since 1970, not {v:?}"));
    }
    let git = Command::new("git")
        .args(["log", "-1", "--format=%ct"])
        .current_dir(root)
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok());
    Ok(match git {
        Some(t) => t,
        None => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    })
}

/// Sets every mtime under `dir` (and its own) to `epoch`; directories
/// become 0755.
fn normalise(dir: &Path, epoch: u64) -> Result<()> {
    let t = UNIX_EPOCH + Duration::from_secs(epoch);
    for e in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let p = e?.path();
        if p.is_dir() {
            normalise(&p, epoch)?;
        } else {
            File::options()
                .write(true)
                .open(&p)
                .and_then(|f| f.set_modified(t))
                .with_context(|| format!("cannot set the time of {}", p.display()))?;
        }
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("cannot set the mode of {}", dir.display()))?;
    File::open(dir)
        .and_then(|f| f.set_modified(t))
        .with_context(|| format!("cannot set the time of {}", dir.display()))
}

/// `tar | gzip -n` of `stage/<name>` into `out`, reproducibly.
fn tarball(stage: &Path, name: &str, out: &Path, epoch: u64) -> Result<()> {
    let mut tar = Command::new("tar")
        .args([
            "--sort=name",
            &format!("--mtime=@{epoch}"),
            "--owner=0",
            "--group=0",
            "--numeric-owner",
            "--format=gnu",
            "-C",
        ])
        .arg(stage)
        .args(["-cf", "-", name])
        .env("LC_ALL", "C")
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot run tar")?;
    let tar_out = tar.stdout.take().context("tar stdout")?;
    let file = File::create(out).with_context(|| format!("cannot create {}", out.display()))?;
    let status = Command::new("gzip")
        .args(["-n", "-9"])
        .stdin(tar_out)
        .stdout(file)
        .status()
        .context("cannot run gzip")?;
    let tar_status = tar.wait().context("tar")?;
    if !tar_status.success() || !status.success() {
        bail!(
            "making {} failed (tar {tar_status}, gzip {status})",
            out.display()
        );
    }
    Ok(())
}

/// The Debian packages that own `path` and every link on the way to the
/// file it names, so a package depends on what provides its tools.
fn owning_packages(path: &Path) -> Vec<String> {
    let mut hops = vec![path.to_path_buf()];
    let mut cur = path.to_path_buf();
    for _ in 0..16 {
        let Ok(target) = std::fs::read_link(&cur) else {
            break;
        };
        cur = if target.is_absolute() {
            target
        } else {
            cur.parent().unwrap_or(Path::new("/")).join(target)
        };
        hops.push(cur.clone());
    }
    if let Ok(real) = path.canonicalize() {
        hops.push(real);
    }
    let mut pkgs = Vec::new();
    for h in hops {
        let Ok(out) = Command::new("dpkg").arg("-S").arg(&h).output() else {
            return pkgs;
        };
        if !out.status.success() {
            continue;
        }
        let text = String::from_utf8_lossy(&out.stdout);
        for line in text.lines() {
            // "gcc-12: /usr/bin/gcc-12" or "a, b: /path"; drop ":amd64".
            if let Some((names, _)) = line.split_once(": ") {
                for n in names.split(", ") {
                    let n = n.split(':').next().unwrap_or(n).trim().to_string();
                    if !n.is_empty() && !pkgs.contains(&n) {
                        pkgs.push(n);
                    }
                }
            }
        }
    }
    pkgs
}

struct Deb<'a> {
    package: String,
    arch: String,
    depends: Vec<String>,
    suggests: Vec<String>,
    section: &'a str,
    description: String,
}

fn build_deb(
    cfg: &Config,
    entries: &[Entry],
    stage: &Path,
    out_dir: &Path,
    version: &str,
    epoch: u64,
    d: &Deb,
) -> Result<PathBuf> {
    let root = stage.join(format!("deb-{}", d.package));
    let _ = std::fs::remove_dir_all(&root);
    install::copy_entries(&cfg.root, entries, &root.join("usr"))?;
    let size_kib: u64 = entries
        .iter()
        .map(|e| {
            std::fs::metadata(cfg.root.join(&e.src))
                .map(|m| m.len().div_ceil(1024))
                .unwrap_or(0)
        })
        .sum();
    let mut control = format!(
        "Package: {}\nVersion: {version}\nArchitecture: {}\nMaintainer: solo5-ng developers <solo5-ng@localhost>\nInstalled-Size: {size_kib}\n",
        d.package, d.arch
    );
    if !d.depends.is_empty() {
        control.push_str(&format!("Depends: {}\n", d.depends.join(", ")));
    }
    if !d.suggests.is_empty() {
        control.push_str(&format!("Suggests: {}\n", d.suggests.join(", ")));
    }
    control.push_str(&format!(
        "Section: {}\nPriority: optional\nDescription: {}\n",
        d.section, d.description
    ));
    let debian = root.join("DEBIAN");
    std::fs::create_dir_all(&debian)
        .with_context(|| format!("cannot create {}", debian.display()))?;
    std::fs::write(debian.join("control"), control).context("cannot write DEBIAN/control")?;
    std::fs::set_permissions(
        debian.join("control"),
        std::fs::Permissions::from_mode(0o644),
    )?;
    normalise(&root, epoch)?;
    let out = out_dir.join(format!("{}_{version}_{}.deb", d.package, d.arch));
    process::check(
        Command::new("dpkg-deb")
            .args(["--root-owner-group", "-Zxz", "--threads-max=1", "--build"])
            .arg(&root)
            .arg(&out)
            .env("SOURCE_DATE_EPOCH", epoch.to_string())
            .env("LC_ALL", "C"),
    )?;
    Ok(out)
}

fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// Packages the build described by `cfg` and `plan` into `out_dir`
/// (emptied first).
pub fn make(cfg: &Config, plan: &Plan, out_dir: &Path) -> Result<Made> {
    let epoch = source_date_epoch(&cfg.root)?;
    let version = crate::util::version::version(&cfg.root);
    if out_dir.exists() {
        std::fs::remove_dir_all(out_dir)
            .with_context(|| format!("cannot empty {}", out_dir.display()))?;
    }
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let job = Job {
        cfg,
        plan,
        out_dir,
        stage: out_dir.join(".stage"),
        epoch,
        deb_version: debian_version(&version),
    };
    let mut made = Made::default();
    make_tarballs(&job, &version, &mut made)?;
    if !have("dpkg-deb") {
        made.skipped
            .push(".deb packages: dpkg-deb not found (apt-get install dpkg)".into());
    } else {
        make_host_deb(&job, &mut made)?;
        for a in &cfg.arches {
            make_cross_deb(&job, a, &mut made)?;
        }
    }
    std::fs::remove_dir_all(&job.stage)
        .with_context(|| format!("cannot remove {}", job.stage.display()))?;
    write_sums(out_dir)?;
    Ok(made)
}

/// What every package of one `dist` run shares.
struct Job<'a> {
    cfg: &'a Config,
    plan: &'a Plan,
    out_dir: &'a Path,
    stage: PathBuf,
    epoch: u64,
    deb_version: String,
}

/// One relocatable tarball per arch: tenders, elftool and toolchain.
fn make_tarballs(job: &Job, version: &str, made: &mut Made) -> Result<()> {
    for a in &job.cfg.arches {
        let name = format!("{NAME}-{version}-{}", a.arch);
        let parts = Parts {
            tenders: Some(a.arch.clone()),
            elftool: true,
            toolchains: vec![a.arch.clone()],
        };
        let entries = match install::entries(job.plan, &parts) {
            Ok(e) => e,
            Err(e) => {
                made.skipped.push(format!("{name}.tar.gz: {e:#}"));
                continue;
            }
        };
        let tree = job.stage.join(&name);
        install::copy_entries(&job.cfg.root, &entries, &tree)?;
        normalise(&tree, job.epoch)?;
        let out = job.out_dir.join(format!("{name}.tar.gz"));
        tarball(&job.stage, &name, &out, job.epoch)?;
        made.tarballs.push((a.arch.clone(), out));
    }
    Ok(())
}

/// The tenders and solo5-elftool of the build machine's arch.
fn make_host_deb(job: &Job, made: &mut Made) -> Result<()> {
    let cfg = job.cfg;
    let build_deb_arch = debian_arch(cfg, &cfg.build_arch);
    let built_tenders = job
        .plan
        .products_of(&cfg.build_arch, ProductKind::Tender)
        .next()
        .is_some();
    if !cfg.arches.iter().any(|a| a.arch == cfg.build_arch) || !built_tenders {
        made.skipped.push(format!(
            "{NAME}_{}_{build_deb_arch}.deb: no tenders built for {}",
            job.deb_version, cfg.build_arch
        ));
        return Ok(());
    }
    let parts = package_parts(cfg, NAME)?;
    let entries = install::entries(job.plan, &parts)?;
    // What the bindings' scripts it installs run.
    let mut suggests: Vec<String> = Vec::new();
    for b in cfg
        .targets
        .linux(&cfg.build_arch)
        .into_iter()
        .flat_map(|s| &s.bindings)
    {
        let binding = &cfg.targets.binding[b.get_ref()];
        let shipped = binding.launcher.iter().chain(&binding.mkimage).any(|l| {
            let name = crate::model::targets::script_name(l.get_ref());
            entries
                .iter()
                .any(|e| e.dest == Path::new("bin").join(&name))
        });
        if shipped {
            suggests.extend(binding.suggests.iter().cloned());
        }
    }
    let deb = Deb {
        package: NAME.into(),
        arch: build_deb_arch,
        depends: vec!["libc6".into()],
        suggests,
        section: "utils",
        description: format!(
            "Solo5-compatible sandboxed execution environment for unikernels\n \
             The tenders that run Solo5 unikernels on {} Linux hosts \
             (solo5-hvt with KVM,\n solo5-spt in a seccomp sandbox, as \
             built), solo5-elftool, and where built the scripts that boot\n \
             virtio unikernels in QEMU and make disk images of them.",
            cfg.build_arch
        ),
    };
    made.host_deb = Some(build_deb(
        cfg,
        &entries,
        &job.stage,
        job.out_dir,
        &job.deb_version,
        job.epoch,
        &deb,
    )?);
    Ok(())
}

/// One arch's toolchain (wrappers, headers, bindings), for this machine.
fn make_cross_deb(job: &Job, a: &ArchConfig, made: &mut Made) -> Result<()> {
    let package = cross_package(&a.arch);
    let parts = package_parts(job.cfg, &package)?;
    let entries = match install::entries(job.plan, &parts) {
        Ok(e) => e,
        Err(e) => {
            made.skipped.push(format!("{package}: {e:#}"));
            return Ok(());
        }
    };
    let mut depends = vec![format!("{NAME} (= {})", job.deb_version)];
    depends.extend(tool_packages(job.cfg, &parts));
    let triple = solo5_triple(&a.arch);
    let bindings: Vec<String> = job
        .plan
        .products_of(&a.arch, ProductKind::Binding)
        .map(|p| p.name.clone())
        .collect();
    let deb = Deb {
        package,
        arch: debian_arch(job.cfg, &job.cfg.build_arch),
        depends,
        suggests: vec![],
        section: "devel",
        description: format!(
            "Solo5 toolchain for {arch} unikernels ({triple})\n \
             The {triple}-cc, -ld and -objcopy wrappers, the Solo5 \
             headers and\n the {bindings} bindings, for building {arch} \
             unikernels on this machine.",
            arch = a.arch,
            bindings = bindings.join(", ")
        ),
    };
    let out = build_deb(
        job.cfg,
        &entries,
        &job.stage,
        job.out_dir,
        &job.deb_version,
        job.epoch,
        &deb,
    )?;
    made.cross_debs.push((a.arch.clone(), out));
    Ok(())
}

/// `SHA256SUMS` of every file in `dir`, sorted by name.
fn write_sums(dir: &Path) -> Result<()> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "SHA256SUMS")
        .collect();
    names.sort();
    let mut text = String::new();
    for n in names {
        let data = std::fs::read(dir.join(&n)).with_context(|| format!("cannot read {n}"))?;
        text.push_str(&format!("{:x}  {n}\n", Sha256::digest(&data)));
    }
    std::fs::write(dir.join("SHA256SUMS"), text).context("cannot write SHA256SUMS")
}

/// The git-tracked files of the tree at `root` (as they are in the working
/// tree), sorted.
fn tracked_files(root: &Path) -> Result<Vec<PathBuf>> {
    let out = process::stdout(
        Command::new("git")
            .args(["ls-files", "-z"])
            .current_dir(root),
    )
    .context("the source tarball is made from a git checkout")?;
    let mut files: Vec<PathBuf> = out
        .split('\0')
        .filter(|n| !n.is_empty())
        .map(PathBuf::from)
        .filter(|p| root.join(p).is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// Vendors the crates of the tree in `dir` into `dir/vendor` and adds the
/// source replacement cargo prints to `.cargo/config.toml`, so the tree
/// builds with no network and an empty CARGO_HOME.
fn vendor(dir: &Path) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let replacement = process::stdout(
        Command::new(&cargo)
            .args(["vendor", "--locked", "vendor"])
            .stderr(Stdio::null())
            .current_dir(dir),
    )
    .context("cannot vendor the crates (cargo vendor needs them in CARGO_HOME or the network)")?;
    let config = dir.join(".cargo/config.toml");
    let mut text = std::fs::read_to_string(&config).unwrap_or_default();
    text.push_str("\n# Added by `cargo xtask dist --source`: the crates are in vendor/.\n");
    text.push_str(replacement.trim());
    text.push('\n');
    std::fs::create_dir_all(dir.join(".cargo"))?;
    std::fs::write(&config, text).with_context(|| format!("cannot write {}", config.display()))
}

/// The workspace's `rust-version` (the minimum Rust it builds with).
fn rust_version(root: &Path) -> Result<String> {
    let path = root.join("Cargo.toml");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let doc: toml::Table = text
        .parse()
        .with_context(|| format!("{} is not valid TOML", path.display()))?;
    doc.get("workspace")
        .and_then(|w| w.get("package"))
        .and_then(|p| p.get("rust-version"))
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .with_context(|| format!("{} has no workspace.package.rust-version", path.display()))
}

/// `solo5-ng-VERSION.tar.gz` in `out_dir`: the git-tracked files, VERSION,
/// and vendor/ with the source replacement, reproducibly.
pub fn source_tarball(root: &Path, out_dir: &Path) -> Result<PathBuf> {
    let epoch = source_date_epoch(root)?;
    let version = crate::util::version::version(root);
    let name = format!("{NAME}-{version}");
    let stage = out_dir.join(".stage-source");
    let _ = std::fs::remove_dir_all(&stage);
    let tree = stage.join(&name);
    for rel in tracked_files(root)? {
        let to = tree.join(&rel);
        std::fs::create_dir_all(to.parent().context("no parent")?)?;
        std::fs::copy(root.join(&rel), &to)
            .with_context(|| format!("cannot copy {}", rel.display()))?;
    }
    std::fs::write(tree.join("VERSION"), format!("{version}\n")).context("cannot write VERSION")?;
    let targets = crate::model::config::load_targets(root)?;
    for f in crate::cmd::distro::files(&targets, &version, &rust_version(root)?, epoch) {
        let to = tree.join(&f.path);
        std::fs::create_dir_all(to.parent().context("no parent")?)?;
        std::fs::write(&to, &f.text).with_context(|| format!("cannot write {}", to.display()))?;
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(f.mode))
            .with_context(|| format!("cannot set the mode of {}", to.display()))?;
    }
    vendor(&tree)?;
    normalise(&tree, epoch)?;
    let out = out_dir.join(format!("{name}.tar.gz"));
    tarball(&stage, &name, &out, epoch)?;
    std::fs::remove_dir_all(&stage)
        .with_context(|| format!("cannot remove {}", stage.display()))?;
    Ok(out)
}

pub fn run(flags: Flags) -> Result<i32> {
    if flags.source {
        let root = crate::model::config::repo_root()?;
        let dist =
            crate::model::layout::dist_dir(&crate::model::config::out_dir(&flags.build.tools)?);
        let out_dir = root.join(&dist);
        std::fs::create_dir_all(&out_dir)
            .with_context(|| format!("cannot create {}", out_dir.display()))?;
        let out = source_tarball(&root, &out_dir)?;
        println!("{}", out.display());
        return Ok(0);
    }
    let (cfg, plan) = build::build_with(&flags.build, true)?;
    let dist = crate::model::layout::dist_dir(&cfg.out);
    let out_dir = cfg.root.join(&dist);
    let made = make(&cfg, &plan, &out_dir)?;
    for s in &made.skipped {
        println!("skipped: {s}");
    }
    let mut names: Vec<String> = std::fs::read_dir(&out_dir)?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for n in names {
        println!("{}", dist.join(n).display());
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_debian_accepts() {
        assert_eq!(debian_version("0.1.0"), "0.1.0");
        assert_eq!(
            debian_version("0.1.0+git.v0.1-3-gabc-dirty"),
            "0.1.0+git.v0.1.3.gabc.dirty"
        );
        assert_eq!(debian_version("v1"), "0~v1");
    }

    #[test]
    fn package_names() {
        assert_eq!(package_arch("x86_64"), "x86-64");
        assert_eq!(package_arch("aarch64"), "aarch64");
    }
}
