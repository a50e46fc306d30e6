//! Host scripts that come with a binding (the virtio binding's QEMU
//! launcher and disk-image maker): copied into the arch's `bin/` under
//! their installed names, whenever the binding is supported on the arch,
//! as tenders are built whether or not their binding has landed.

use super::step::{copy_step, s, Plan, Product, ProductKind};
use crate::model::config::Config;
use crate::model::layout::Layout;
use crate::model::targets::script_name;
use std::path::Path;

/// Plans the scripts of `binding` for `arch`.
pub fn plan(plan: &mut Plan, cfg: &Config, arch: &str, binding: &str) {
    let b = &cfg.targets.binding[binding];
    let layout = Layout::new(&cfg.out, arch);
    for src in b.launcher.iter().chain(&b.mkimage) {
        let src = src.get_ref();
        let name = script_name(src);
        let out = layout.bin.join(&name);
        plan.add(copy_step("CP", arch, Path::new(src), &out, s(&out)));
        plan.products.push(Product {
            arch: arch.to_string(),
            kind: ProductKind::Script,
            name,
            path: out,
        });
    }
}
