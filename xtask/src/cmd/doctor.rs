//! `cargo xtask doctor`: what this machine can build and test, and what to
//! install for the rest (`--install` installs it). Its verdict is the
//! build's own: both come from the same plan.

use crate::cli::{self, Matches, Opt};
use crate::cmd::build;
use crate::model::config::{self, ArchConfig, Config, ToolFlags};
use crate::model::tests as testspec;
use crate::plan::{self, Plan};
use crate::runner::{Placement, Runners};
use anyhow::{bail, Context, Result};
use std::collections::BTreeSet;
use std::io::{BufRead, IsTerminal, Write};
use std::process::Command;
use toolchain::cache::Origin;
use toolchain::Role;

#[derive(Debug)]
pub struct Flags {
    pub tools: ToolFlags,
    pub install: bool,
    pub yes: bool,
    pub all: bool,
}

/// `doctor`'s own options, after `config::TOOL_OPTS`.
pub const OPTS: &[Opt] = &[
    Opt::flag(
        "install",
        "Install the distro packages for what is missing (prints the command first)",
    ),
    Opt::flag(
        "yes",
        "With --install: do not ask before running the package manager",
    ),
    Opt::flag(
        "all",
        "Every arch, every test tool and the CI compiler matrix (implies --all-targets)",
    ),
];

impl Flags {
    pub fn from_matches(m: &Matches) -> Result<Flags, cli::Error> {
        Ok(Flags {
            tools: ToolFlags::from_matches(m),
            install: m.flag("install"),
            yes: m.flag("yes"),
            all: m.flag("all"),
        })
    }
}

/// The distro family from /etc/os-release: debian, fedora, alpine, arch.
pub fn distro() -> Option<String> {
    let text = std::fs::read_to_string("/etc/os-release").ok()?;
    distro_of(&text)
}

pub fn distro_of(os_release: &str) -> Option<String> {
    let mut ids = Vec::new();
    for line in os_release.lines() {
        if let Some(v) = line
            .strip_prefix("ID=")
            .or_else(|| line.strip_prefix("ID_LIKE="))
        {
            ids.extend(v.trim_matches('"').split_whitespace().map(str::to_string));
        }
    }
    for id in ids {
        let family = match id.as_str() {
            "debian" | "ubuntu" => "debian",
            "fedora" | "rhel" | "centos" => "fedora",
            "alpine" => "alpine",
            "arch" | "archlinux" => "arch",
            _ => continue,
        };
        return Some(family.to_string());
    }
    None
}

pub fn run(flags: Flags) -> Result<i32> {
    let mut tools = flags.tools.clone();
    tools.all_targets |= flags.all;
    let cfg = config::load(&tools)?;
    let distro = distro().unwrap_or_else(|| "debian".into());
    println!(
        "build machine: {} Linux ({distro}), repository {}",
        cfg.build_arch,
        cfg.root.display()
    );
    let tests = testspec::load_with(&cfg.root, &cfg.targets)?;
    let plan = plan::plan(&cfg, &tests, None)?;
    let mut runners = Runners::new(&cfg, &cfg.root);
    let mut want = Wanted::default();
    for a in &cfg.arches {
        report(&cfg, a, &plan, &mut runners, &distro, &mut want);
    }
    want.packages.extend(
        cfg.targets
            .packages
            .test
            .for_distro(&distro)
            .iter()
            .cloned(),
    );
    if flags.all {
        want.packages
            .extend(cfg.targets.packages.ci.for_distro(&distro).iter().cloned());
    }

    println!("\nverdict (what `cargo xtask build` would do with these flags):");
    let v = build::verdict(&cfg, &plan, &tools);
    for line in &v.lines {
        println!("  {line}");
    }
    let code = if v.failures.is_empty() {
        println!("  the build can proceed");
        0
    } else {
        for f in &v.failures {
            println!("  cannot: {f}");
        }
        1
    };
    if flags.install {
        install(&distro, &want, flags.yes)?;
        return Ok(0);
    }
    let missing = missing_packages(&distro, &want.packages);
    if !missing.is_empty() {
        println!(
            "\nto install what builds and tests need: cargo xtask doctor --install{} (would install: {})",
            if flags.all { " --all" } else { "" },
            missing.join(" ")
        );
    }
    Ok(code)
}

/// What `--install` would install.
#[derive(Default)]
struct Wanted {
    packages: BTreeSet<String>,
    /// Debian foreign arches the guests' packages come from.
    foreign_arches: BTreeSet<String>,
}

fn tool_line(role: &str, c: &toolchain::Compiler) -> String {
    let args = if c.args.is_empty() {
        String::new()
    } else {
        format!(" {}", c.args.join(" "))
    };
    format!(
        "  {role:<15} {}{args}: {} , -dumpmachine {} (from {})",
        c.path.display(),
        c.describe(),
        c.machine,
        c.source
    )
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "NO"
    }
}

/// Prints one arch's report and adds what it lacks to `want`.
fn report(
    cfg: &Config,
    a: &ArchConfig,
    plan: &Plan,
    runners: &mut Runners,
    distro: &str,
    want: &mut Wanted,
) {
    let native = a.arch == cfg.build_arch;
    print_header(a, native);
    print_tools(a, native);
    print_problems(cfg, a, native, distro, want);
    if !native {
        // Cross builds need the cross compiler even when clang covers the
        // target: the tenders are Linux programs of the arch.
        let cross_pkgs = cfg.targets.arch[&a.arch].packages.for_distro(distro);
        want.packages.extend(cross_pkgs.iter().cloned());
    }
    print_can_build(a, plan);
    print_can_test(cfg, a, runners, distro, want);
}

fn print_header(a: &ArchConfig, native: bool) {
    println!(
        "\n== {} ({}{}) ==",
        a.arch,
        if native { "native" } else { "cross" },
        if a.origin == Origin::Cached {
            ", cached detection"
        } else {
            ""
        }
    );
}

/// The tools detection chose for each role, and those it passed over.
fn print_tools(a: &ArchConfig, native: bool) {
    let tc = &a.tools;
    println!("tools:");
    match &tc.target_cc {
        Some(c) => {
            println!("{}", tool_line("target cc", c));
            println!(
                "  {:<15} freestanding headers {} ({}), -mstack-protector-guard=global {}, PIE by default {}",
                "",
                yes(c.freestanding_headers),
                c.include_dir.display(),
                yes(c.ssp_guard_global),
                if c.pie_default { "yes (we pass -fno-pie)" } else { "no" }
            );
        }
        None => println!("  {:<15} none", "target cc"),
    }
    match &tc.target_ld {
        Some(l) => println!(
            "  {:<15} {}: {}, ld -r of {} objects {} (from {})",
            "target ld",
            l.path.display(),
            l.describe(),
            a.arch,
            yes(l.relocatable_ok),
            l.source
        ),
        None => println!("  {:<15} none", "target ld"),
    }
    match &tc.target_objcopy {
        Some(o) => println!(
            "  {:<15} {}: understands {} and -w -G {} (from {})",
            "target objcopy",
            o.path.display(),
            a.arch,
            yes(o.works),
            o.source
        ),
        None => println!("  {:<15} none", "target objcopy"),
    }
    match &tc.host_cc {
        Some(c) => println!("{}", tool_line("host cc", c)),
        None => println!("  {:<15} none", "host cc"),
    }
    if !native {
        match &tc.build_cc {
            Some(c) => println!("{}", tool_line("build cc", c)),
            None => println!(
                "  {:<15} none (not needed by the default build)",
                "build cc"
            ),
        }
    }
    for r in &tc.rejected {
        println!("  passed over ({} role) {}: {}", r.role, r.tool, r.reason);
    }
}

/// Each toolchain problem with its fix; the packages of the fix go to `want`.
fn print_problems(cfg: &Config, a: &ArchConfig, native: bool, distro: &str, want: &mut Wanted) {
    let t = &cfg.targets;
    let arch = &t.arch[&a.arch];
    let cross_pkgs = arch.packages.for_distro(distro);
    let cross_pkg = cross_pkgs.join(" ");
    let native_pkg = t
        .packages
        .native_cc
        .for_distro(distro)
        .unwrap_or(&t.packages.native_cc.debian);
    if !a.tools.problems.is_empty() {
        println!("problems:");
    }
    for p in &a.tools.problems {
        println!("  {} toolchain: {}", p.role, p.message);
        let fix = match p.role {
            Role::Target if p.message.contains("linker") => {
                format!(
                    "install {cross_pkg} (binutils for {}) or lld, or set TARGET_LD",
                    a.arch
                )
            }
            Role::Target if p.message.contains("objcopy") => {
                format!("install binutils for {}, or set TARGET_OBJCOPY", a.arch)
            }
            Role::Target if native => format!("install {native_pkg} or clang, or set TARGET_CC"),
            Role::Target => format!(
                "install {cross_pkg}, or set TARGET_CC (e.g. TARGET_CC=\"clang --target={}\")",
                arch.gnu_triple
            ),
            Role::Host if native => format!("install {native_pkg}, or set HOST_CC"),
            Role::Host => format!("install {cross_pkg}, or set HOST_CC"),
            Role::Build => format!("install {native_pkg}, or set CC"),
        };
        println!("    fix: {fix}");
        if native || p.role == Role::Build {
            want.packages.insert(native_pkg.to_string());
        } else {
            want.packages.extend(cross_pkgs.iter().cloned());
        }
    }
}

/// The arch's products the build plan builds, and those it skips with why.
fn print_can_build(a: &ArchConfig, plan: &Plan) {
    println!("can build (the same plan `cargo xtask build` runs):");
    for p in plan
        .products
        .iter()
        .filter(|p| p.arch == a.arch && p.kind != plan::ProductKind::Unikernel)
    {
        println!("  {} {:<10} yes", p.kind, p.name);
    }
    for s in plan.skipped.iter().filter(|s| s.arch == a.arch) {
        println!("  {} {:<10} no: {}", s.kind, s.part, s.reason);
    }
}

/// Where each binding's tests would run, without probing (no guest boots).
fn print_can_test(
    cfg: &Config,
    a: &ArchConfig,
    runners: &mut Runners,
    distro: &str,
    want: &mut Wanted,
) {
    println!("can test:");
    let support = cfg.targets.linux(&a.arch);
    for b in support
        .into_iter()
        .flat_map(|s| s.bindings.iter())
        .map(|b| b.get_ref())
    {
        let line = match runners.placement_without_probe(&a.arch, b) {
            Placement::BuildOnly => "built and checked, never run".to_string(),
            Placement::Unavailable(why) => format!("not here: {why}"),
            Placement::Native => "natively on this machine".to_string(),
            Placement::Guest => guest_line(cfg, a, distro, want),
            Placement::Qemu { kvm } => qemu_line(cfg, a, kvm, distro, want),
            Placement::XenGuest => xen_line(cfg, a, distro, want),
        };
        println!("  {b:<8} {line}");
    }
}

/// The "can test" line of a binding whose unikernels are QEMU machines of
/// their own (the arch's QEMU, found through its guest's description);
/// QEMU's package goes to `want`.
fn qemu_line(cfg: &Config, a: &ArchConfig, kvm: bool, distro: &str, want: &mut Wanted) -> String {
    let accel = if kvm {
        "with KVM".to_string()
    } else {
        format!("with TCG: {}", crate::runner::kvm::summary().1)
    };
    let Some(g) = &cfg.targets.arch[&a.arch].guest else {
        return format!("not here: no QEMU is named for {} in targets.toml", a.arch);
    };
    let pkg = g
        .qemu_packages
        .for_distro(distro)
        .unwrap_or(&g.qemu_packages.debian);
    match toolchain::detect::resolve(&g.qemu, &toolchain::detect::env_snapshot()) {
        Some(p) => format!("in QEMU on this machine, {accel}; {} present", p.display()),
        None => {
            want.packages.insert(pkg.to_string());
            format!(
                "in QEMU on this machine, {accel}; {} absent (install {pkg})",
                g.qemu
            )
        }
    }
}

/// The "can test" line of a binding that runs in an emulated guest; QEMU's
/// package and the guest's foreign arch go to `want`.
fn guest_line(cfg: &Config, a: &ArchConfig, distro: &str, want: &mut Wanted) -> String {
    let (_, kvm) = crate::runner::kvm::summary();
    match outer_qemu(cfg, a, distro, want) {
        Ok(qemu) => format!("inside an emulated {} Linux guest ({kvm}); {qemu}", a.arch),
        Err(why) => why,
    }
}

/// Whether the QEMU that boots the arch's emulated guest is here (its
/// package, and the guest's foreign arch, go to `want`), or why there is
/// no guest.
fn outer_qemu(
    cfg: &Config,
    a: &ArchConfig,
    distro: &str,
    want: &mut Wanted,
) -> Result<String, String> {
    let arch = &cfg.targets.arch[&a.arch];
    let Some(g) = &arch.guest else {
        return Err(format!(
            "not here: no emulated guest is described for {} in targets.toml",
            a.arch
        ));
    };
    let qemu = toolchain::detect::resolve(&g.qemu, &toolchain::detect::env_snapshot());
    let pkg = g
        .qemu_packages
        .for_distro(distro)
        .unwrap_or(&g.qemu_packages.debian);
    if qemu.is_none() {
        want.packages.insert(pkg.to_string());
    }
    if a.arch != cfg.build_arch {
        want.foreign_arches.insert(arch.debian_arch.clone());
    }
    Ok(match qemu {
        Some(p) => format!("{} present", p.display()),
        None => format!("{} absent (install {pkg})", g.qemu),
    })
}

/// The "can test" line of a `xen` binding: the outer guest's QEMU, what
/// the xen guest fetches from its suite (the test runner does, into a
/// private apt state: nothing to install or enable), and the build
/// machine's packages its inner QEMU's libraries come from (to `want`).
fn xen_line(cfg: &Config, a: &ArchConfig, distro: &str, want: &mut Wanted) -> String {
    let outer = match outer_qemu(cfg, a, distro, want) {
        Ok(q) => q,
        Err(why) => return why,
    };
    let Some(x) = &cfg.targets.arch[&a.arch].xen_guest else {
        return format!(
            "not here: no xen guest is described for {} in targets.toml",
            a.arch
        );
    };
    let missing = missing_packages(distro, &x.library_packages.iter().cloned().collect());
    want.packages.extend(missing.iter().cloned());
    let libs = if missing.is_empty() {
        format!("{} present", x.library_packages.join(" "))
    } else {
        format!("{} absent (install it)", missing.join(" "))
    };
    format!(
        "as Xen domains of QEMU's Xen emulation, inside an emulated {arch} Linux guest with \
         nested KVM ({outer}); its kernel and QEMU are {} and {} from {}, which the test \
         runner downloads into the build directory with an apt state of its own (the \
         machine's apt sources stay as they are); that QEMU's shared libraries come from \
         this machine's {libs}",
        x.kernel_package,
        x.qemu_packages.join(" "),
        x.suite.get_ref(),
        arch = a.arch,
    )
}

/// Of `packages`, those not installed (Debian: asked of dpkg; elsewhere
/// all of them, the package manager skips what is there).
fn missing_packages(distro: &str, packages: &BTreeSet<String>) -> Vec<String> {
    packages
        .iter()
        .filter(|p| {
            distro != "debian"
                || !Command::new("dpkg-query")
                    .args(["-W", "-f=${Status}", p.as_str()])
                    .output()
                    .is_ok_and(|o| {
                        String::from_utf8_lossy(&o.stdout).contains("install ok installed")
                    })
        })
        .cloned()
        .collect()
}

/// Runs the distro's package manager for what `want` lacks.
fn install(distro: &str, want: &Wanted, yes: bool) -> Result<()> {
    let missing = missing_packages(distro, &want.packages);
    let mut commands = install_commands(distro, want, &missing)?;
    if commands.is_empty() {
        println!("\ninstall: nothing to install");
        return Ok(());
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"));
    if !root {
        for c in &mut commands {
            c.insert(0, "sudo".into());
        }
    }
    println!("\ninstall: will run");
    for c in &commands {
        println!("  {}", c.join(" "));
    }
    if !yes {
        confirm()?;
    }
    run_commands(&commands)
}

fn words(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The package manager's commands (without sudo) that install `missing`
/// and, on Debian, enable the guests' foreign arches.
fn install_commands(distro: &str, want: &Wanted, missing: &[String]) -> Result<Vec<Vec<String>>> {
    let install = match distro {
        "debian" => return Ok(debian_commands(want, missing)),
        "fedora" => words(&["dnf", "install", "-y"]),
        "alpine" => words(&["apk", "add"]),
        "arch" => words(&["pacman", "-S", "--needed", "--noconfirm"]),
        other => bail!("doctor --install knows no package manager for the {other} distro family; install by hand: {}", missing.join(" ")),
    };
    if missing.is_empty() {
        return Ok(Vec::new());
    }
    let mut c = install;
    c.extend(missing.iter().cloned());
    Ok(vec![c])
}

fn debian_commands(want: &Wanted, missing: &[String]) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    let have = Command::new("dpkg")
        .arg("--print-foreign-architectures")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let own = Command::new("dpkg")
        .arg("--print-architecture")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let mut added = false;
    for a in &want.foreign_arches {
        if *a != own && !have.lines().any(|l| l.trim() == a) {
            commands.push(words(&["dpkg", "--add-architecture", a]));
            added = true;
        }
    }
    // A new foreign arch has no package index until the next update.
    if added || !missing.is_empty() {
        commands.push(words(&["apt-get", "update"]));
    }
    if !missing.is_empty() {
        let mut c = words(&["apt-get", "install", "-y", "--no-install-recommends"]);
        c.extend(missing.iter().cloned());
        commands.push(c);
    }
    commands
}

/// Asks on the terminal before running the package manager as root.
fn confirm() -> Result<()> {
    if !std::io::stdin().is_terminal() {
        bail!("not a terminal to ask on: rerun with --yes to run these commands");
    }
    print!("run them? [y/N] ");
    std::io::stdout().flush().ok();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .context("cannot read the answer")?;
    if !matches!(answer.trim(), "y" | "Y" | "yes") {
        bail!("not installed (answered {:?})", answer.trim());
    }
    Ok(())
}

fn run_commands(commands: &[Vec<String>]) -> Result<()> {
    for c in commands {
        let status = Command::new(&c[0])
            .args(&c[1..])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .with_context(|| format!("cannot run {}", c[0]))?;
        // A foreign index served stale (a mirror mid-sync) must not stop
        // the install: what is really missing fails `apt-get install`.
        let update = c.iter().any(|w| w == "update");
        if !status.success() && !update {
            bail!("{} failed ({status})", c.join(" "));
        }
        if !status.success() {
            println!("warning: {} failed ({status}); continuing", c.join(" "));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distro_families() {
        assert_eq!(distro_of("ID=debian\n").as_deref(), Some("debian"));
        assert_eq!(
            distro_of("ID=ubuntu\nID_LIKE=debian\n").as_deref(),
            Some("debian")
        );
        assert_eq!(
            distro_of("ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n").as_deref(),
            Some("fedora")
        );
        assert_eq!(distro_of("ID=alpine\n").as_deref(), Some("alpine"));
        assert_eq!(distro_of("ID=arch\n").as_deref(), Some("arch"));
        assert_eq!(distro_of("ID=plan9\n"), None);
    }
}
