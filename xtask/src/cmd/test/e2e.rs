//! The end-to-end proof of the packages, outside the repository: `dist`
//! into a scratch directory, the install layout checked, the `.deb`s
//! unpacked into a scratch root, then, from a temporary directory whose
//! PATH holds only that root and the system's directories, a small
//! unikernel (written here, not one of tests/) is compiled with the
//! installed `<arch>-solo5-none-static-cc`, its manifest generated with the
//! installed `solo5-elftool`, linked for each binding with the installed
//! wrappers and run with the installed tender: natively for spt on the
//! build machine, in the arch's emulated guest otherwise (hvt, and every
//! foreign arch, whose tenders come from that arch's tarball).
//!
//! `cargo xtask test` calls [`run`] after its own cells.

use crate::cmd::{dist, install};
use crate::model::config::Config;
use crate::model::layout::solo5_triple;
use crate::plan::{Plan, ProductKind};
use crate::runner::{guest, Placement, Runners};
use crate::util::process;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What became of one check.
#[derive(Debug)]
pub enum Verdict {
    Pass(String),
    Fail(String),
    Skip(String),
}

const HELLO_C: &str = r#"/* A unikernel built outside the solo5-ng tree. */
#include <stddef.h>
#include <stdint.h>
#include <solo5.h>

static void put(const char *s)
{
    size_t n = 0;

    while (s[n])
        n++;
    solo5_console_write(s, n);
}

int solo5_app_main(const struct solo5_start_info *si)
{
    uint64_t heap = si->heap_size;

    put("hello from an installed toolchain: ");
    put(si->cmdline);
    put(heap > 0 ? "\nheap ok\n" : "\nno heap\n");
    return SOLO5_EXIT_SUCCESS;
}
"#;

const MANIFEST: &str = r#"{"type":"solo5.manifest","version":1,"devices":[]}"#;
const ARG: &str = "e2e-arg";
const EXPECT: &str = "hello from an installed toolchain: e2e-arg";

/// A command with nothing of the caller's environment: PATH is the
/// scratch root's bin (and where solo5-elftool was unpacked, when the
/// tenders package was not made) and the system's.
fn clean(program: &str, work: &Path, bins: &[PathBuf]) -> Command {
    let mut path: Vec<String> = bins.iter().map(|b| b.display().to_string()).collect();
    path.extend(["/usr/bin".to_string(), "/bin".to_string()]);
    let mut c = Command::new(program);
    c.env_clear()
        .env("PATH", path.join(":"))
        .env("HOME", work)
        .env("LC_ALL", "C")
        .current_dir(work);
    c
}

/// Runs a shell script in `work` with the clean environment.
fn script(work: &Path, bins: &[PathBuf], text: &str) -> Result<String> {
    let path = work.join("steps.sh");
    std::fs::write(&path, format!("set -eux\n{text}")).context("cannot write the script")?;
    process::all_output(clean("/bin/sh", work, bins).arg(&path))
}

/// The install layout, staged as `install --prefix /usr --destdir D` does.
fn check_install(cfg: &Config, plan: &Plan, scratch: &Path) -> Result<String> {
    let destdir = scratch.join("destdir");
    let parts = install::Parts {
        tenders: install::tender_arch(cfg).ok(),
        elftool: true,
        toolchains: cfg.arches.iter().map(|a| a.arch.clone()).collect(),
    };
    let entries = install::entries(plan, &parts)?;
    install::copy_entries(
        &cfg.root,
        &entries,
        &install::destination(Some(&destdir), Path::new("/usr"))?,
    )?;
    let top: Vec<String> = std::fs::read_dir(&destdir)?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if top != ["usr"] {
        bail!("DESTDIR holds {top:?}, not just usr/");
    }
    use std::os::unix::fs::PermissionsExt;
    let mut want = vec!["bin/solo5-elftool".to_string()];
    for a in &cfg.arches {
        let t = solo5_triple(&a.arch);
        for tool in crate::plan::wrappers::TOOLS {
            want.push(format!("bin/{t}-{tool}"));
        }
        want.push(format!("include/{t}/solo5.h"));
        want.push(format!("include/{t}/stddef.h"));
        want.push(format!("include/{t}/{}", crate::plan::wrappers::STAMP));
        want.push(format!("lib/{t}/solo5_stub.o"));
        want.push(format!("lib/{t}/solo5_stub.lds"));
    }
    for w in &want {
        let p = destdir.join("usr").join(w);
        let meta = std::fs::metadata(&p).with_context(|| format!("{w} was not installed"))?;
        let mode = meta.permissions().mode() & 0o7777;
        let expect = if w.starts_with("bin/") { 0o755 } else { 0o644 };
        if mode != expect {
            bail!("{w} has mode {mode:o}, not {expect:o}");
        }
    }
    Ok(format!("{} files", entries.len()))
}

/// What one arch needs: where its toolchain and tenders are.
struct ArchKit {
    arch: String,
    tenders: PathBuf,
    bindings: Vec<String>,
}

/// Compiles and links the unikernel for each binding with the installed
/// toolchain of `arch`; returns the unikernel per binding.
fn build_unikernels(
    work: &Path,
    bins: &[PathBuf],
    arch: &str,
    bindings: &[String],
) -> Result<Vec<(String, PathBuf)>> {
    let dir = work.join(arch);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("hello.c"), HELLO_C)?;
    std::fs::write(dir.join("manifest.json"), MANIFEST)?;
    let t = solo5_triple(arch);
    let mut text = format!(
        "command -v {t}-cc\n\
         {t}-cc -O2 -Wall -Werror -c hello.c -o hello.o\n\
         solo5-elftool gen-manifest manifest.json manifest.c\n\
         {t}-cc -c manifest.c -o manifest.o\n\
         {t}-cc hello.o manifest.o -o hello.stub\n"
    );
    for b in bindings {
        text.push_str(&format!(
            "{t}-cc -z solo5-abi={b} hello.o manifest.o -o hello.{b}\n\
             {t}-ld -z solo5-abi={b} hello.o manifest.o -o hello-ld.{b}\n\
             solo5-elftool query-abi hello.{b}\n"
        ));
    }
    let log = script(&dir, bins, &text)?;
    let cc_found = log.lines().next().unwrap_or("");
    if !cc_found.starts_with(&bins[0].display().to_string()) {
        bail!("{t}-cc was found at {cc_found:?}, not in the scratch root");
    }
    Ok(bindings
        .iter()
        .map(|b| (b.clone(), dir.join(format!("hello.{b}"))))
        .collect())
}

fn unpack(deb_or_tar: &Path, into: &Path) -> Result<()> {
    std::fs::create_dir_all(into)?;
    let name = deb_or_tar.display().to_string();
    if name.ends_with(".deb") {
        process::all_output(Command::new("dpkg-deb").arg("-x").arg(deb_or_tar).arg(into))?;
    } else {
        process::all_output(
            Command::new("tar")
                .arg("-xzf")
                .arg(deb_or_tar)
                .arg("-C")
                .arg(into)
                .arg("--strip-components=1"),
        )?;
    }
    Ok(())
}

/// Control fields a user's dpkg relies on.
fn check_debs(made: &dist::Made) -> Result<String> {
    let arch = process::all_output(Command::new("dpkg").arg("--print-architecture"))?;
    let arch = arch.trim();
    let field = |deb: &Path, f: &str| -> Result<String> {
        Ok(
            process::all_output(Command::new("dpkg-deb").arg("-f").arg(deb).arg(f))?
                .trim()
                .to_string(),
        )
    };
    let all: Vec<&PathBuf> = made
        .host_deb
        .iter()
        .chain(made.cross_debs.iter().map(|(_, d)| d))
        .collect();
    for deb in &all {
        let a = field(deb, "Architecture")?;
        if a != arch {
            bail!("{}: Architecture {a}, not {arch}", deb.display());
        }
        if field(deb, "Version")?.is_empty() {
            bail!("{}: no Version", deb.display());
        }
    }
    let mut said = format!("Architecture {arch}");
    if let Some(host) = &made.host_deb {
        let depends = field(host, "Depends")?;
        // The tenders link nothing but libc (their seccomp filters are
        // generated by our own code).
        if depends.trim() != "libc6" {
            bail!("{}: Depends is {depends:?}, not libc6", host.display());
        }
        said.push_str(&format!(", tenders Depends {depends}"));
    }
    // As root, dpkg can say whether the packages would install here (the
    // cross packages need the tenders package beside them).
    let root = process::all_output(Command::new("id").arg("-u")).is_ok_and(|u| u.trim() == "0");
    if root && made.host_deb.is_some() {
        let mut cmd = Command::new("dpkg");
        cmd.args(["--dry-run", "-i"]).args(&all);
        process::all_output(&mut cmd)?;
        said.push_str(", dpkg --dry-run -i ok");
    }
    Ok(said)
}

fn run_native(work: &Path, bins: &[PathBuf], tender: &Path, unikernel: &Path) -> Result<String> {
    let start = Instant::now();
    let mut child = clean(&tender.display().to_string(), work, bins)
        .arg(unikernel)
        .arg(ARG)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {}", tender.display()))?;
    loop {
        if child.try_wait()?.is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            bail!("{} did not finish in 30 s", tender.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() || !text.contains(EXPECT) {
        bail!(
            "{} exited {}:\n{}",
            tender.display(),
            out.status,
            text.trim_end()
        );
    }
    Ok(format!("{:.2}s", start.elapsed().as_secs_f64()))
}

/// Runs the per-arch checks; appends one verdict per (arch, binding).
fn run_arch(
    cfg: &Config,
    runners: &mut Runners,
    work: &Path,
    bins: &[PathBuf],
    kit: &ArchKit,
    out: &mut Vec<(String, Verdict)>,
) {
    let name = |b: &str| {
        format!(
            "e2e {} {b}: installed toolchain, outside the repository",
            kit.arch
        )
    };
    // Bindings whose unikernels a tender runs.
    let runnable: Vec<String> = kit
        .bindings
        .iter()
        .filter(|b| runners.tender(&kit.arch, b).is_some())
        .cloned()
        .collect();
    let unikernels = match build_unikernels(work, bins, &kit.arch, &runnable) {
        Ok(u) => u,
        Err(e) => {
            out.push((name("build"), Verdict::Fail(format!("{e:#}"))));
            return;
        }
    };
    let mut guest_cells = Vec::new();
    let mut files = Vec::new();
    let mut tenders = Vec::new();
    for (b, uk) in &unikernels {
        let tname = cfg.targets.binding[b]
            .tender
            .as_ref()
            .map(|t| format!("solo5-{}", t.get_ref()))
            .unwrap_or_default();
        let tender = kit.tenders.join(&tname);
        if !tender.exists() {
            out.push((
                name(b),
                Verdict::Skip(format!("{tname} for {} was not built", kit.arch)),
            ));
            continue;
        }
        let placement = runners.placement(&kit.arch, b);
        match &placement {
            Placement::Unavailable(why) => {
                out.push((name(b), Verdict::Skip(why.clone())));
                continue;
            }
            Placement::BuildOnly => continue,
            Placement::Native | Placement::Guest => {}
        }
        if placement == Placement::Native {
            let v = match run_native(work, bins, &tender, uk) {
                Ok(t) => Verdict::Pass(format!(" {t}")),
                Err(e) => Verdict::Fail(format!("{e:#}")),
            };
            out.push((name(b), v));
            continue;
        }
        let id = format!("e2e{b}");
        files.push((format!("/t/{tname}"), tender.clone()));
        files.push((format!("/t/hello.{b}"), uk.clone()));
        tenders.push(tender);
        guest_cells.push((
            b.clone(),
            guest::Cell {
                id,
                argv: vec![format!("/t/{tname}"), format!("/t/hello.{b}"), ARG.into()],
                setup: vec![],
                during: vec![],
                fetch: None,
                timeout_secs: 30,
            },
        ));
    }
    if guest_cells.is_empty() {
        return;
    }
    let qemu_missing = cfg.targets.arch[&kit.arch].guest.as_ref().and_then(|g| {
        toolchain::detect::resolve(&g.qemu, &toolchain::detect::env_snapshot())
            .is_none()
            .then(|| {
                format!(
                    "{} is not installed (install {})",
                    g.qemu, g.qemu_packages.debian
                )
            })
    });
    if let Some(why) = qemu_missing {
        let ci = std::env::var("CI").as_deref() == Ok("true");
        for (b, _) in &guest_cells {
            out.push((
                name(b),
                if ci {
                    Verdict::Fail(why.clone())
                } else {
                    Verdict::Skip(why.clone())
                },
            ));
        }
        return;
    }
    if cfg.targets.arch[&kit.arch].guest.is_none() {
        for (b, _) in &guest_cells {
            out.push((
                name(b),
                Verdict::Skip(format!(
                    "no emulated guest for {} in targets.toml",
                    kit.arch
                )),
            ));
        }
        return;
    }
    let cells: Vec<guest::Cell> = guest_cells.iter().map(|(_, c)| c.clone()).collect();
    match guest::run_batch(
        &cfg.root,
        &cfg.out,
        &cfg.targets,
        &kit.arch,
        &files,
        &tenders,
        &cells,
    ) {
        Ok(results) => {
            for (b, c) in &guest_cells {
                let v = match results.get(&c.id) {
                    Some(r) if r.status == 0 && r.output.contains(EXPECT) => {
                        Verdict::Pass(" (in guest)".into())
                    }
                    Some(r) => Verdict::Fail(format!(
                        "status {}{}:\n{}",
                        r.status,
                        if r.timed_out { ", timed out" } else { "" },
                        r.output.trim_end()
                    )),
                    None => Verdict::Fail("the guest reported no result".into()),
                };
                out.push((name(b), v));
            }
        }
        Err(e) => {
            for (b, _) in &guest_cells {
                out.push((name(b), Verdict::Fail(format!("{e:#}"))));
            }
        }
    }
}

/// The whole proof; one verdict per check.
pub fn run(cfg: &Config, plan: &Plan, runners: &mut Runners) -> Vec<(String, Verdict)> {
    let mut out = Vec::new();
    let scratch = std::env::temp_dir().join(format!("solo5-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    if let Err(e) = std::fs::create_dir_all(&scratch) {
        out.push((
            "e2e: scratch directory".into(),
            Verdict::Fail(format!("cannot create {}: {e}", scratch.display())),
        ));
        return out;
    }
    let v = match check_install(cfg, plan, &scratch) {
        Ok(d) => Verdict::Pass(format!(" ({d})")),
        Err(e) => Verdict::Fail(format!("{e:#}")),
    };
    out.push((
        "e2e: install --prefix /usr --destdir layout and modes".into(),
        v,
    ));

    let made = match dist::make(cfg, plan, &scratch.join("dist")) {
        Ok(m) => m,
        Err(e) => {
            out.push(("e2e: dist".into(), Verdict::Fail(format!("{e:#}"))));
            let _ = std::fs::remove_dir_all(&scratch);
            return out;
        }
    };
    if made.cross_debs.is_empty() {
        let why = made.skipped.join("; ");
        out.push(("e2e: .deb packages".into(), Verdict::Skip(why)));
        let _ = std::fs::remove_dir_all(&scratch);
        return out;
    }
    let v = match check_debs(&made) {
        Ok(d) => Verdict::Pass(format!(" ({d})")),
        Err(e) => Verdict::Fail(format!("{e:#}")),
    };
    out.push(("e2e: .deb control fields".into(), v));

    // Every package into one root: the toolchains are co-installable.
    let root = scratch.join("root");
    let mut debs: Vec<&PathBuf> = made.cross_debs.iter().map(|(_, d)| d).collect();
    debs.extend(made.host_deb.iter());
    for d in debs {
        if let Err(e) = unpack(d, &root) {
            out.push(("e2e: unpack".into(), Verdict::Fail(format!("{e:#}"))));
            let _ = std::fs::remove_dir_all(&scratch);
            return out;
        }
    }
    let usr_bin = root.join("usr/bin");
    let work = scratch.join("work");
    let _ = std::fs::create_dir_all(&work);
    // Each foreign arch's tenders come from its tarball.
    let mut tar_bins: Vec<(String, PathBuf)> = Vec::new();
    for (arch, tar) in &made.tarballs {
        if arch == &cfg.build_arch {
            continue;
        }
        let dir = scratch.join(format!("tar-{arch}"));
        match unpack(tar, &dir) {
            Ok(()) => tar_bins.push((arch.clone(), dir.join("bin"))),
            Err(e) => out.push((
                format!("e2e {arch}: tarball"),
                Verdict::Fail(format!("{e:#}")),
            )),
        }
    }
    // solo5-elftool from the tenders package; without it (no build-machine
    // arch selected), from a tarball.
    let mut bins = vec![usr_bin.clone()];
    if made.host_deb.is_none() {
        match tar_bins.first() {
            Some((_, b)) => bins.push(b.clone()),
            None => {
                out.push((
                    "e2e: solo5-elftool".into(),
                    Verdict::Skip("neither a tenders package nor a tarball was made".into()),
                ));
                let _ = std::fs::remove_dir_all(&scratch);
                return out;
            }
        }
    }
    for a in &cfg.arches {
        if !made.cross_debs.iter().any(|(x, _)| x == &a.arch) {
            out.push((
                format!("e2e {}: installed toolchain", a.arch),
                Verdict::Skip(format!("no toolchain package for {}", a.arch)),
            ));
            continue;
        }
        let tenders = if a.arch == cfg.build_arch {
            usr_bin.clone()
        } else {
            match tar_bins.iter().find(|(x, _)| x == &a.arch) {
                Some((_, b)) => b.clone(),
                None => continue,
            }
        };
        let bindings = plan
            .products_of(&a.arch, ProductKind::Binding)
            .map(|p| p.name.clone())
            .collect();
        let kit = ArchKit {
            arch: a.arch.clone(),
            tenders,
            bindings,
        };
        run_arch(cfg, runners, &work, &bins, &kit, &mut out);
    }
    let _ = std::fs::remove_dir_all(&scratch);
    out
}
