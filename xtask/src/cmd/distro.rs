//! The distro packaging `cargo xtask dist --source` writes into the source
//! tarball: `debian/` (for `dpkg-buildpackage`) and `solo5-ng.spec` (for
//! `rpmbuild`). Generated rather than kept in the tree because both carry
//! the version stamped from git (debian/changelog, the spec's Version),
//! and their package lists, architectures and cross compilers are facts of
//! targets.toml: a new arch or compiler package needs no second list.
//!
//! Both build the same split as `cargo xtask dist` (`solo5-ng`, and
//! `solo5-ng-cross-ARCH` per arch) by asking `cargo xtask install
//! --package NAME` for each package's files, so the file lists follow the
//! build plan. Both build offline from vendor/ with a CARGO_HOME of their
//! own, and both have a switch for only the build machine's arch
//! (`DEB_BUILD_PROFILES=pkg.solo5-ng.nocross`, `rpmbuild --without cross`).

use crate::cmd::dist::{cross_package, debian_version, NAME};
use crate::model::targets::Targets;
use std::path::PathBuf;

/// One generated file: path in the tree, contents, mode.
pub struct File {
    pub path: PathBuf,
    pub text: String,
    pub mode: u32,
}

/// Who the packages name as their maintainer: `DEBFULLNAME <DEBEMAIL>`
/// when both are set (the Debian tools' convention), else the project.
pub fn maintainer() -> String {
    match (std::env::var("DEBFULLNAME"), std::env::var("DEBEMAIL")) {
        (Ok(n), Ok(m)) if !n.trim().is_empty() && !m.trim().is_empty() => {
            format!("{} <{}>", n.trim(), m.trim())
        }
        _ => "solo5-ng developers <solo5-ng@localhost>".to_string(),
    }
}

/// The arches a Linux host can be (targets.toml's `[host.linux.*]`), with
/// whether it has tenders, in targets.toml's order.
fn linux_arches(t: &Targets) -> Vec<(String, bool)> {
    t.host
        .get("linux")
        .into_iter()
        .flatten()
        .filter(|(a, _)| t.arch.contains_key(*a))
        .map(|(a, s)| (a.clone(), !s.tenders.is_empty()))
        .collect()
}

fn debian_arch(t: &Targets, arch: &str) -> String {
    t.arch
        .get(arch)
        .map_or_else(|| arch.to_string(), |a| a.debian_arch.clone())
}

/// `Tue, 14 Nov 2023 22:13:20 +0000` for seconds since 1970 (UTC).
pub fn rfc2822(epoch: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = epoch / 86400;
    let secs = epoch % 86400;
    // Days since 1970-01-01 to a civil date, counting in 400-year eras
    // that start on 1 March (so the leap day ends each year).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} +0000",
        DAYS[(days % 7) as usize],
        day,
        MONTHS[(month - 1) as usize],
        year,
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

const SUMMARY: &str = "Solo5-compatible sandboxed execution environment for unikernels";

const TENDERS_TEXT: &str = "the tenders that run Solo5 unikernels on this machine (solo5-hvt with KVM where the arch has it, solo5-spt in a seccomp sandbox), and solo5-elftool, which reads the manifests and ABI notes of unikernels";

fn cross_text(arch: &str) -> String {
    format!("the {arch}-solo5-none-static-cc, -ld and -objcopy wrappers, the Solo5 headers and the bindings, for building {arch} unikernels on this machine")
}

/// Every file of the distro packaging for the tree at `version`.
/// `rust_version` is the workspace's minimum Rust (Cargo.toml's
/// `rust-version`), which the build dependencies ask for.
pub fn files(t: &Targets, version: &str, rust_version: &str, epoch: u64) -> Vec<File> {
    let deb_version = format!("{}-1", debian_version(version));
    let maint = maintainer();
    let arches = linux_arches(t);
    let mut v = vec![
        File {
            path: "debian/changelog".into(),
            text: format!(
                "{NAME} ({deb_version}) unstable; urgency=medium\n\n  \
                 * Source release {version}, made by `cargo xtask dist --source`.\n\n \
                 -- {maint}  {}\n",
                rfc2822(epoch)
            ),
            mode: 0o644,
        },
        File {
            path: "debian/control".into(),
            text: control(t, &arches, &maint, rust_version),
            mode: 0o644,
        },
        File {
            path: "debian/rules".into(),
            text: rules(t, &arches),
            mode: 0o755,
        },
        File {
            path: "debian/source/format".into(),
            text: "3.0 (quilt)\n".into(),
            mode: 0o644,
        },
        File {
            path: "debian/copyright".into(),
            text: copyright(rfc2822(epoch).split(' ').nth(3).unwrap_or("1970")),
            mode: 0o644,
        },
        File {
            path: "debian/solo5-ng.lintian-overrides".into(),
            text: tenders_overrides(),
            mode: 0o644,
        },
        File {
            path: format!("{NAME}.spec").into(),
            text: spec(t, &arches, version, &maint, rust_version, epoch),
            mode: 0o644,
        },
    ];
    for (arch, _) in &arches {
        v.push(File {
            path: format!("debian/{}.lintian-overrides", cross_package(arch)).into(),
            text: cross_overrides(arch),
            mode: 0o644,
        });
    }
    v
}

/// Wraps `text` into Debian's extended-description lines (leading space,
/// at most 80 columns).
fn wrap(text: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > 78 {
            out.push_str(&format!(" {line}\n"));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(&format!(" {line}\n"));
    }
    out
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn control(t: &Targets, arches: &[(String, bool)], maint: &str, rust_version: &str) -> String {
    let tender_archs: Vec<String> = arches
        .iter()
        .filter(|(_, tenders)| *tenders)
        .map(|(a, _)| debian_arch(t, a))
        .collect();
    let all_archs: Vec<String> = arches.iter().map(|(a, _)| debian_arch(t, a)).collect();
    let mut build_depends = vec![
        "debhelper-compat (= 13)".to_string(),
        format!("cargo, rustc (>= {rust_version})"),
        t.packages.native_cc.debian.clone(),
        "binutils".into(),
    ];
    // A cross compiler for every arch but the build machine's own.
    for (arch, _) in arches {
        let deb = debian_arch(t, arch);
        for p in t.arch[arch].packages.debian.iter() {
            build_depends.push(format!("{p} [!{deb}] <!pkg.{NAME}.nocross>"));
        }
    }
    let mut s = format!(
        "Source: {NAME}\nSection: devel\nPriority: optional\nMaintainer: {maint}\n\
         Build-Depends: {}\nStandards-Version: 4.6.2\nRules-Requires-Root: no\n\n",
        build_depends.join(",\n ")
    );
    s.push_str(&format!(
        "Package: {NAME}\nArchitecture: {}\nDepends: ${{shlibs:Depends}}, ${{misc:Depends}}\n\
         Section: utils\nDescription: {SUMMARY}\n{}",
        tender_archs.join(" "),
        wrap(&format!("{}.", capitalised(TENDERS_TEXT)))
    ));
    for (arch, _) in arches {
        s.push_str(&format!(
            "\nPackage: {}\nArchitecture: {}\n\
             Depends: {NAME} (= ${{binary:Version}}), ${{solo5:Depends}}, ${{misc:Depends}}\n\
             Description: Solo5 toolchain for {arch} unikernels ({arch}-solo5-none-static)\n{}",
            cross_package(arch),
            all_archs.join(" "),
            wrap(&format!("{}.", capitalised(&cross_text(arch))))
        ));
    }
    s
}

fn rules(t: &Targets, arches: &[(String, bool)]) -> String {
    let mut table = String::new();
    for (arch, _) in arches {
        table.push_str(&format!("TARGET.{} := {arch}\n", cross_package(arch)));
    }
    for (arch, _) in arches {
        table.push_str(&format!(
            "NATIVE.{} := {}\n",
            debian_arch(t, arch),
            cross_package(arch)
        ));
    }
    let all_cross: Vec<String> = arches.iter().map(|(a, _)| cross_package(a)).collect();
    format!(
        r#"#!/usr/bin/make -f
# Generated by `cargo xtask dist --source` from targets.toml.
#
# Builds offline: the crates are in vendor/ (.cargo/config.toml replaces
# crates.io with it) and cargo gets a CARGO_HOME of its own. The profile
# pkg.{NAME}.nocross builds only the build machine's arch's toolchain.

export CARGO_NET_OFFLINE = true
export CARGO_HOME = $(CURDIR)/debian/cargo-home

include /usr/share/dpkg/architecture.mk

# Each toolchain package and the arch it holds; the one of each Debian arch.
{table}ALL_CROSS := {all_cross}
ifneq (,$(filter pkg.{NAME}.nocross,$(DEB_BUILD_PROFILES)))
DH_EXCLUDE := $(addprefix -N,$(filter-out $(NATIVE.$(DEB_HOST_ARCH)),$(ALL_CROSS)))
endif
PACKAGES := $(shell dh_listpackages $(DH_EXCLUDE))
TARGETS := $(foreach p,$(filter {NAME}-cross-%,$(PACKAGES)),--target $(TARGET.$(p)))
JOBS := $(patsubst parallel=%,--jobs %,$(filter parallel=%,$(DEB_BUILD_OPTIONS)))

%:
	dh $@ $(DH_EXCLUDE)

# `cargo xtask build` detects the toolchains itself.
override_dh_auto_configure:

override_dh_auto_build:
	cargo xtask build $(TARGETS) $(JOBS)

# The tests need KVM, network namespaces and emulated guests
# (`cargo xtask test` in a checkout); none of that is in a build chroot.
override_dh_auto_test:

# Each package gets exactly the files `cargo xtask dist` puts in its .deb.
override_dh_auto_install:
	set -e; for p in $(PACKAGES); do \
	    cargo xtask install $(TARGETS) --prefix /usr --destdir debian/$$p \
	        --package $$p --debian-substvars debian/$$p.substvars; \
	done

override_dh_auto_clean:
	rm -rf target debian/cargo-home

# dh_clean removes *.orig files, but the vendored crates' Cargo.toml.orig
# are part of their checksums: without them cargo refuses the crates.
override_dh_clean:
	dh_clean -XCargo.toml.orig
"#,
        all_cross = all_cross.join(" ")
    )
}

/// debian/copyright; `year` is the release's (SOURCE_DATE_EPOCH's).
fn copyright(year: &str) -> String {
    format!(
        "solo5-ng: a Solo5-compatible sandboxed execution environment for unikernels.

Copyright (c) {year} the solo5-ng developers.

License: ISC

 Permission to use, copy, modify, and/or distribute this software for any
 purpose with or without fee is hereby granted, provided that the above
 copyright notice and this permission notice appear in all copies.
 .
 THE SOFTWARE IS PROVIDED \"AS IS\" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.

The include/ directories of the toolchain packages also hold the C
compiler's own freestanding headers (stddef.h, stdint.h, the intrinsics),
copied at build time from the compiler the package was built with, under
that compiler's licence: for GCC, the GNU General Public License version
3 or later with the GCC Runtime Library Exception 3.1 (the GPL is in
/usr/share/common-licenses/GPL-3).

solo5-elftool is linked with Rust crates vendored in the source tarball
(vendor/), each under the licence its Cargo.toml names (MIT or
Apache-2.0; the latter is in /usr/share/common-licenses/Apache-2.0).
"
    )
}

/// Lintian tags every package has, with the reasons (lintian shows the
/// comment above an override).
fn common_overrides(package: &str) -> String {
    format!(
        "# Built from the upstream source release, not uploaded to Debian: there is no
# ITP bug to close (a Debian maintainer's own changelog entry closes theirs).
{package}: initial-upload-closes-no-bugs
"
    )
}

fn tenders_overrides() -> String {
    format!(
        "{}# The tenders document their options with --help (and docs/tender-cli.md in
# the source); solo5-elftool with --help. No manual pages are written yet.
{NAME}: no-manual-page [usr/bin/solo5-*]
",
        common_overrides(NAME)
    )
}

fn cross_overrides(arch: &str) -> String {
    let p = cross_package(arch);
    format!(
        "{}# The wrappers take the options of the compiler and linker they run, plus
# -z solo5-abi=BINDING (docs/packaging.md in the source).
{p}: no-manual-page [usr/bin/{arch}-solo5-none-static-*]
# The bindings are freestanding objects linked into {arch} unikernels, not
# programs of this machine: built on another arch they are foreign by design.
{p}: binary-from-other-architecture [usr/lib/{arch}-solo5-none-static/*]
",
        common_overrides(&p)
    )
}

fn spec(
    t: &Targets,
    arches: &[(String, bool)],
    version: &str,
    maint: &str,
    rust_version: &str,
    epoch: u64,
) -> String {
    let rpm_version = debian_version(version);
    let tender_arches: Vec<&str> = arches
        .iter()
        .filter(|(_, tenders)| *tenders)
        .map(|(a, _)| a.as_str())
        .collect();
    let mut cross_build_requires = String::new();
    let mut packages = String::new();
    let mut subpackages = String::new();
    for (arch, _) in arches {
        let sub = cross_package(arch);
        let short = sub.strip_prefix(&format!("{NAME}-")).unwrap_or(&sub);
        let foreign: Vec<&str> = t.arch[arch]
            .packages
            .fedora
            .iter()
            .map(String::as_str)
            .collect();
        cross_build_requires.push_str(&format!(
            "%ifnarch {arch}\nBuildRequires: {}\n%endif\n",
            foreign.join(" ")
        ));
        let cond = format!("%if %{{with cross}} || \"%{{_arch}}\" == \"{arch}\"");
        packages.push_str(&format!(
            "{cond}\n%global packages %{{packages}} {sub}\n%endif\n"
        ));
        subpackages.push_str(&format!(
            "{cond}\n%package {short}\nSummary: Solo5 toolchain for {arch} unikernels\n\
             Requires: %{{name}} = %{{version}}-%{{release}}\n\
             %ifarch {arch}\nRequires: {native} binutils\n%else\nRequires: {foreign}\n%endif\n\n\
             %description {short}\n{desc}\n\n%files {short} -f {sub}.files\n%endif\n\n",
            native = t.packages.native_cc.fedora,
            foreign = foreign.join(" "),
            desc = capitalised(&cross_text(arch)) + ".",
        ));
    }
    format!(
        r#"# Generated by `cargo xtask dist --source` from targets.toml.
# Builds offline from the vendored crates; `--without cross` builds only
# the build machine's arch's toolchain.
%global upstream_version {version}
%bcond_without cross

Name: {NAME}
Version: {rpm_version}
Release: 1
Summary: {SUMMARY}
License: ISC
Source0: %{{name}}-%{{upstream_version}}.tar.gz
ExclusiveArch: {tender_arches}
BuildRequires: cargo rust >= {rust_version} {native_cc} binutils
%if %{{with cross}}
{cross_build_requires}%endif

%global packages %{{name}}
{packages}
%if %{{with cross}}
%global targets --all-targets
%else
%global targets %{{nil}}
%endif

%description
{tenders_desc}

{subpackages}%prep
%autosetup -n %{{name}}-%{{upstream_version}}

%build
export CARGO_NET_OFFLINE=true CARGO_HOME="$PWD/.rpm-cargo-home"
cargo xtask build %{{targets}} %{{?_smp_build_ncpus:--jobs %{{_smp_build_ncpus}}}}

%install
export CARGO_NET_OFFLINE=true CARGO_HOME="$PWD/.rpm-cargo-home"
for p in %{{packages}}; do
    cargo xtask install %{{targets}} --prefix %{{_prefix}} --destdir %{{buildroot}} \
        --package "$p" --manifest "$p.files"
    # Directories the package owns are listed with a trailing slash.
    sed -i 's,^\(.*\)/$,%%dir \1,' "$p.files"
done

%files -f %{{name}}.files

%changelog
* {date} {maint} - {rpm_version}-1
- Source release {version}, made by `cargo xtask dist --source`.
"#,
        tender_arches = tender_arches.join(" "),
        native_cc = t.packages.native_cc.fedora,
        tenders_desc = capitalised(TENDERS_TEXT) + ".",
        date = rpm_date(epoch),
    )
}

/// `Tue Nov 14 2023` as rpm's %changelog wants it.
fn rpm_date(epoch: u64) -> String {
    let d = rfc2822(epoch);
    // "Tue, 14 Nov 2023 ..." -> "Tue Nov 14 2023"
    let w: Vec<&str> = d.split(' ').collect();
    format!("{} {} {} {}", w[0].trim_end_matches(','), w[2], w[1], w[3])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc2822(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(rfc2822(1_700_000_000), "Tue, 14 Nov 2023 22:13:20 +0000");
        // 29 February of a leap year, and the day after.
        assert_eq!(rfc2822(951_782_400), "Tue, 29 Feb 2000 00:00:00 +0000");
        assert_eq!(rfc2822(951_868_800), "Wed, 01 Mar 2000 00:00:00 +0000");
        assert_eq!(rpm_date(1_700_000_000), "Tue Nov 14 2023");
    }

    #[test]
    fn every_linux_arch_has_its_packages_and_the_version_is_stamped() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../targets.toml");
        let t = Targets::load(&path).unwrap();
        let f = files(&t, "0.1.0+git.v1-4-gabc", "1.89", 1_700_000_000);
        let get = |p: &str| {
            f.iter()
                .find(|x| x.path == std::path::Path::new(p))
                .unwrap_or_else(|| panic!("no {p}"))
                .text
                .clone()
        };
        let (control, rules, spec) = (
            get("debian/control"),
            get("debian/rules"),
            get("solo5-ng.spec"),
        );
        let arches = linux_arches(&t);
        assert!(!arches.is_empty());
        for (arch, _) in &arches {
            let pkg = cross_package(arch);
            assert!(
                control.contains(&format!("\nPackage: {pkg}\n")),
                "{control}"
            );
            let deb = &t.arch[arch].debian_arch;
            assert!(
                rules.contains(&format!("NATIVE.{deb} := {pkg}\n")),
                "{rules}"
            );
            assert!(
                rules.contains(&format!("TARGET.{pkg} := {arch}\n")),
                "{rules}"
            );
            let short = pkg.strip_prefix("solo5-ng-").unwrap();
            assert!(spec.contains(&format!("%package {short}\n")), "{spec}");
            assert!(spec.contains(&format!("-f {pkg}.files\n")), "{spec}");
        }
        assert!(get("debian/changelog").starts_with("solo5-ng (0.1.0+git.v1.4.gabc-1) unstable;"));
        assert!(spec.contains("\nVersion: 0.1.0+git.v1.4.gabc\n"), "{spec}");
        assert!(
            spec.contains("%global upstream_version 0.1.0+git.v1-4-gabc\n"),
            "{spec}"
        );
        assert!(control.contains("rustc (>= 1.89)"), "{control}");
        // make wants every recipe line to start with a tab.
        for l in rules.lines().filter(|l| l.starts_with(' ')) {
            assert!(l.trim().is_empty(), "recipe line without a tab: {l:?}");
        }
    }

    #[test]
    fn descriptions_wrap_at_80_columns() {
        let w = wrap(&"word ".repeat(40));
        assert!(
            w.lines().all(|l| l.starts_with(' ') && l.len() <= 80),
            "{w}"
        );
        assert_eq!(w.split_whitespace().count(), 40);
    }
}
