//! The end-to-end proof of the packages, outside the repository: `dist`
//! into a scratch directory, the install layout checked, the `.deb`s
//! unpacked into a scratch root, then, from a temporary directory whose
//! PATH holds only that root and the system's directories, a small
//! unikernel (written here, not one of tests/) is compiled with the
//! installed `<arch>-solo5-none-static-cc`, its manifest generated with the
//! installed `solo5-elftool`, linked for each binding with the installed
//! wrappers and run with the installed tender: natively for spt on the
//! build machine, in the arch's emulated guest otherwise (hvt, and every
//! foreign arch, whose tenders come from that arch's tarball), and for a
//! binding booted by QEMU (virtio) with the installed `solo5-virtio-run`,
//! then again from the disk image the installed `solo5-virtio-mkimage`
//! makes of it. Each
//! installed tender is also given a disk image and a tap by descriptor by
//! a shell script, for a unikernel that uses both (e2e_fds.rs).
//!
//! `cargo xtask test` calls [`run`] after its own cells.

use super::{e2e_fds, tapfd};
use crate::cmd::{dist, install};
use crate::model::config::Config;
use crate::model::layout::solo5_triple;
use crate::model::targets::{script_name, Targets};
use crate::plan::{Plan, ProductKind};
use crate::runner::{guest, xen, Placement, Runners};
use crate::util::process;
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What became of one check.
#[derive(Debug, Clone)]
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
pub(super) fn clean(program: &str, work: &Path, bins: &[PathBuf]) -> Command {
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
pub(super) fn script(work: &Path, bins: &[PathBuf], text: &str) -> Result<String> {
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
    let args = [unikernel.as_os_str(), ARG.as_ref()];
    run_installed(work, bins, tender, &args)
}

/// Runs an installed program that boots a unikernel, which must print
/// [`EXPECT`] and exit 0.
fn run_installed(
    work: &Path,
    bins: &[PathBuf],
    tender: &Path,
    args: &[&std::ffi::OsStr],
) -> Result<String> {
    let start = Instant::now();
    let mut child = clean(&tender.display().to_string(), work, bins)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {}", tender.display()))?;
    loop {
        if child.try_wait()?.is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            bail!("{} did not finish in 120 s", tender.display());
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

/// The hypervisor option of the launcher of a `qemu` binding.
fn hypervisor(kvm: bool) -> &'static str {
    if kvm {
        "kvm"
    } else {
        "qemu"
    }
}

/// Boots the unikernel with the installed launcher of a `qemu` binding.
fn run_qemu(
    work: &Path,
    bins: &[PathBuf],
    launcher: &Path,
    unikernel: &Path,
    kvm: bool,
) -> Result<String> {
    let args = [
        "-H".as_ref(),
        hypervisor(kvm).as_ref(),
        unikernel.as_os_str(),
        ARG.as_ref(),
    ];
    let took = run_installed(work, bins, launcher, &args)?;
    Ok(format!("{took}, {}", if kvm { "KVM" } else { "TCG" }))
}

/// Makes a disk image of the unikernel (its argument stored in it) with
/// the installed mkimage script, then boots it with the launcher.
fn boot_image(
    work: &Path,
    bins: &[PathBuf],
    mkimage: &Path,
    launcher: &Path,
    unikernel: &Path,
    kvm: bool,
) -> Result<String> {
    let image = work.join("hello-virtio.img");
    let mut make = clean(&mkimage.display().to_string(), work, bins);
    make.arg(&image)
        .arg(unikernel)
        .arg(ARG)
        .stdin(Stdio::null());
    process::all_output(&mut make).with_context(|| format!("{} failed", mkimage.display()))?;
    let args = ["-H".as_ref(), hypervisor(kvm).as_ref(), image.as_os_str()];
    let took = run_installed(work, bins, launcher, &args);
    let _ = std::fs::remove_file(&image);
    took
}

/// The name of the check of one (arch, binding).
fn check_name(arch: &str, binding: &str) -> String {
    format!("e2e {arch} {binding}: installed toolchain, outside the repository")
}

/// A check that says something on success, in parentheses.
fn verdict_of(result: Result<String>) -> Verdict {
    match result {
        Ok(d) => Verdict::Pass(format!(" ({d})")),
        Err(e) => Verdict::Fail(format!("{e:#}")),
    }
}

/// The unikernels of one arch that run in its emulated guest, and what
/// the guest needs for them: all share one boot.
#[derive(Default)]
struct GuestBatch {
    /// (check name, cell, what its output must hold)
    cells: Vec<(String, guest::Cell, Vec<&'static str>)>,
    /// Guest path → host file.
    files: Vec<(String, PathBuf)>,
    tenders: Vec<PathBuf>,
}

impl GuestBatch {
    /// Ships `host` as `/t/{name}` once; returns the guest path.
    fn ship(&mut self, name: &str, host: &Path) -> String {
        let at = format!("/t/{name}");
        if !self.files.iter().any(|(g, _)| g == &at) {
            self.files.push((at.clone(), host.to_path_buf()));
        }
        at
    }

    fn add(&mut self, arch: &str, b: &str, tender_name: &str, tender: PathBuf, unikernel: &Path) {
        let tender_at = self.ship(tender_name, &tender);
        let unikernel_at = self.ship(&format!("hello.{b}"), unikernel);
        if !self.tenders.contains(&tender) {
            self.tenders.push(tender);
        }
        self.cells.push((
            check_name(arch, b),
            guest::Cell {
                id: format!("e2e{b}"),
                argv: vec![tender_at, unikernel_at, ARG.into()],
                setup: vec![],
                during: vec![],
                fetch: None,
                timeout_secs: 30,
            },
            vec![EXPECT],
        ));
    }

    /// The cell booting binding `b`'s unikernel as a xen domain under
    /// the xen guest's launcher.
    fn add_xen(&mut self, arch: &str, b: &str, unikernel: &Path) {
        let unikernel_at = self.ship(&format!("hello.{b}"), unikernel);
        let argv = [
            xen::LAUNCHER,
            "-A",
            xen::QEMU_ARGS,
            "-t",
            "60",
            &unikernel_at,
            "--",
            ARG,
        ];
        self.cells.push((
            check_name(arch, b),
            guest::Cell {
                id: format!("e2e{b}"),
                argv: argv.map(String::from).to_vec(),
                setup: vec![],
                during: vec![],
                fetch: None,
                timeout_secs: 90,
            },
            vec![EXPECT],
        ));
    }

    /// The disk-and-tap-by-descriptor cell of binding `b`.
    fn add_fds(&mut self, arch: &str, b: &str, tender_name: &str, unikernel: &Path, tapfd: &Path) {
        let tender_at = format!("/t/{tender_name}");
        let unikernel_at = self.ship(&format!("netblk.{b}"), unikernel);
        self.ship("tapfd", tapfd);
        let mut expect = e2e_fds::EXPECT.to_vec();
        expect.push(e2e_fds::GUEST_DISK);
        self.cells.push((
            e2e_fds::check_name(arch, b),
            e2e_fds::guest_cell(b, &tender_at, &unikernel_at),
            expect,
        ));
    }
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
            out.push((
                check_name(&kit.arch, "build"),
                Verdict::Fail(format!("{e:#}")),
            ));
            return;
        }
    };
    let fds = fds_kit(cfg, work, bins, &kit.arch, &runnable, out);
    let mut batch = GuestBatch::default();
    let mut xen_batch = GuestBatch::default();
    for (b, uk) in &unikernels {
        let name = check_name(&kit.arch, b);
        let binding = &cfg.targets.binding[b];
        let tname = match (&binding.tender, &binding.launcher) {
            (Some(t), _) => format!("solo5-{}", t.get_ref()),
            (None, Some(l)) => script_name(l.get_ref()),
            (None, None) => String::new(),
        };
        let tender = kit.tenders.join(&tname);
        if !tender.exists() {
            let why = format!("{tname} for {} was not built", kit.arch);
            out.push((name, Verdict::Skip(why)));
            continue;
        }
        match runners.placement(&kit.arch, b) {
            Placement::Unavailable(why) => out.push((name, Verdict::Skip(why))),
            Placement::BuildOnly => {}
            // No installed program boots a xen domain (a user's xl does):
            // the unikernel built with the installed wrapper boots under
            // the test runner's launcher in its xen guest.
            Placement::XenGuest => xen_batch.add_xen(&kit.arch, b, uk),
            Placement::Native => {
                let v = match run_native(work, bins, &tender, uk) {
                    Ok(t) => Verdict::Pass(format!(" {t}")),
                    Err(e) => Verdict::Fail(format!("{e:#}")),
                };
                out.push((name, v));
                if let Some((tapfd, netblk)) = &fds {
                    let v = e2e_fds::run_native(work, bins, tapfd, &tender, &netblk[b]);
                    out.push((e2e_fds::check_name(&kit.arch, b), v));
                }
            }
            Placement::Qemu { kvm } => {
                out.push((name, verdict_of(run_qemu(work, bins, &tender, uk, kvm))));
                let mkimage = binding.mkimage.as_ref();
                if let Some(m) = mkimage.map(|m| kit.tenders.join(script_name(m.get_ref()))) {
                    let name = format!(
                        "e2e {} {b}: the installed {} image boots",
                        kit.arch,
                        script_name(&m.display().to_string())
                    );
                    let v = verdict_of(boot_image(work, bins, &m, &tender, uk, kvm));
                    out.push((name, v));
                }
            }
            Placement::Guest => {
                batch.add(&kit.arch, b, &tname, tender, uk);
                if let Some((tapfd, netblk)) = &fds {
                    batch.add_fds(&kit.arch, b, &tname, &netblk[b], tapfd);
                }
            }
        }
    }
    if !batch.cells.is_empty() {
        run_in_guest(cfg, &kit.arch, &batch, out, guest::run_batch);
    }
    if !xen_batch.cells.is_empty() {
        run_in_guest(cfg, &kit.arch, &xen_batch, out, |root, o, t, a, f, _, c| {
            xen::run_batch(root, o, t, a, f, c)
        });
    }
}

/// tapfd and the disk-and-tap unikernel of each binding, for the checks
/// of descriptors passed by a script (e2e_fds.rs); None, with a failed
/// check, when they cannot be built.
fn fds_kit(
    cfg: &Config,
    work: &Path,
    bins: &[PathBuf],
    arch: &str,
    bindings: &[String],
    out: &mut Vec<(String, Verdict)>,
) -> Option<(PathBuf, BTreeMap<String, PathBuf>)> {
    let built = cfg
        .arches
        .iter()
        .find(|a| a.arch == arch)
        .context("the arch is not configured")
        .and_then(|a| tapfd::build(&cfg.root, a, &work.join(format!("tapfd-{arch}"))))
        .and_then(|t| Ok((t, e2e_fds::build(work, bins, arch, bindings)?)));
    match built {
        Ok((t, netblk)) => Some((t, netblk.into_iter().collect())),
        Err(e) => {
            out.push((
                e2e_fds::check_name(arch, "build"),
                Verdict::Fail(format!("{e:#}")),
            ));
            None
        }
    }
}

/// Why the arch's guest cannot boot here, as the verdict of each of its
/// checks; None when it can.
fn guest_unavailable(cfg: &Config, arch: &str) -> Option<Verdict> {
    let Some(g) = &cfg.targets.arch[arch].guest else {
        return Some(Verdict::Skip(format!(
            "no emulated guest for {arch} in targets.toml"
        )));
    };
    if toolchain::detect::resolve(&g.qemu, &toolchain::detect::env_snapshot()).is_some() {
        return None;
    }
    let why = format!(
        "{} is not installed (install {})",
        g.qemu, g.qemu_packages.debian
    );
    // CI installs QEMU: there a missing one is a broken job, not this
    // machine's limit.
    let ci = std::env::var("CI").as_deref() == Ok("true");
    Some(if ci {
        Verdict::Fail(why)
    } else {
        Verdict::Skip(why)
    })
}

/// Boots the arch's guest once for the whole batch; one verdict per cell.
/// How a batch boots: the plain guest's or the xen guest's `run_batch`.
type BootBatch = fn(
    &Path,
    &Path,
    &Targets,
    &str,
    &[(String, PathBuf)],
    &[PathBuf],
    &[guest::Cell],
) -> Result<BTreeMap<String, guest::CellResult>>;

fn run_in_guest(
    cfg: &Config,
    arch: &str,
    batch: &GuestBatch,
    out: &mut Vec<(String, Verdict)>,
    boot: BootBatch,
) {
    if let Some(v) = guest_unavailable(cfg, arch) {
        for (name, _, _) in &batch.cells {
            out.push((name.clone(), v.clone()));
        }
        return;
    }
    let cells: Vec<guest::Cell> = batch.cells.iter().map(|(_, c, _)| c.clone()).collect();
    let results = boot(
        &cfg.root,
        &cfg.out,
        &cfg.targets,
        arch,
        &batch.files,
        &batch.tenders,
        &cells,
    );
    for (name, c, expect) in &batch.cells {
        let v = match &results {
            Ok(results) => match results.get(&c.id) {
                Some(r) if r.status == 0 && expect.iter().all(|e| r.output.contains(e)) => {
                    Verdict::Pass(" (in guest)".into())
                }
                Some(r) => Verdict::Fail(format!(
                    "status {}{}:\n{}",
                    r.status,
                    if r.timed_out { ", timed out" } else { "" },
                    r.output.trim_end()
                )),
                None => Verdict::Fail("the guest reported no result".into()),
            },
            Err(e) => Verdict::Fail(format!("{e:#}")),
        };
        out.push((name.clone(), v));
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
    prove(cfg, plan, runners, &scratch, &mut out);
    let _ = std::fs::remove_dir_all(&scratch);
    out
}

/// The checks, in `scratch`; one whose product the rest need (the
/// packages, their unpacking, solo5-elftool) ends the proof when it fails.
fn prove(
    cfg: &Config,
    plan: &Plan,
    runners: &mut Runners,
    scratch: &Path,
    out: &mut Vec<(String, Verdict)>,
) {
    out.push((
        "e2e: install --prefix /usr --destdir layout and modes".into(),
        verdict_of(check_install(cfg, plan, scratch)),
    ));
    let made = match dist::make(cfg, plan, &scratch.join("dist")) {
        Ok(m) => m,
        Err(e) => {
            out.push(("e2e: dist".into(), Verdict::Fail(format!("{e:#}"))));
            return;
        }
    };
    if made.cross_debs.is_empty() {
        let why = made.skipped.join("; ");
        out.push(("e2e: .deb packages".into(), Verdict::Skip(why)));
        return;
    }
    out.push((
        "e2e: .deb control fields".into(),
        verdict_of(check_debs(&made)),
    ));

    // Every package into one root: the toolchains are co-installable.
    let root = scratch.join("root");
    let mut debs: Vec<&PathBuf> = made.cross_debs.iter().map(|(_, d)| d).collect();
    debs.extend(made.host_deb.iter());
    if let Err(e) = debs.into_iter().try_for_each(|d| unpack(d, &root)) {
        out.push(("e2e: unpack".into(), Verdict::Fail(format!("{e:#}"))));
        return;
    }
    let usr_bin = root.join("usr/bin");
    let work = scratch.join("work");
    let _ = std::fs::create_dir_all(&work);
    let tar_bins = unpack_tarballs(cfg, &made, scratch, out);
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
                return;
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
        run_arch(cfg, runners, &work, &bins, &kit, out);
    }
}

/// Unpacks each foreign arch's tarball, whose tenders that arch's checks
/// run; returns (arch, its bin directory) for each one unpacked.
fn unpack_tarballs(
    cfg: &Config,
    made: &dist::Made,
    scratch: &Path,
    out: &mut Vec<(String, Verdict)>,
) -> Vec<(String, PathBuf)> {
    let mut tar_bins = Vec::new();
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
    tar_bins
}
