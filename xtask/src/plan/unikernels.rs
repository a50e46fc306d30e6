//! Test unikernels: each test source's manifest and object built once,
//! then linked once per binding it is tested with.
//!
//! A manifest's C source is generated here, at plan time, by the elftool
//! library (the code behind `solo5-elftool gen-manifest`), and written by
//! the engine like a rendered linker script: no process to start, and no
//! solo5-elftool binary to build first. The step's command hash covers the
//! generated text, so a changed generator rewrites exactly the manifests
//! whose text it changes.

use super::bindings::Built;
use super::flags;
use super::step::{
    compile_step, obj_path, s, tool_step, Action, Cc, Plan, Product, ProductKind, Step,
};
use crate::model::config::{ArchConfig, Config};
use crate::model::layout::Layout;
use crate::model::tests::Test;
use anyhow::{anyhow, Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub fn plan(
    plan: &mut Plan,
    cfg: &Config,
    a: &ArchConfig,
    tests: &[Test],
    bindings: &BTreeMap<String, Built>,
) -> Result<()> {
    let layout = Layout::new(&cfg.out, &a.arch);
    let cc = Cc {
        compiler: a.tools.target_cc.as_ref().context("target cc")?,
        launcher: &cfg.launcher,
    };
    let ld = a.tools.target_ld.as_ref().context("target ld")?;
    let cflags = flags::target_cflags(cfg, a)?;
    let link_flags = flags::link(cfg, &a.arch);
    // Several tests may share one unikernel: build each source once, for
    // the union of their bindings.
    let mut sources: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for test in tests.iter().filter(|t| t.is_built()) {
        let e = sources.entry(test.source().to_string()).or_default();
        for bn in test.bindings.iter().chain(&test.unikernel_from) {
            if !e.contains(bn) {
                e.push(bn.clone());
            }
        }
    }
    for (source, wanted) in &sources {
        let wanted: Vec<&Built> = wanted.iter().filter_map(|b| bindings.get(b)).collect();
        if wanted.is_empty() {
            continue;
        }
        let dir = format!("tests/test_{source}");
        let mft_json = format!("{dir}/manifest.json");
        let mft_c = layout.obj.join(&dir).join("manifest.c");
        let mft_step = plan.add(Step {
            verb: "MFT",
            arch: a.arch.clone(),
            label: mft_json.clone(),
            action: Action::Write {
                contents: manifest_c(&cfg.root, &mft_json)?.into_bytes(),
            },
            inputs: vec![PathBuf::from(&mft_json)],
            outputs: vec![mft_c.clone()],
            deps: vec![],
            depfile: None,
        });
        let mft_o = layout.obj.join(&dir).join("manifest.o");
        let mft_o_step = plan.add(compile_step(
            "CC",
            &a.arch,
            cc,
            &cflags,
            &s(&mft_c),
            mft_o.clone(),
            vec![mft_step],
        ));
        let src = format!("{dir}/test_{source}.c");
        let obj = obj_path(&layout.obj, "", &src);
        let obj_step = plan.add(compile_step(
            "CC",
            &a.arch,
            cc,
            &cflags,
            &src,
            obj.clone(),
            vec![],
        ));
        for (bname, b) in bindings
            .iter()
            .filter(|(_, b)| wanted.iter().any(|w| std::ptr::eq(*w, *b)))
        {
            let out = layout.unikernel(source, bname);
            let link = |t: &Path| {
                let mut v = link_flags.clone();
                v.extend(["-T".into(), s(&b.script), "-o".into(), s(t)]);
                v.extend([s(&b.object), s(&obj), s(&mft_o)]);
                v
            };
            plan.add(tool_step(
                "LINK",
                &a.arch,
                &ld.path,
                link,
                &out,
                vec![
                    b.script.clone(),
                    b.object.clone(),
                    obj.clone(),
                    mft_o.clone(),
                ],
                vec![b.object_step, b.script_step, obj_step, mft_o_step],
            ));
            plan.products.push(Product {
                arch: a.arch.clone(),
                kind: ProductKind::Unikernel,
                name: format!("{source}.{bname}"),
                path: out,
            });
        }
    }
    Ok(())
}

/// The C source `solo5-elftool gen-manifest` writes for the manifest at
/// `json` (relative to `root`); a bad manifest is an error naming the file,
/// line and column.
fn manifest_c(root: &Path, json: &str) -> Result<String> {
    let text = std::fs::read(root.join(json)).with_context(|| format!("cannot read {json}"))?;
    let m = elftool::manifest::parse(&text).map_err(|e| anyhow!("{json}:{e}"))?;
    Ok(elftool::manifest::to_c(&m))
}
