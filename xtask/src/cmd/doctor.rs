//! `cargo xtask doctor`: what this machine can build and test, and what to
//! install for the rest.

use crate::model::config::{self, ArchConfig, Config, ToolFlags};
use crate::model::targets::Targets;
use anyhow::Result;
use std::path::Path;
use toolchain::cache::Origin;
use toolchain::Role;

#[derive(Debug, clap::Args)]
pub struct Flags {
    #[command(flatten)]
    pub tools: ToolFlags,
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

fn native_cc_package(distro: &str) -> &'static str {
    match distro {
        "fedora" => "gcc",
        "alpine" => "gcc",
        "arch" => "gcc",
        _ => "gcc",
    }
}

fn qemu_package(arch: &str, distro: &str) -> String {
    match (arch, distro) {
        ("x86_64", "debian") => "qemu-system-x86".into(),
        ("aarch64", "debian") => "qemu-system-arm".into(),
        ("ppc64le", "debian") => "qemu-system-ppc".into(),
        ("x86_64", _) => "qemu-system-x86_64".into(),
        ("aarch64", _) => "qemu-system-aarch64".into(),
        (_, _) => "qemu-system-ppc64".into(),
    }
}

fn qemu_binary(arch: &str) -> &'static str {
    match arch {
        "x86_64" => "qemu-system-x86_64",
        "aarch64" => "qemu-system-aarch64",
        _ => "qemu-system-ppc64",
    }
}

/// What this machine's /dev/kvm is, in one line.
pub fn kvm_summary() -> (bool, String) {
    if !Path::new("/dev/kvm").exists() {
        return (false, "no /dev/kvm".into());
    }
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let hw = cpuinfo
        .lines()
        .filter(|l| l.starts_with("flags"))
        .any(|l| l.split_whitespace().any(|f| f == "vmx" || f == "svm"));
    if hw {
        (
            true,
            "/dev/kvm present, CPU has hardware virtualisation".into(),
        )
    } else {
        (
            false,
            "/dev/kvm present but the CPU reports neither vmx nor svm: a paravirtual KVM that cannot run SSE guests".into(),
        )
    }
}

pub fn run(flags: Flags) -> Result<i32> {
    let cfg = config::load(&flags.tools)?;
    let distro = distro();
    println!(
        "build machine: {} Linux ({}), repository {}",
        cfg.build_arch,
        distro.as_deref().unwrap_or("unknown distro"),
        cfg.root.display()
    );
    let mut ok = true;
    for a in &cfg.arches {
        ok &= report(&cfg, a, distro.as_deref().unwrap_or("debian"));
    }
    if ok {
        println!("\nverdict: the default build can proceed");
        Ok(0)
    } else {
        println!("\nverdict: the default build cannot proceed; see the problems above");
        Ok(1)
    }
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

/// Prints one arch's report; true when its default build can proceed.
fn report(cfg: &Config, a: &ArchConfig, distro: &str) -> bool {
    let t: &Targets = &cfg.targets;
    let arch = &t.arch[&a.arch];
    let tc = &a.tools;
    let native = a.arch == cfg.build_arch;
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
    match &tc.seccomp {
        Some(s) if s.works => println!(
            "  {:<15} usable, flags from {}: {} {}",
            "libseccomp",
            s.via,
            s.cflags.join(" "),
            s.libs.join(" ")
        ),
        Some(s) => println!("  {:<15} NOT usable ({}): {}", "libseccomp", s.via, s.error),
        None => println!("  {:<15} not checked (no host compiler)", "libseccomp"),
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

    let target_ok = tc.target_cc.is_some()
        && tc.target_ld.is_some()
        && tc.problems_for(Role::Target).next().is_none();
    let host_ok = tc.host_cc.is_some() && tc.problems_for(Role::Host).next().is_none();
    let support = t.linux(&a.arch);
    println!("can build:");
    let mut buildable_tenders = Vec::new();
    if let Some(s) = support {
        for b in &s.bindings {
            let b = b.get_ref();
            let landed = !t.binding[b].sources.is_empty();
            let verdict = match (landed, target_ok) {
                (false, _) => "not yet implemented in this tree".to_string(),
                (true, true) => "yes".to_string(),
                (true, false) => "no (target toolchain incomplete)".to_string(),
            };
            println!("  binding {b:<8} {verdict}");
        }
        for tn in &s.tenders {
            let tn = tn.get_ref();
            let landed = !t.tender[tn].sources.is_empty();
            let verdict = match (landed, host_ok) {
                (false, _) => "not yet implemented in this tree".to_string(),
                (true, true) => {
                    buildable_tenders.push(tn.clone());
                    "yes".to_string()
                }
                (true, false) => "no (host compiler or libseccomp missing)".to_string(),
            };
            println!("  tender solo5-{tn:<4} {verdict}");
        }
    }
    println!("can test:");
    let qemu = toolchain::detect::resolve(qemu_binary(&a.arch), &toolchain::detect::env_snapshot());
    let qemu_line = match &qemu {
        Some(p) => format!("{} present", p.display()),
        None => format!(
            "{} absent (install {})",
            qemu_binary(&a.arch),
            qemu_package(&a.arch, distro)
        ),
    };
    if buildable_tenders.iter().any(|t| t == "spt") {
        if native {
            println!("  spt: natively on this machine");
        } else {
            println!(
                "  spt: inside an emulated {} Linux guest; {qemu_line}",
                a.arch
            );
        }
    }
    if buildable_tenders.iter().any(|t| t == "hvt") {
        let (hw, kvm) = kvm_summary();
        if native && hw {
            println!("  hvt: natively ({kvm}), after a probe guest confirms it runs SSE code");
        } else {
            println!(
                "  hvt: inside an emulated {} Linux guest with nested KVM ({kvm}); {qemu_line}",
                a.arch
            );
        }
    }
    if buildable_tenders.is_empty() {
        println!("  nothing to run yet (no tender can be built)");
    }

    let problems: Vec<_> = tc.problems.iter().collect();
    if !problems.is_empty() {
        println!("problems:");
        for p in &problems {
            println!("  {} toolchain: {}", p.role, p.message);
            println!(
                "    fix: {}",
                fix_for(p.role, &a.arch, native, arch, t, distro, &p.message)
            );
        }
    }
    target_ok && host_ok
}

fn fix_for(
    role: Role,
    arch: &str,
    native: bool,
    a: &crate::model::targets::Arch,
    t: &Targets,
    distro: &str,
    message: &str,
) -> String {
    let cross_pkg = a.packages.for_distro(distro).unwrap_or(&a.packages.debian);
    if message.contains("libseccomp") {
        let pkg = t
            .libseccomp
            .packages
            .for_distro(distro)
            .unwrap_or("libseccomp-dev");
        return if native || distro != "debian" {
            format!("install {pkg}")
        } else {
            let dpkg_arch = match arch {
                "aarch64" => "arm64",
                "ppc64le" => "ppc64el",
                other => other,
            };
            format!(
                "dpkg --add-architecture {dpkg_arch} && apt-get update && apt-get install {pkg}:{dpkg_arch} libc6-dev-{dpkg_arch}-cross, or pass --sysroot DIR"
            )
        };
    }
    match role {
        Role::Target if message.contains("linker") => {
            format!("install {cross_pkg} (binutils for {arch}) or lld, or set TARGET_LD")
        }
        Role::Target if message.contains("objcopy") => {
            format!("install binutils for {arch}, or set TARGET_OBJCOPY")
        }
        Role::Target if native => format!(
            "install {} or clang, or set TARGET_CC",
            native_cc_package(distro)
        ),
        Role::Target => format!(
            "install {cross_pkg}, or set TARGET_CC (e.g. TARGET_CC=\"clang --target={}\")",
            a.gnu_triple
        ),
        Role::Host if native => format!("install {}, or set HOST_CC", native_cc_package(distro)),
        Role::Host => format!("install {cross_pkg}, or set HOST_CC"),
        Role::Build => format!("install {}, or set CC", native_cc_package(distro)),
    }
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
