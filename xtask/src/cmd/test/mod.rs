//! `cargo xtask test`: cargo's own tests, a build, the checks every
//! unikernel must pass, then every (test, binding, arch) cell this machine
//! can run, ending with one line: `N passed, N failed, N skipped`.

mod checks;
pub mod e2e;
mod e2e_fds;
mod fds;
mod in_guest;
mod judge;
mod native;
pub mod tapfd;

use crate::cmd::build;
use crate::model::config::{self, Config};
use crate::model::layout::{self, Layout};
use crate::model::targets::script_name;
use crate::model::tests::{self as testspec, Test};
use crate::plan::{Plan, ProductKind};
use crate::runner::{guest, xen, Placement, Runners};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, Clone)]
pub struct Flags {
    pub build: build::Flags,
    pub bindings: Vec<String>,
    pub no_cargo_tests: bool,
    pub filter: Option<String>,
}

/// `test`'s own options, after `build`'s.
pub const OPTS: &[crate::cli::Opt] = &[
    crate::cli::Opt::many(
        "binding",
        "BINDING",
        "Only run cells of this binding; repeatable",
    ),
    crate::cli::Opt::flag(
        "no-cargo-tests",
        "Skip `cargo test` (unit and integration tests of the Rust crates)",
    ),
];

pub const ARG: crate::cli::Arg = crate::cli::Arg {
    name: "FILTER",
    required: false,
    possible: &[],
    help: "Only tests whose name contains this",
};

impl Flags {
    pub fn from_matches(m: &crate::cli::Matches) -> Result<Flags, crate::cli::Error> {
        Ok(Flags {
            build: build::Flags::from_matches(m)?,
            bindings: m.values("binding"),
            no_cargo_tests: m.flag("no-cargo-tests"),
            filter: m.arg.clone(),
        })
    }
}

#[derive(Default)]
struct Tally {
    passed: usize,
    failed: usize,
    skipped: usize,
    failures: Vec<String>,
}

impl Tally {
    fn pass(&mut self, what: &str, detail: &str) {
        self.passed += 1;
        println!("PASS {what}{detail}");
    }
    fn fail(&mut self, what: &str, why: &str) {
        self.failed += 1;
        self.failures.push(what.to_string());
        println!("FAIL {what}: {why}");
    }
    fn skip(&mut self, what: &str, why: &str) {
        self.skipped += 1;
        println!("SKIP {what}: {why}");
    }
}

pub fn run(flags: Flags) -> Result<i32> {
    let root = config::repo_root()?;
    // Before anything runs: a misspelt binding would select no cell and
    // pass with nothing tested.
    let targets = config::load_targets(&root)?;
    if let Some(b) = flags
        .bindings
        .iter()
        .find(|b| !targets.binding.contains_key(b.as_str()))
    {
        let known: Vec<&str> = targets.binding.keys().map(String::as_str).collect();
        bail!(
            "--binding {b}: targets.toml has no such binding (known: {})",
            known.join(", ")
        );
    }
    let mut tally = Tally::default();
    if !flags.no_cargo_tests {
        cargo_tests(&root, &mut tally)?;
    }
    println!("== build");
    let (cfg, plan) = build::build_with(&flags.build, true)?;
    let tests = testspec::load(&root)?;
    let sel = Selection { flags: &flags };

    println!("== unikernel checks (PT_INTERP guard, W^X, entry, notes, direct exec)");
    let wanted = |t: &Test| sel.test(t);
    let binding_wanted = |b: &str| sel.binding(b);
    checks::check_products(
        &root,
        &cfg,
        &plan,
        &tests,
        &wanted,
        &binding_wanted,
        &mut tally,
    );
    println!("== every ELF in each arch's tree is of that arch");
    for a in &cfg.arches {
        let machine = cfg.targets.arch[&a.arch].elf_machine;
        checks::check_tree_machines(&root, &cfg.out, &a.arch, machine, &mut tally);
    }
    println!("== bindings were built by the compiler asked for (.comment)");
    for a in &cfg.arches {
        checks::check_comments(&root, a, &plan, &mut tally);
    }

    println!("== test unikernels");
    let scratch = tempdir_in(&root.join(layout::scratch_dir(&cfg.out, "test")))?;
    let mut runners = Runners::new(&cfg, &root);
    for a in &cfg.arches {
        let cells = collect_cells(
            &root,
            &cfg,
            &plan,
            &tests,
            &sel,
            &a.arch,
            &mut runners,
            &scratch,
            &mut tally,
        )?;
        run_cells(&root, &cfg, &a.arch, cells, &scratch, &mut tally)?;
    }
    // The packages, end to end, outside the repository (e2e.rs).
    if flags.filter.is_none() && flags.bindings.is_empty() {
        println!("== packages, end to end (outside the repository)");
        for (name, v) in e2e::run(&cfg, &plan, &mut runners) {
            match v {
                e2e::Verdict::Pass(d) => tally.pass(&name, &d),
                e2e::Verdict::Fail(why) => tally.fail(&name, &why),
                e2e::Verdict::Skip(why) => tally.skip(&name, &why),
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    println!();
    if !tally.failures.is_empty() {
        println!("failed: {}", tally.failures.join(", "));
    }
    println!(
        "{} passed, {} failed, {} skipped",
        tally.passed, tally.failed, tally.skipped
    );
    Ok(if tally.failed == 0 { 0 } else { 1 })
}

fn cargo_tests(root: &Path, tally: &mut Tally) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    println!("== cargo test --workspace");
    let status = Command::new(&cargo)
        .args(["test", "--workspace", "--quiet"])
        .current_dir(root)
        .status()
        .with_context(|| format!("cannot run {cargo}"))?;
    if status.success() {
        tally.pass("cargo test --workspace", "");
    } else {
        tally.fail("cargo test --workspace", &format!("{status}"));
    }
    Ok(())
}

/// Which tests and bindings the command line selected.
struct Selection<'a> {
    flags: &'a Flags,
}

impl Selection<'_> {
    fn test(&self, t: &Test) -> bool {
        self.flags
            .filter
            .as_ref()
            .is_none_or(|f| t.name.contains(f.as_str()))
    }

    fn binding(&self, b: &str) -> bool {
        self.flags.bindings.is_empty() || self.flags.bindings.iter().any(|x| x == b)
    }
}

/// One (test, binding) cell of an arch, to run natively or in the guest.
struct Cell<'a> {
    name: String,
    test: &'a Test,
    tender: PathBuf,
    unikernel: PathBuf,
    placement: Placement,
    /// How a cell of a `qemu` binding boots.
    qemu: Option<native::Qemu>,
}

/// Every cell of `arch` this machine can run; the others are tallied as
/// skipped, with the reason.
#[allow(clippy::too_many_arguments)]
fn collect_cells<'a>(
    root: &Path,
    cfg: &Config,
    plan: &Plan,
    tests: &'a [Test],
    sel: &Selection,
    arch: &str,
    runners: &mut Runners,
    scratch: &Path,
    tally: &mut Tally,
) -> Result<Vec<Cell<'a>>> {
    let layout = Layout::new(&cfg.out, arch);
    let supported: Vec<String> = cfg
        .targets
        .linux(arch)
        .map(|s| s.bindings.iter().map(|b| b.get_ref().clone()).collect())
        .unwrap_or_default();
    let mut cells = Vec::new();
    for t in tests.iter().filter(|t| sel.test(t) && t.applies_to(arch)) {
        if let Some(needle) = &t.expect_build_error {
            if arch == cfg.build_arch && sel.binding(&t.bindings[0]) {
                checks::check_build_error(root, &cfg.out, t, needle, scratch, tally);
            }
            continue;
        }
        let bindings = t
            .bindings
            .iter()
            .filter(|b| sel.binding(b) && supported.contains(b));
        for b in bindings {
            // A cross-binding check applies only where both exist.
            if t.unikernel_from
                .as_ref()
                .is_some_and(|f| !supported.contains(f))
            {
                continue;
            }
            let name = format!("{} {} ({})", t.name, b, arch);
            let placement = runners.placement(arch, b);
            match &placement {
                // Never run; the product checks covered their unikernels.
                Placement::BuildOnly => continue,
                _ if t.build_only => continue,
                Placement::Unavailable(why) => {
                    tally.skip(&name, why);
                    continue;
                }
                Placement::Native
                | Placement::Guest
                | Placement::XenGuest
                | Placement::Qemu { .. } => {}
            }
            if let Some(why) = t.cannot_run.get(b.as_str()) {
                tally.skip(&name, &format!("cannot run on {b}: {why}"));
                continue;
            }
            if let Some(why) = plan.skip_reason(arch, ProductKind::Binding, b) {
                tally.skip(
                    &name,
                    &format!("the {b} binding was not built: {}", why.reason),
                );
                continue;
            }
            if let Some(why) = missing_tool(cfg, arch, t, &placement) {
                if std::env::var("CI").as_deref() == Ok("true") {
                    tally.fail(&name, &format!("{why} (CI must run every cell)"));
                } else {
                    tally.skip(&name, &why);
                }
                continue;
            }
            let tender = match &t.tender {
                Some(tname) if !cfg.targets.tender.contains_key(tname) => bail!(
                    "tests/tests.toml: test {:?}: tender {tname:?} is not a [tender.NAME] of \
                     targets.toml",
                    t.name
                ),
                Some(tname) => Some(runners.tender_named(arch, tname)),
                None => runners.tender(arch, b),
            };
            let Some(tender) = tender.filter(|p| p.exists()) else {
                let binding = &cfg.targets.binding[b];
                let tname = t
                    .tender
                    .clone()
                    .or_else(|| binding.tender.as_ref().map(|x| x.get_ref().clone()));
                let (kind, part) = match (tname, &binding.launcher) {
                    (Some(t), _) => (ProductKind::Tender, format!("solo5-{t}")),
                    (None, Some(l)) => (ProductKind::Script, script_name(l.get_ref())),
                    (None, None) => (ProductKind::Tender, "its tender".into()),
                };
                let why = plan
                    .skip_reason(arch, kind, &part)
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| format!("{part} was not built"));
                tally.skip(&name, &why);
                continue;
            };
            let unikernel = match &t.tender_input {
                Some(bytes) => {
                    let p = scratch.join(format!("{}.input", t.name));
                    std::fs::write(&p, bytes.as_bytes()).context("cannot write tender input")?;
                    p
                }
                None => root
                    .join(layout.unikernel(t.source(), t.unikernel_from.as_deref().unwrap_or(b))),
            };
            let qemu = match (&placement, t.mkimage) {
                (Placement::Qemu { kvm }, false) => Some(native::Qemu {
                    kvm: *kvm,
                    mkimage: None,
                }),
                (Placement::Qemu { kvm }, true) => match runners.mkimage(arch, b) {
                    Some(m) if m.exists() => Some(native::Qemu {
                        kvm: *kvm,
                        mkimage: Some(m),
                    }),
                    _ => {
                        tally.fail(
                            &name,
                            &format!("the {b} binding has no mkimage script built"),
                        );
                        continue;
                    }
                },
                (_, true) => {
                    tally.fail(
                        &name,
                        "mkimage applies to bindings with runner = \"qemu\" only",
                    );
                    continue;
                }
                (_, false) => None,
            };
            cells.push(Cell {
                name,
                test: t,
                tender,
                unikernel,
                placement,
                qemu,
            });
        }
    }
    Ok(cells)
}

/// A build-machine tool the cell needs that is not installed, as the
/// reason to skip it: gdb reads cores wherever they were written; cells
/// on this machine with network need iproute2 and ping (the guest has
/// busybox's); QEMU cells need the arch's QEMU, and a disk image cell the
/// tools of the binding's mkimage script.
fn missing_tool(cfg: &Config, arch: &str, t: &Test, placement: &Placement) -> Option<String> {
    let mut needs = Vec::new();
    if t.expect_core {
        needs.push(("gdb", "gdb"));
    }
    let here = matches!(placement, Placement::Native | Placement::Qemu { .. });
    if !t.nets.is_empty() && here {
        needs.push(("ip", "iproute2"));
        if t.ping.is_some() {
            needs.push(("ping", "iputils-ping"));
        }
    }
    if t.mkimage {
        // What solo5-virtio-mkimage runs (it looks in sbin too).
        needs.extend([
            ("sfdisk", "fdisk"),
            ("mkfs.fat", "dosfstools"),
            ("mcopy", "mtools"),
            ("syslinux", "syslinux"),
        ]);
    }
    let guest = cfg.targets.arch[arch].guest.as_ref();
    if let (Placement::Qemu { .. }, Some(g)) = (placement, guest) {
        needs.push((g.qemu.as_str(), g.qemu_packages.debian.as_str()));
    }
    let mut env = toolchain::detect::env_snapshot();
    if t.mkimage {
        let path = env.get("PATH").cloned().unwrap_or_default();
        env.insert("PATH".into(), format!("{path}:/usr/sbin:/sbin"));
    }
    needs
        .into_iter()
        .find(|(tool, _)| toolchain::detect::resolve(tool, &env).is_none())
        .map(|(tool, pkg)| {
            format!(
                "{tool} is not installed (install {pkg}, or run `cargo xtask doctor --install`)"
            )
        })
}

/// Runs the native cells one by one, then the xen cells in one boot of
/// the xen guest, then the guest cells in one boot.
fn run_cells(
    root: &Path,
    cfg: &Config,
    arch: &str,
    cells: Vec<Cell>,
    scratch: &Path,
    tally: &mut Tally,
) -> Result<()> {
    let (xen_cells, cells): (Vec<_>, Vec<_>) = cells
        .into_iter()
        .partition(|c| c.placement == Placement::XenGuest);
    let (native, guest_cells): (Vec<_>, Vec<_>) = cells
        .into_iter()
        .partition(|c| c.placement != Placement::Guest);
    for c in &native {
        match native::run_native(c.test, &c.tender, &c.unikernel, scratch, c.qemu.as_ref())
            .and_then(|o| judge::judge(c.test, &o))
        {
            Ok(elapsed) => tally.pass(&c.name, &format!(" {:.2}s", elapsed.as_secs_f64())),
            Err(e) => tally.fail(&c.name, &format!("{e:#}")),
        }
    }
    run_xen_cells(root, cfg, arch, &xen_cells, scratch, tally);
    if guest_cells.is_empty() || !guest_available(cfg, arch, &guest_cells, tally) {
        return Ok(());
    }
    let Some(g) = cfg.targets.arch[arch].guest.as_ref() else {
        return Ok(());
    };
    println!(
        "guest: running {} cells in an emulated {arch} Linux guest ({})",
        guest_cells.len(),
        g.qemu
    );
    let Some(guest_cells) = with_tapfd(root, cfg, arch, guest_cells, scratch, tally) else {
        return Ok(());
    };
    let tapfd = scratch.join(format!("tapfd-{arch}/tapfd"));
    let batch = in_guest::Batch::new(
        &guest_cells
            .iter()
            .map(|c| (c.test, c.tender.as_path(), c.unikernel.as_path()))
            .collect::<Vec<_>>(),
        tapfd.exists().then_some(tapfd.as_path()),
    );
    let results = guest::run_batch(
        root,
        &cfg.out,
        &cfg.targets,
        arch,
        &batch.files,
        &batch.tenders,
        &batch.cells,
    );
    tally_batch(&guest_cells, &batch, results, " (in guest)", scratch, tally);
    Ok(())
}

/// Whether the arch's emulated guest can boot here: it is described and
/// its QEMU is installed. Otherwise `cells` are tallied as skipped (failed
/// on CI, which must run every cell), with why.
fn guest_available(cfg: &Config, arch: &str, cells: &[Cell], tally: &mut Tally) -> bool {
    let why = match cfg.targets.arch[arch].guest.as_ref() {
        None => format!("no emulated guest is described for {arch} in targets.toml"),
        Some(g) if toolchain::detect::resolve(&g.qemu, &toolchain::detect::env_snapshot()).is_none() => format!(
            "these cells run in an emulated {arch} guest and {} is not installed (install {}, or run `cargo xtask doctor --install`)",
            g.qemu, g.qemu_packages.debian
        ),
        Some(_) => return true,
    };
    for c in cells {
        if std::env::var("CI").as_deref() == Ok("true") {
            tally.fail(&c.name, &why);
        } else {
            tally.skip(&c.name, &why);
        }
    }
    false
}

/// Each cell's verdict from one boot's results (every cell fails with the
/// boot's error when it did not complete).
fn tally_batch(
    cells: &[Cell],
    batch: &in_guest::Batch,
    results: Result<std::collections::BTreeMap<String, guest::CellResult>>,
    detail: &str,
    scratch: &Path,
    tally: &mut Tally,
) {
    let results = match results {
        Ok(r) => r,
        Err(e) => {
            for c in cells {
                tally.fail(&c.name, &format!("{e:#}"));
            }
            return;
        }
    };
    for (c, gc) in cells.iter().zip(&batch.cells) {
        match results.get(&gc.id) {
            Some(r) => match batch
                .outcome(gc, r, scratch)
                .and_then(|o| judge::judge(c.test, &o))
            {
                Ok(_) => tally.pass(&c.name, detail),
                Err(e) => tally.fail(&c.name, &format!("{e:#}")),
            },
            None => tally.fail(&c.name, "the guest reported no result"),
        }
    }
}

/// Runs the cells of `xen` bindings in one boot of the arch's xen guest
/// (runner/xen.rs), each booted there by the guest's launcher.
fn run_xen_cells(
    root: &Path,
    cfg: &Config,
    arch: &str,
    cells: &[Cell],
    scratch: &Path,
    tally: &mut Tally,
) {
    if cells.is_empty() || !guest_available(cfg, arch, cells, tally) {
        return;
    }
    println!(
        "guest: running {} cells as Xen domains in the emulated {arch} xen guest",
        cells.len()
    );
    let batch = in_guest::Batch::xen(
        &cells
            .iter()
            .map(|c| (c.test, c.unikernel.as_path()))
            .collect::<Vec<_>>(),
    );
    let results = xen::run_batch(
        root,
        &cfg.out,
        &cfg.targets,
        arch,
        &batch.files,
        &batch.cells,
    );
    tally_batch(
        cells,
        &batch,
        results,
        " (xen domain, in guest)",
        scratch,
        tally,
    );
}

/// Builds tapfd into `scratch/tapfd-ARCH/` when a guest cell passes taps
/// by descriptor; cells that need it fail when it cannot be built. None
/// when no cell is left.
fn with_tapfd<'t>(
    root: &Path,
    cfg: &Config,
    arch: &str,
    cells: Vec<Cell<'t>>,
    scratch: &Path,
    tally: &mut Tally,
) -> Option<Vec<Cell<'t>>> {
    if !cells.iter().any(|c| in_guest::needs_tapfd(c.test)) {
        return Some(cells);
    }
    let built = cfg
        .arches
        .iter()
        .find(|a| a.arch == arch)
        .context("the arch is not configured")
        .and_then(|a| tapfd::build(root, a, &scratch.join(format!("tapfd-{arch}"))));
    let Err(e) = built else {
        return Some(cells);
    };
    let (failed, rest): (Vec<_>, Vec<_>) = cells
        .into_iter()
        .partition(|c| in_guest::needs_tapfd(c.test));
    for c in &failed {
        tally.fail(&c.name, &format!("{e:#}"));
    }
    (!rest.is_empty()).then_some(rest)
}

fn tempdir_in(base: &Path) -> Result<PathBuf> {
    let dir = base.join(format!("{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}
