//! `targets.toml`: the build matrix as typed data. Unknown keys and bad
//! values are errors that name the file, line and column.

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use toml::Spanned;
use toolchain::ArchId;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    pub compilers: Compilers,
    pub arch: BTreeMap<String, Arch>,
    pub host: BTreeMap<String, BTreeMap<String, HostSupport>>,
    pub packages: ToolPackages,
    pub flags: Flags,
    pub ci: Ci,
    /// Source groups shared by bindings and tenders (`uses = [...]`).
    #[serde(default)]
    pub sources: BTreeMap<String, Vec<Spanned<String>>>,
    pub binding: BTreeMap<String, Binding>,
    pub tender: BTreeMap<String, Tender>,
    /// Where the file was read from, for messages; not in the file.
    #[serde(skip)]
    pub path: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Compilers {
    pub min_gcc: u32,
    pub min_clang: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arch {
    pub gnu_triple: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Macros a C compiler for this arch predefines, all of them: how
    /// detection tells what a compiler emits.
    pub cc_macros: Vec<String>,
    pub elf_machine: u16,
    /// The arch's name in Debian (and in .deb file names).
    pub debian_arch: String,
    pub max_page_size: Spanned<u64>,
    #[serde(default)]
    pub target_cflags: Vec<String>,
    #[serde(default)]
    pub binding_cflags: Vec<String>,
    pub packages: PackageLists,
    pub guest: Option<Guest>,
    /// The guest that runs `xen` bindings' cells: a kernel with KVM's Xen
    /// emulation and a QEMU that drives it, from a Debian suite of its own.
    pub xen_guest: Option<XenGuest>,
}

/// How to boot an emulated Linux guest of this arch for tests.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guest {
    pub kernel_package: String,
    pub qemu: String,
    pub qemu_packages: Packages,
    pub qemu_args: Vec<String>,
    pub console: String,
    #[serde(default)]
    pub modules: Vec<String>,
}

/// The emulated guest for `xen` bindings: the arch's guest (same outer
/// QEMU, console and busybox) booting a kernel with `CONFIG_KVM_XEN` and
/// running a QEMU with Xen emulation inside, both fetched from `suite`
/// into a private apt state (the machine's apt sources stay as they are).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XenGuest {
    /// The Debian suite the kernel and QEMU packages come from, on the
    /// mirror of the machine's own Debian suite.
    pub suite: Spanned<String>,
    pub kernel_package: String,
    /// Downloaded from `suite` and unpacked; `qemu` and `qemu_data` are in
    /// them.
    pub qemu_packages: Vec<String>,
    /// The QEMU binary, as a path inside the unpacked packages.
    pub qemu: Spanned<String>,
    /// Files of `usr/share/qemu` in the unpacked packages that the inner
    /// QEMU loads (firmware, option ROMs).
    pub qemu_data: Vec<String>,
    /// Packages of the build machine that hold the shared libraries the
    /// inner QEMU loads (copied from the build machine into the guest).
    pub library_packages: Vec<String>,
    /// The outer QEMU's arguments (the arch's guest QEMU).
    pub qemu_args: Vec<String>,
    /// Loaded in order; paths inside the kernel package's module directory
    /// (`.ko.xz` modules are decompressed first: busybox's insmod cannot).
    pub modules: Vec<Spanned<String>>,
    /// The inner QEMU's machine and accelerator words, before the devices
    /// and the unikernel that the launcher adds.
    pub xen_args: Vec<String>,
    /// The script that boots one unikernel in the guest (repo path).
    pub launcher: Spanned<String>,
}

/// Package names per distro family, as found in /etc/os-release ID/ID_LIKE.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Packages {
    pub debian: String,
    pub fedora: String,
    pub alpine: String,
    pub arch: String,
}

impl Packages {
    pub fn for_distro(&self, distro: &str) -> Option<&str> {
        match distro {
            "debian" => Some(&self.debian),
            "fedora" => Some(&self.fedora),
            "alpine" => Some(&self.alpine),
            "arch" => Some(&self.arch),
            _ => None,
        }
    }
}

/// Package lists per distro family.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageLists {
    #[serde(default)]
    pub debian: Vec<String>,
    #[serde(default)]
    pub fedora: Vec<String>,
    #[serde(default)]
    pub alpine: Vec<String>,
    #[serde(default)]
    pub arch: Vec<String>,
}

impl PackageLists {
    pub fn for_distro(&self, distro: &str) -> &[String] {
        match distro {
            "debian" => &self.debian,
            "fedora" => &self.fedora,
            "alpine" => &self.alpine,
            "arch" => &self.arch,
            _ => &[],
        }
    }
}

/// `[packages]`: what `doctor --install` installs besides arch packages.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolPackages {
    pub native_cc: Packages,
    pub test: PackageLists,
    #[serde(default)]
    pub ci: PackageLists,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostSupport {
    pub bindings: Vec<Spanned<String>>,
    pub tenders: Vec<Spanned<String>>,
}

/// The generated CI workflow.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ci {
    /// The arch of the CI machines (everything else is cross-built there).
    pub runner_arch: String,
}

/// Compiler and linker flags (see the comment in targets.toml).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flags {
    pub target_abi: Vec<String>,
    pub target_policy: Vec<String>,
    pub host: Vec<String>,
    pub link: Vec<String>,
}

/// How a binding's unikernels are run (the runner module acts on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunnerKind {
    /// Built and checked, never run.
    None,
    /// The tender is a host process.
    Host,
    /// The tender needs a KVM that can run real guests.
    Kvm,
    /// The unikernel boots as a QEMU machine of its own.
    Qemu,
    /// The unikernel is a Xen PVH guest, booted by QEMU's Xen emulation
    /// in the arch's `xen_guest`.
    Xen,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Binding {
    /// The tender (a `[tender.NAME]`) that runs this binding's unikernels.
    pub tender: Option<Spanned<String>>,
    pub runner: RunnerKind,
    /// For `kvm` and `qemu`: the test whose unikernel decides whether
    /// this machine's KVM can run real guests.
    pub kvm_probe: Option<String>,
    /// For `qemu`: the host script that boots one of its unikernels in
    /// QEMU (installed in bin/ like a tender, see [`script_name`]).
    pub launcher: Option<Spanned<String>>,
    /// For `qemu`: the host script that makes a bootable disk image of a
    /// unikernel.
    pub mkimage: Option<Spanned<String>>,
    /// Debian packages the binding's scripts run, suggested by the .deb
    /// that installs them.
    #[serde(default)]
    pub suggests: Vec<String>,
    /// The linker-script template, relative to the repository root.
    pub lds: Spanned<String>,
    pub text_start: u64,
    #[serde(default)]
    pub uses: Vec<Spanned<String>>,
    pub sources: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tender {
    #[serde(default)]
    pub uses: Vec<Spanned<String>>,
    pub sources: Vec<Spanned<String>>,
    #[serde(default)]
    pub libs: Vec<String>,
}

/// Where the tables' keys are, for errors about a whole table (read next
/// to the typed parse, which keeps no key positions).
#[derive(Deserialize)]
struct KeySpans {
    #[serde(default)]
    arch: BTreeMap<Spanned<String>, serde::de::IgnoredAny>,
    #[serde(default)]
    host: BTreeMap<String, BTreeMap<Spanned<String>, serde::de::IgnoredAny>>,
    #[serde(default)]
    binding: BTreeMap<Spanned<String>, serde::de::IgnoredAny>,
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1)
        + 1;
    (line, col)
}

impl Targets {
    pub fn load(path: &Path) -> Result<Targets> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Self::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Targets> {
        let mut t: Targets = match toml::from_str(text) {
            Ok(t) => t,
            Err(e) => {
                let at = e
                    .span()
                    .map(|s| {
                        let (l, c) = line_col(text, s.start);
                        format!("{}:{l}:{c}", path.display())
                    })
                    .unwrap_or_else(|| path.display().to_string());
                bail!("{at}: {}", e.message());
            }
        };
        t.path = path.to_path_buf();
        t.validate(text)?;
        Ok(t)
    }

    /// Checks what the types cannot: names that must refer to a table,
    /// files that must exist, values that must make sense together. `text`
    /// is the file's, for the line and column of an error.
    fn validate(&self, text: &str) -> Result<()> {
        let keys: KeySpans = toml::from_str(text)
            .with_context(|| format!("{}: cannot re-read", self.path.display()))?;
        self.check_arches(text, &keys)?;
        self.check_hosts(text, &keys)?;
        for (name, group) in &self.sources {
            self.check_sources(text, "sources", name, group)?;
        }
        for (name, b) in &self.binding {
            self.check_binding(text, &keys, name, b)?;
        }
        for (name, t) in &self.tender {
            self.check_sources(text, "tender", name, &t.sources)?;
            self.check_uses(text, "tender", name, &t.uses)?;
        }
        for (name, arch) in &self.arch {
            if let Some(x) = &arch.xen_guest {
                self.check_xen_guest(text, name, x)?;
            }
        }
        Ok(())
    }

    /// `file:line:col` of `span` in `text`.
    fn at(&self, text: &str, span: std::ops::Range<usize>) -> String {
        let (l, c) = line_col(text, span.start);
        format!("{}:{l}:{c}", self.path.display())
    }

    /// `file:line:col` of the table key `name` in `keys`, or the file alone
    /// if it is not there.
    fn key_at<V>(
        &self,
        text: &str,
        keys: Option<&BTreeMap<Spanned<String>, V>>,
        name: &str,
    ) -> String {
        match keys.and_then(|k| k.get_key_value(name)) {
            Some((k, _)) => self.at(text, k.span()),
            None => self.path.display().to_string(),
        }
    }

    /// The repository root: paths in the file are relative to it.
    fn root(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    fn check_arches(&self, text: &str, keys: &KeySpans) -> Result<()> {
        for (name, arch) in &self.arch {
            if arch.cc_macros.is_empty() {
                bail!(
                    "{}: arch.{name}.cc_macros is empty: a compiler for {name} could not be told apart",
                    self.key_at(text, Some(&keys.arch), name)
                );
            }
            let ps = *arch.max_page_size.get_ref();
            if !ps.is_power_of_two() || ps < 0x1000 {
                bail!(
                    "{}: arch.{name}.max_page_size = {ps:#x} is not a power of two >= 0x1000",
                    self.at(text, arch.max_page_size.span())
                );
            }
        }
        Ok(())
    }

    /// A xen guest names a suite, modules and an inner QEMU path inside its
    /// packages, and its launcher exists.
    fn check_xen_guest(&self, text: &str, arch: &str, x: &XenGuest) -> Result<()> {
        let what = format!("arch.{arch}.xen_guest");
        if x.suite.get_ref().trim().is_empty() {
            bail!("{}: {what}.suite is empty", self.at(text, x.suite.span()));
        }
        let qemu = x.qemu.get_ref();
        if qemu.is_empty() || qemu.starts_with('/') || qemu.split('/').any(|c| c == "..") {
            bail!(
                "{}: {what}.qemu = {qemu:?} must be a relative path inside the unpacked packages",
                self.at(text, x.qemu.span())
            );
        }
        if x.modules.is_empty() {
            bail!(
                "{}: {what}.modules is empty: the guest needs kvm and its Xen emulation",
                self.at(text, x.suite.span())
            );
        }
        for m in &x.modules {
            let name = m.get_ref();
            if !(name.ends_with(".ko") || name.ends_with(".ko.xz")) {
                bail!(
                    "{}: {what}.modules: {name:?} is neither a .ko nor a .ko.xz",
                    self.at(text, m.span())
                );
            }
        }
        if !self.root().join(x.launcher.get_ref()).is_file() {
            bail!(
                "{}: {what}.launcher {} does not exist",
                self.at(text, x.launcher.span()),
                x.launcher.get_ref()
            );
        }
        Ok(())
    }

    /// Every `[host.OS.ARCH]` names a known arch, bindings and tenders.
    fn check_hosts(&self, text: &str, keys: &KeySpans) -> Result<()> {
        for (os, arches) in &self.host {
            for (arch, support) in arches {
                if !self.arch.contains_key(arch) {
                    bail!(
                        "{}: [host.{os}.{arch}]: unknown arch {arch:?} (known: {})",
                        self.key_at(text, keys.host.get(os.as_str()), arch),
                        self.arch.keys().cloned().collect::<Vec<_>>().join(", ")
                    );
                }
                for b in &support.bindings {
                    let Some(binding) = self.binding.get(b.get_ref()) else {
                        bail!(
                            "{}: unknown binding {:?} (define [binding.{}])",
                            self.at(text, b.span()),
                            b.get_ref(),
                            b.get_ref()
                        );
                    };
                    if binding.runner == RunnerKind::Xen && self.arch[arch].xen_guest.is_none() {
                        bail!(
                            "{}: binding {:?} has runner = \"xen\", which needs [arch.{arch}.xen_guest]",
                            self.at(text, b.span()),
                            b.get_ref()
                        );
                    }
                }
                for t in &support.tenders {
                    if !self.tender.contains_key(t.get_ref()) {
                        bail!(
                            "{}: unknown tender {:?} (define [tender.{}])",
                            self.at(text, t.span()),
                            t.get_ref(),
                            t.get_ref()
                        );
                    }
                }
            }
        }
        Ok(())
    }

    /// Each source file without `{arch}` exists. One with `{arch}` may be
    /// missing for an arch: the plan skips that part there as not
    /// implemented yet.
    fn check_sources(
        &self,
        text: &str,
        kind: &str,
        name: &str,
        sources: &[Spanned<String>],
    ) -> Result<()> {
        // Only sources the same for every arch must exist (an arch's own
        // file may not have landed yet): one stat each.
        for s in sources.iter().filter(|s| !s.get_ref().contains("{arch}")) {
            let p = s.get_ref();
            if !self.root().join(p).is_file() {
                bail!(
                    "{}: {kind}.{name}: source {p} does not exist",
                    self.at(text, s.span())
                );
            }
        }
        Ok(())
    }

    /// Each `uses` entry names a `[sources]` group.
    fn check_uses(
        &self,
        text: &str,
        kind: &str,
        name: &str,
        uses: &[Spanned<String>],
    ) -> Result<()> {
        for u in uses {
            if !self.sources.contains_key(u.get_ref()) {
                bail!(
                    "{}: {kind}.{name}: unknown source group {:?} (define it under [sources])",
                    self.at(text, u.span()),
                    u.get_ref()
                );
            }
        }
        Ok(())
    }

    /// A binding's files exist, its tender is known, and its runner agrees
    /// with its tender and kvm_probe.
    fn check_binding(&self, text: &str, keys: &KeySpans, name: &str, b: &Binding) -> Result<()> {
        let at = self.key_at(text, Some(&keys.binding), name);
        self.check_sources(text, "binding", name, &b.sources)?;
        self.check_uses(text, "binding", name, &b.uses)?;
        if let Some(t) = &b.tender {
            if !self.tender.contains_key(t.get_ref()) {
                bail!(
                    "{}: binding.{name}: unknown tender {:?} (define [tender.{}])",
                    self.at(text, t.span()),
                    t.get_ref(),
                    t.get_ref()
                );
            }
        }
        let needs_tender = matches!(b.runner, RunnerKind::Host | RunnerKind::Kvm);
        if needs_tender != b.tender.is_some() {
            bail!(
                "{at}: binding.{name}: runner {:?} {} a tender",
                b.runner,
                if needs_tender {
                    "needs"
                } else {
                    "does not take"
                }
            );
        }
        if b.kvm_probe.is_some() != matches!(b.runner, RunnerKind::Kvm | RunnerKind::Qemu) {
            bail!("{at}: binding.{name}: kvm_probe goes with runner = \"kvm\" or \"qemu\", and only there");
        }
        if b.launcher.is_some() != (b.runner == RunnerKind::Qemu) {
            bail!("{at}: binding.{name}: launcher goes with runner = \"qemu\" (which needs one), and only there");
        }
        for script in b.launcher.iter().chain(&b.mkimage) {
            if !self.root().join(script.get_ref()).is_file() {
                bail!(
                    "{}: binding.{name}: script {} does not exist",
                    self.at(text, script.span()),
                    script.get_ref()
                );
            }
        }
        if !self.root().join(b.lds.get_ref()).is_file() {
            bail!(
                "{}: binding.{name}: linker-script template {} does not exist",
                self.at(text, b.lds.span()),
                b.lds.get_ref()
            );
        }
        Ok(())
    }

    /// A binding's sources for `arch`: its groups, then its own files.
    /// Empty when the binding has not landed.
    pub fn binding_sources(&self, binding: &Binding, arch: &str) -> Vec<String> {
        self.sources_of(&binding.uses, &binding.sources, arch)
    }

    /// A tender's sources for `arch`, groups first.
    pub fn tender_sources(&self, tender: &Tender, arch: &str) -> Vec<String> {
        self.sources_of(&tender.uses, &tender.sources, arch)
    }

    fn sources_of(
        &self,
        uses: &[Spanned<String>],
        own: &[Spanned<String>],
        arch: &str,
    ) -> Vec<String> {
        if own.is_empty() {
            return Vec::new();
        }
        uses.iter()
            .flat_map(|u| self.sources.get(u.get_ref()).into_iter().flatten())
            .chain(own)
            .map(|s| expand(s.get_ref(), arch))
            .collect()
    }

    /// How detection recognises a compiler for each arch.
    pub fn arch_ids(&self) -> Vec<ArchId> {
        self.arch
            .iter()
            .map(|(name, a)| {
                let gnu_first = a.gnu_triple.split('-').next().unwrap_or("");
                let mut triple_names = vec![name.clone(), gnu_first.to_string()];
                triple_names.extend(a.aliases.iter().cloned());
                let mut seen = BTreeSet::new();
                triple_names.retain(|n| seen.insert(n.clone()));
                ArchId {
                    name: name.clone(),
                    triple_names,
                    macros: a.cc_macros.clone(),
                }
            })
            .collect()
    }

    /// The arch whose ELF machine is `machine`.
    pub fn arch_of_machine(&self, machine: u16) -> Option<&str> {
        self.arch
            .iter()
            .find(|(_, a)| a.elf_machine == machine)
            .map(|(n, _)| n.as_str())
    }

    /// The support entry for Linux on `arch`.
    pub fn linux(&self, arch: &str) -> Option<&HostSupport> {
        self.host.get("linux").and_then(|m| m.get(arch))
    }

    /// Resolves any accepted spelling of a target to an arch name.
    pub fn resolve_target(&self, spec: &str) -> Result<String> {
        let s = spec.trim();
        for (name, arch) in &self.arch {
            if s == name || arch.aliases.iter().any(|a| a == s) || s == arch.gnu_triple {
                return Ok(name.clone());
            }
            if s == format!("{name}-solo5-none-static") || s == format!("{name}-solo5-none") {
                return Ok(name.clone());
            }
        }
        // Rust-style triples: aarch64-unknown-linux-gnu, x86_64-unknown-none
        // (three or four parts, the arch first, spelled as an arch name,
        // alias or GNU triple's arch).
        let parts: Vec<&str> = s.split('-').collect();
        if (3..=4).contains(&parts.len()) && parts.iter().all(|p| !p.is_empty()) {
            for (name, arch) in &self.arch {
                let gnu_first = arch.gnu_triple.split('-').next().unwrap_or("");
                if parts[0] == name
                    || parts[0] == gnu_first
                    || arch.aliases.iter().any(|a| a == parts[0])
                {
                    return Ok(name.clone());
                }
            }
        }
        let mut valid = Vec::new();
        for (name, arch) in &self.arch {
            let mut forms = vec![name.clone()];
            forms.extend(arch.aliases.iter().cloned());
            forms.push(arch.gnu_triple.clone());
            forms.push(format!("{name}-solo5-none-static"));
            valid.push(format!("  {}", forms.join(", ")));
        }
        bail!(
            "unknown target {spec:?}; valid targets (any spelling on a line, or a Rust triple such as aarch64-unknown-linux-gnu):\n{}",
            valid.join("\n")
        )
    }
}

/// The installed name of a binding's host script: its file name without
/// `.sh` (`tenders/virtio/solo5-virtio-run.sh` is `solo5-virtio-run`).
pub fn script_name(path: &str) -> String {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.strip_suffix(".sh").unwrap_or(file).to_string()
}

/// Substitutes `{arch}` in a source path.
pub fn expand(source: &str, arch: &str) -> String {
    source.replace("{arch}", arch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_targets() -> Targets {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../targets.toml");
        Targets::load(&path).expect("targets.toml parses")
    }

    #[test]
    fn the_matrix_is_as_documented() {
        let t = repo_targets();
        assert_eq!(*t.arch["ppc64le"].max_page_size.get_ref(), 0x10000);
        assert_eq!(*t.arch["aarch64"].max_page_size.get_ref(), 0x1000);
        let names =
            |v: &[Spanned<String>]| v.iter().map(|s| s.get_ref().clone()).collect::<Vec<_>>();
        assert_eq!(
            names(&t.linux("x86_64").unwrap().bindings),
            ["hvt", "spt", "virtio", "xen", "stub"]
        );
        assert_eq!(names(&t.linux("ppc64le").unwrap().tenders), ["spt"]);
        assert_eq!(t.compilers.min_gcc, 9);
        assert_eq!(t.compilers.min_clang, 12);
    }

    #[test]
    fn arch_identities_come_from_the_data() {
        let t = repo_targets();
        let ids = t.arch_ids();
        let id = |n: &str| ids.iter().find(|a| a.name == n).unwrap();
        assert_eq!(ids.len(), t.arch.len());
        assert_eq!(id("x86_64").triple_names, ["x86_64", "amd64", "x86-64"]);
        assert_eq!(id("x86_64").macros, ["__x86_64__"]);
        assert_eq!(id("aarch64").triple_names, ["aarch64", "arm64"]);
        assert_eq!(id("aarch64").macros, ["__aarch64__"]);
        assert_eq!(
            id("ppc64le").triple_names,
            ["ppc64le", "powerpc64le", "ppc64el"]
        );
        assert_eq!(id("ppc64le").macros, ["__powerpc64__", "__LITTLE_ENDIAN__"]);
    }

    #[test]
    fn cc_macros_must_be_given() {
        // The real path: validation finds the sources next to it.
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../targets.toml");
        let good = std::fs::read_to_string(&path).unwrap();
        let parse = |text: &str| {
            Targets::parse(text, &path)
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        parse(&good).unwrap();
        let bad = good.replacen("cc_macros = [\"__aarch64__\"]", "cc_macros = []", 1);
        let err = parse(&bad).unwrap_err();
        assert!(err.contains("arch.aarch64.cc_macros is empty"), "{err}");
        let bad = good.replacen("cc_macros = [\"__aarch64__\"]\n", "", 1);
        let err = parse(&bad).unwrap_err();
        assert!(err.contains("cc_macros"), "{err}");
    }

    #[test]
    fn every_spelling_of_a_target_resolves() {
        let t = repo_targets();
        for (spec, want) in [
            ("aarch64", "aarch64"),
            ("arm64", "aarch64"),
            ("x86_64", "x86_64"),
            ("amd64", "x86_64"),
            ("ppc64le", "ppc64le"),
            ("powerpc64le", "ppc64le"),
            ("aarch64-linux-gnu", "aarch64"),
            ("aarch64-unknown-linux-gnu", "aarch64"),
            ("powerpc64le-unknown-linux-gnu", "ppc64le"),
            ("x86_64-unknown-linux-gnu", "x86_64"),
            ("x86_64-unknown-none", "x86_64"),
            ("arm64-apple-darwin", "aarch64"),
            ("aarch64-solo5-none-static", "aarch64"),
            ("x86_64-solo5-none-static", "x86_64"),
        ] {
            assert_eq!(t.resolve_target(spec).unwrap(), want, "{spec}");
        }
        for bad in ["x86_64-", "x86_64-a-b-c-d", "sparc64-unknown-linux-gnu"] {
            assert!(t.resolve_target(bad).is_err(), "{bad}");
        }
        let err = t.resolve_target("sparc").unwrap_err().to_string();
        assert!(err.contains("unknown target \"sparc\""), "{err}");
        assert!(
            err.contains("aarch64") && err.contains("ppc64le") && err.contains("x86_64"),
            "{err}"
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_cite_line_and_column() {
        let good =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../targets.toml"))
                .unwrap();
        let bad = good.replacen("min_gcc = 9", "min_gcc = 9\nmin_icc = 3", 1);
        let err = Targets::parse(&bad, Path::new("targets.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("targets.toml:"), "{err}");
        assert!(err.contains("min_icc"), "{err}");
        let line = good.lines().position(|l| l.starts_with("min_gcc")).unwrap() + 2;
        assert!(
            err.contains(&format!(":{line}:")),
            "{err} (want line {line})"
        );

        let bad = good.replacen("max_page_size = 0x10000", "max_page_size = 0x12345", 1);
        let err = Targets::parse(&bad, Path::new("targets.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a power of two"), "{err}");
        let line = good
            .lines()
            .position(|l| l.starts_with("max_page_size = 0x10000"))
            .unwrap()
            + 1;
        assert!(err.contains(&format!("targets.toml:{line}:")), "{err}");

        let bad = good.replacen(
            "bindings = [\"spt\", \"stub\"]",
            "bindings = [\"spt\", \"stubb\"]",
            1,
        );
        let err = Targets::parse(&bad, Path::new("targets.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown binding \"stubb\""), "{err}");

        let bad = good.replacen("min_clang = 12", "min_clang = \"twelve\"", 1);
        let err = Targets::parse(&bad, Path::new("targets.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("targets.toml:"), "{err}");
    }

    /// The cross references checked after parsing point at their table.
    #[test]
    fn cross_reference_errors_cite_line_and_column() {
        // The real path: sources are checked relative to it.
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../targets.toml");
        let good = std::fs::read_to_string(&path).unwrap();
        let shown = path.display();
        let line_of = |text: &str, start: &str| {
            text.lines()
                .position(|l| l.starts_with(start))
                .unwrap_or_else(|| panic!("no line {start:?}"))
                + 1
        };
        let bad = format!("{good}\n[host.linux.sparc64]\nbindings = []\ntenders = []\n");
        let err = Targets::parse(&bad, &path).unwrap_err().to_string();
        let line = line_of(&bad, "[host.linux.sparc64]");
        assert!(
            err.starts_with(&format!(
                "{shown}:{line}:13: [host.linux.sparc64]: unknown arch \"sparc64\""
            )),
            "{err}"
        );

        let bad = good.replacen("kvm_probe = \"fpu\"\n", "", 1);
        assert_ne!(bad, good, "binding.hvt has a kvm_probe");
        let err = Targets::parse(&bad, &path).unwrap_err().to_string();
        let line = line_of(&bad, "[binding.hvt]");
        assert!(
            err.starts_with(&format!("{shown}:{line}:10: binding.hvt: kvm_probe")),
            "{err}"
        );

        let first_macros = good
            .lines()
            .find(|l| l.starts_with("cc_macros = "))
            .expect("cc_macros");
        let bad = good.replacen(first_macros, "cc_macros = []", 1);
        let err = Targets::parse(&bad, &path).unwrap_err().to_string();
        let line = line_of(&bad, "[arch.x86_64]");
        assert!(
            err.starts_with(&format!("{shown}:{line}:7: arch.x86_64.cc_macros is empty")),
            "{err}"
        );
    }

    /// The xen guest's facts are checked like the rest, at their line.
    #[test]
    fn xen_guest_errors_cite_line_and_column() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../targets.toml");
        let good = std::fs::read_to_string(&path).unwrap();
        let shown = path.display();
        let line_of = |text: &str, needle: &str| {
            text.lines()
                .position(|l| l.contains(needle))
                .unwrap_or_else(|| panic!("no line {needle:?}"))
                + 1
        };
        let bad = good.replacen("\"kernel/virt/lib/irqbypass.ko.xz\"", "\"irqbypass.o\"", 1);
        let err = Targets::parse(&bad, &path).unwrap_err().to_string();
        let line = line_of(&bad, "\"irqbypass.o\"");
        assert!(
            err.starts_with(&format!("{shown}:{line}:5: arch.x86_64.xen_guest.modules")),
            "{err}"
        );

        let bad = good.replacen(
            "qemu = \"usr/bin/qemu-system-x86_64\"",
            "qemu = \"/usr/bin/qemu-system-x86_64\"",
            1,
        );
        let err = Targets::parse(&bad, &path).unwrap_err().to_string();
        let line = line_of(&bad, "qemu = \"/usr/bin/qemu-system-x86_64\"");
        assert!(err.starts_with(&format!("{shown}:{line}:8: ")), "{err}");
        assert!(err.contains("relative path"), "{err}");

        // A xen binding on an arch without a xen guest.
        let bad = format!(
            "{}\n[binding.xen2]\nrunner = \"xen\"\nlds = \"ld-scripts/solo5.lds.in\"\n\
             text_start = 0x100000\nsources = []\n",
            good.replacen(
                "bindings = [\"spt\", \"stub\"]",
                "bindings = [\"spt\", \"stub\", \"xen2\"]",
                1
            )
        );
        let err = Targets::parse(&bad, &path).unwrap_err().to_string();
        assert!(
            err.contains(
                "binding \"xen2\" has runner = \"xen\", which needs [arch.ppc64le.xen_guest]"
            ) || err.contains("which needs [arch.aarch64.xen_guest]"),
            "{err}"
        );
        let line = line_of(&bad, "\"xen2\"]");
        assert!(err.starts_with(&format!("{shown}:{line}:")), "{err}");
    }

    #[test]
    fn bad_types_cite_line_and_column() {
        let good =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../targets.toml"))
                .unwrap();
        let bad = good.replacen("min_clang = 12", "min_clang = \"twelve\"", 1);
        let err = Targets::parse(&bad, Path::new("targets.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("targets.toml:"), "{err}");
    }
}
