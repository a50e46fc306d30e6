//! Tenders: host programs (`solo5-<t>`), built with the host compiler.

use super::flags;
use super::step::{compile_step, obj_path, s, tool_step, Cc, Plan, Product, ProductKind};
use crate::model::config::{ArchConfig, Config};
use crate::model::layout::Layout;
use std::path::Path;

/// Plans tender `tname` of `a` from its expanded `sources`.
pub fn plan(
    plan: &mut Plan,
    cfg: &Config,
    a: &ArchConfig,
    cc: &toolchain::Compiler,
    libs: &[String],
    tname: &str,
    sources: &[String],
) {
    let layout = Layout::new(&cfg.out, &a.arch);
    let mut cflags = flags::host_cflags(cfg, cc);
    cflags.push(format!("-I{}", s(&layout.gen())));
    let mut objs = Vec::new();
    let mut deps = Vec::new();
    let compiler = Cc {
        compiler: cc,
        launcher: &cfg.launcher,
    };
    for src in sources {
        let obj = obj_path(&layout.obj, &format!("solo5-{tname}"), src);
        deps.push(plan.add(compile_step(
            "HOSTCC",
            &a.arch,
            compiler,
            &cflags,
            src,
            obj.clone(),
            vec![],
        )));
        objs.push(obj);
    }
    let out = layout.tender(tname);
    let link = |t: &Path| {
        let mut v: Vec<String> = cc.args.clone();
        v.extend(["-o".into(), s(t)]);
        v.extend(objs.iter().map(|o| s(o)));
        v.extend(libs.iter().cloned());
        v
    };
    plan.add(tool_step(
        "HOSTLD",
        &a.arch,
        &cc.path,
        link,
        &out,
        objs.clone(),
        deps,
    ));
    plan.products.push(Product {
        arch: a.arch.clone(),
        kind: ProductKind::Tender,
        name: format!("solo5-{tname}"),
        path: out,
    });
}
