//! How a binding's unikernels are run on this machine. Commands ask here,
//! by the binding's `runner` kind from targets.toml, and never test a
//! binding's or an arch's name.

pub mod apt;
pub mod guest;
pub mod kvm;
pub mod xen;

use crate::model::config::Config;
use crate::model::layout::Layout;
use crate::model::targets::{script_name, RunnerKind};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where the cells of one (arch, binding) run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// On this machine, by running the tender.
    Native,
    /// Inside the arch's emulated Linux guest.
    Guest,
    /// As a QEMU machine of its own on this machine, started by the
    /// binding's launcher: with KVM, or with TCG emulation.
    Qemu { kvm: bool },
    /// Inside the arch's xen guest, as Xen domains of QEMU's Xen emulation.
    XenGuest,
    /// Never run: the binding's unikernels are only built and checked.
    BuildOnly,
    /// Not runnable here, and why.
    Unavailable(String),
}

/// Where a binding with runner `kind` runs, given whether the arch is the
/// machine's own and whether its KVM runs real guests (asked only for
/// `kvm`, and for `qemu` on the machine's own arch: QEMU emulates any
/// arch with TCG). A `xen` binding runs in its xen guest, whose inner QEMU
/// loads the build machine's shared libraries: on the build machine's
/// arch only. The one rule; `Runners` and the generated CI workflow use
/// it.
pub fn place(kind: RunnerKind, own_arch: bool, kvm_usable: impl FnOnce() -> bool) -> Placement {
    match kind {
        RunnerKind::None => Placement::BuildOnly,
        RunnerKind::Xen if own_arch => Placement::XenGuest,
        RunnerKind::Xen => Placement::Unavailable(
            "its xen guest runs a QEMU with the build machine's shared libraries, so only on \
             the build machine's own arch"
                .into(),
        ),
        RunnerKind::Qemu => Placement::Qemu {
            kvm: own_arch && kvm_usable(),
        },
        RunnerKind::Host | RunnerKind::Kvm if !own_arch => Placement::Guest,
        RunnerKind::Host => Placement::Native,
        RunnerKind::Kvm if kvm_usable() => Placement::Native,
        RunnerKind::Kvm => Placement::Guest,
    }
}

/// Decides placements, probing each (arch, binding) at most once per
/// command and saying once what it decided.
pub struct Runners<'a> {
    cfg: &'a Config,
    root: PathBuf,
    decided: BTreeMap<(String, String), Placement>,
}

impl<'a> Runners<'a> {
    pub fn new(cfg: &'a Config, root: &Path) -> Runners<'a> {
        Runners {
            cfg,
            root: root.to_path_buf(),
            decided: BTreeMap::new(),
        }
    }

    /// The program that runs `binding`'s unikernels on `arch`: its tender,
    /// the launcher script of a `qemu` binding, or the launcher a `xen`
    /// binding's guest runs (from the repository: it is a test tool).
    pub fn tender(&self, arch: &str, binding: &str) -> Option<PathBuf> {
        let b = self.cfg.targets.binding.get(binding)?;
        match (&b.tender, &b.launcher) {
            (Some(t), _) => Some(self.tender_named(arch, t.get_ref())),
            (None, Some(l)) => Some(self.script(arch, l.get_ref())),
            (None, None) if b.runner == RunnerKind::Xen => {
                let x = self.cfg.targets.arch.get(arch)?.xen_guest.as_ref()?;
                Some(self.root.join(x.launcher.get_ref()))
            }
            (None, None) => None,
        }
    }

    /// The script of a `qemu` binding that makes a bootable disk image.
    pub fn mkimage(&self, arch: &str, binding: &str) -> Option<PathBuf> {
        let b = self.cfg.targets.binding.get(binding)?;
        Some(self.script(arch, b.mkimage.as_ref()?.get_ref()))
    }

    fn script(&self, arch: &str, source: &str) -> PathBuf {
        self.root
            .join(Layout::new(&self.cfg.out, arch).bin)
            .join(script_name(source))
    }

    /// The binary of tender `name` (a `[tender.NAME]`) on `arch`.
    pub fn tender_named(&self, arch: &str, name: &str) -> PathBuf {
        self.root
            .join(Layout::new(&self.cfg.out, arch).tender(name))
    }

    pub fn placement(&mut self, arch: &str, binding: &str) -> Placement {
        let key = (arch.to_string(), binding.to_string());
        if let Some(p) = self.decided.get(&key) {
            return p.clone();
        }
        let p = self.decide(arch, binding);
        self.decided.insert(key, p.clone());
        p
    }

    /// The placement as far as it is known without running anything: a
    /// KVM runner on the build machine's arch counts as native when the CPU
    /// reports hardware virtualisation (the real decision also runs the
    /// probe unikernel).
    pub fn placement_without_probe(&self, arch: &str, binding: &str) -> Placement {
        match self.cfg.targets.binding.get(binding) {
            Some(b) => place(b.runner, arch == self.cfg.build_arch, || kvm::summary().0),
            None => self.decide(arch, binding),
        }
    }

    /// The program that boots `binding`'s unikernels and its arguments
    /// before the unikernel's, for the KVM probe: a tender alone, or a
    /// launcher told to use KVM.
    fn probe_command(&self, arch: &str, binding: &str, kind: RunnerKind) -> Option<Vec<String>> {
        let program = self.tender(arch, binding)?.display().to_string();
        Some(match kind {
            RunnerKind::Qemu => vec![program, "-q".into(), "-H".into(), "kvm".into()],
            _ => vec![program],
        })
    }

    /// What the KVM probe's verdict means for `kind`: (when it passes,
    /// when it fails).
    fn kvm_outcomes(kind: RunnerKind) -> (&'static str, &'static str) {
        match kind {
            RunnerKind::Qemu => (
                "QEMU runs the cells with KVM",
                "QEMU runs the cells with TCG (emulation)",
            ),
            _ => (
                "running tests natively",
                "running tests in an emulated guest with nested KVM",
            ),
        }
    }

    fn decide(&self, arch: &str, binding: &str) -> Placement {
        let Some(b) = self.cfg.targets.binding.get(binding) else {
            return Placement::Unavailable(format!("binding {binding} is not in targets.toml"));
        };
        let own_arch = arch == self.cfg.build_arch;
        place(b.runner, own_arch, || {
            let layout = Layout::new(&self.cfg.out, arch);
            let probe = b
                .kvm_probe
                .as_deref()
                .map(|t| self.root.join(layout.unikernel(t, binding)));
            let Some(command) = self.probe_command(arch, binding, b.runner) else {
                return false;
            };
            let outcomes = Self::kvm_outcomes(b.runner);
            // QEMU with KVM needs the CPU's own virtualisation (a
            // paravirtual KVM even makes `-cpu host` abort).
            let (hw, what) = kvm::summary();
            if b.runner == RunnerKind::Qemu && !hw {
                println!("{binding}: {what}: {}", outcomes.1);
                return false;
            }
            let (ok, why) = kvm::qualify(&command, probe.as_deref(), outcomes);
            println!("{binding}: {why}");
            ok
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qemu_bindings_boot_here_with_kvm_only_on_their_own_arch() {
        assert_eq!(
            place(RunnerKind::Qemu, true, || true),
            Placement::Qemu { kvm: true }
        );
        assert_eq!(
            place(RunnerKind::Qemu, true, || false),
            Placement::Qemu { kvm: false }
        );
        // TCG emulates any arch; KVM is not even asked about.
        assert_eq!(
            place(RunnerKind::Qemu, false, || panic!("asked about KVM")),
            Placement::Qemu { kvm: false }
        );
        assert_eq!(place(RunnerKind::Kvm, false, || true), Placement::Guest);
        assert_eq!(place(RunnerKind::Kvm, true, || true), Placement::Native);
        assert_eq!(place(RunnerKind::Host, true, || false), Placement::Native);
        assert_eq!(place(RunnerKind::None, true, || true), Placement::BuildOnly);
        assert_eq!(
            place(RunnerKind::Xen, true, || panic!("asked about KVM")),
            Placement::XenGuest
        );
        assert!(matches!(
            place(RunnerKind::Xen, false, || true),
            Placement::Unavailable(_)
        ));
    }
}
