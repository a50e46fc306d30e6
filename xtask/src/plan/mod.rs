//! Plan: turns the model (targets.toml, tests.toml, the detected
//! toolchains) into a graph of steps. Nothing here runs a tool or touches
//! the output tree. One file per product family; they share `step` (the
//! plan's data) and `flags`, and never each other, but for the bindings'
//! outputs the unikernels link against.

pub mod bindings;
pub mod flags;
pub mod scripts;
pub mod step;
pub mod tenders;
pub mod unikernels;
pub mod wrappers;

pub use step::{Action, Plan, ProductKind, Skipped, Step};

use crate::model::config::{ArchConfig, Config};
use crate::model::layout::{self, Layout};
use crate::model::tests::Test;
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use step::{copy_step, s};

/// The plan for `cfg`. `elftool`, when given, is a solo5-elftool binary to
/// copy into the output tree (for the commands that install or run it; the
/// build itself generates manifests in-process and needs none).
pub fn plan(cfg: &Config, tests: &[Test], elftool: Option<&Path>) -> Result<Plan> {
    let mut plan = Plan {
        out: cfg.out.clone(),
        ..Plan::default()
    };
    if let Some(elftool) = elftool {
        let elftool_out = layout::tools_bin(&cfg.out).join("solo5-elftool");
        plan.add(copy_step(
            "CP",
            "build",
            elftool,
            &elftool_out,
            s(&elftool_out),
        ));
    }
    for a in &cfg.arches {
        plan_arch(&mut plan, cfg, a, tests)?;
    }
    Ok(plan)
}

fn plan_arch(plan: &mut Plan, cfg: &Config, a: &ArchConfig, tests: &[Test]) -> Result<()> {
    let t = &cfg.targets;
    let Some(support) = t.linux(&a.arch) else {
        bail!("targets.toml has no [host.linux.{}] entry", a.arch);
    };
    plan_headers(plan, cfg, &a.arch)?;

    let target_ok = a.tools.target_cc.is_some()
        && a.tools.target_ld.is_some()
        && a.tools.target_objcopy.is_some();
    let mut binding_sources = BTreeMap::new();
    for bname in support.bindings.iter().map(|x| x.get_ref()) {
        scripts::plan(plan, cfg, &a.arch, bname);
        let sources = t.binding_sources(&t.binding[bname], &a.arch);
        let skip = |reason: String| Skipped {
            arch: a.arch.clone(),
            kind: ProductKind::Binding,
            part: bname.clone(),
            reason,
        };
        if let Some(why) = not_landed(&cfg.root, &sources, &a.arch) {
            plan.skipped.push(skip(why));
        } else if !target_ok {
            plan.skipped.push(skip(format!(
                "no usable target toolchain (run `cargo xtask doctor --target {}`)",
                a.arch
            )));
        } else {
            binding_sources.insert(bname.clone(), sources);
        }
    }
    if target_ok {
        let built = bindings::plan(plan, cfg, a, &binding_sources)?;
        for step in wrappers::steps(cfg, a, &built.keys().cloned().collect::<Vec<_>>())? {
            plan.add(step);
        }
        unikernels::plan(plan, cfg, a, tests, &built)?;
    }

    for tname in support.tenders.iter().map(|x| x.get_ref()) {
        let tender = &t.tender[tname];
        let sources = t.tender_sources(tender, &a.arch);
        let skip = |reason: String| Skipped {
            arch: a.arch.clone(),
            kind: ProductKind::Tender,
            part: format!("solo5-{tname}"),
            reason,
        };
        if let Some(why) = not_landed(&cfg.root, &sources, &a.arch) {
            plan.skipped.push(skip(why));
            continue;
        }
        let Some(cc) = a.tools.host_cc.as_ref() else {
            plan.skipped.push(skip(format!(
                "no usable host compiler (run `cargo xtask doctor --target {}`)",
                a.arch
            )));
            continue;
        };
        let libs: Vec<String> = tender.libs.iter().map(|l| format!("-l{l}")).collect();
        tenders::plan(plan, cfg, a, cc, &libs, tname, &sources);
    }
    Ok(())
}

/// The repository's headers, for unikernel builds against the output tree.
fn plan_headers(plan: &mut Plan, cfg: &Config, arch: &str) -> Result<()> {
    let layout = Layout::new(&cfg.out, arch);
    let mut headers: Vec<PathBuf> = std::fs::read_dir(cfg.root.join("include"))
        .context("cannot list include/")?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "h"))
        .collect();
    headers.sort();
    for h in headers {
        let name = h.file_name().context("header name")?.to_owned();
        let rel = PathBuf::from("include").join(&name);
        let out = layout.include.join(&name);
        plan.add(copy_step("CP", arch, &rel, &out, s(&rel)));
    }
    Ok(())
}

/// Why a part with these (expanded) sources cannot be built yet: no
/// sources at all, or an arch-specific file that has not landed.
fn not_landed(root: &Path, sources: &[String], arch: &str) -> Option<String> {
    if sources.is_empty() {
        return Some("not implemented yet".into());
    }
    sources
        .iter()
        .find(|src| !crate::util::source_exists(&root.join(src)))
        .map(|src| format!("not implemented for {arch} yet ({src} does not exist)"))
}
