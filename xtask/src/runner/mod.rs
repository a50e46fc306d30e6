//! How a binding's unikernels are run on this machine. Commands ask here,
//! by the binding's `runner` kind from targets.toml, and never test a
//! binding's or an arch's name.

pub mod guest;
pub mod kvm;

use crate::model::config::Config;
use crate::model::layout::Layout;
use crate::model::targets::RunnerKind;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where the cells of one (arch, binding) run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// On this machine, by running the tender.
    Native,
    /// Inside the arch's emulated Linux guest.
    Guest,
    /// Never run: the binding's unikernels are only built and checked.
    BuildOnly,
    /// Not runnable here, and why.
    Unavailable(String),
}

/// Where a binding with runner `kind` runs, given whether the arch is the
/// machine's own and whether its KVM runs real guests (asked only for
/// `kvm`). The one rule; `Runners` and the generated CI workflow use it.
pub fn place(
    binding: &str,
    kind: RunnerKind,
    own_arch: bool,
    kvm_usable: impl FnOnce() -> bool,
) -> Placement {
    match kind {
        RunnerKind::None => Placement::BuildOnly,
        RunnerKind::Qemu => Placement::Unavailable(format!(
            "{binding} unikernels boot as QEMU machines of their own; that runner has not landed yet"
        )),
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

    /// The tender binary that runs `binding`'s unikernels on `arch`.
    pub fn tender(&self, arch: &str, binding: &str) -> Option<PathBuf> {
        let b = self.cfg.targets.binding.get(binding)?;
        let t = b.tender.as_ref()?;
        Some(self.tender_named(arch, t.get_ref()))
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
            Some(b) => place(binding, b.runner, arch == self.cfg.build_arch, || {
                kvm::summary().0
            }),
            None => self.decide(arch, binding),
        }
    }

    fn decide(&self, arch: &str, binding: &str) -> Placement {
        let Some(b) = self.cfg.targets.binding.get(binding) else {
            return Placement::Unavailable(format!("binding {binding} is not in targets.toml"));
        };
        let own_arch = arch == self.cfg.build_arch;
        place(binding, b.runner, own_arch, || {
            let layout = Layout::new(&self.cfg.out, arch);
            let probe = b
                .kvm_probe
                .as_deref()
                .map(|t| self.root.join(layout.unikernel(t, binding)));
            let Some(tender) = self.tender(arch, binding) else {
                return false;
            };
            let (ok, why) = kvm::qualify(&tender, probe.as_deref());
            println!("{binding}: {why}");
            ok
        })
    }
}
