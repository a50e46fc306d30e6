//! Detection on the real compilers of this machine. A compiler that is not
//! installed prints SKIP, except under CI (CI=true), where `.ci/run`
//! installs them all and a missing one is a failure.

use std::collections::BTreeMap;
use toolchain::{detect, LinkerKind, Overrides, Request, Role};

mod support;

fn env_with(var: &str, value: &str) -> BTreeMap<String, String> {
    let mut env = detect::env_snapshot();
    for k in [
        "CC",
        "HOST_CC",
        "TARGET_CC",
        "TARGET_LD",
        "TARGET_OBJCOPY",
        "CROSS_COMPILE",
    ] {
        env.remove(k);
    }
    env.insert(var.into(), value.into());
    env
}

fn available(program: &str) -> bool {
    let found = detect::resolve(program, &detect::env_snapshot()).is_some();
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{program} is missing under CI: .ci/run should install it"
        );
        println!("SKIP {program}: not installed here");
    }
    found
}

fn check(spec: &str, arch: &str, triple: &str, family: toolchain::Family) {
    let program = spec.split_whitespace().next().unwrap();
    if !available(program) {
        return;
    }
    let req = Request {
        arch: arch.into(),
        gnu_triple: triple.into(),
        build_arch: "x86_64".into(),
        arches: support::real_arches(),
        min_gcc: 9,
        min_clang: 12,
        overrides: Overrides::default(),
        env: env_with("TARGET_CC", spec),
    };
    let dir = tempfile::tempdir().unwrap();
    let tc = detect::detect(&req, dir.path()).unwrap();
    let problems: Vec<_> = tc
        .problems_for(Role::Target)
        .map(|p| p.message.clone())
        .collect();
    assert!(problems.is_empty(), "{spec}: {problems:?}");
    let cc = tc.target_cc.as_ref().unwrap();
    assert_eq!(cc.family, family, "{spec}");
    assert_eq!(cc.arch, arch, "{spec}");
    assert!(cc.freestanding_headers, "{spec}");
    assert!(cc.version.major >= 9, "{spec}");
    let ld = tc.target_ld.as_ref().expect("a linker");
    assert!(ld.relocatable_ok, "{spec}");
    if family == toolchain::Family::Clang {
        assert_eq!(
            ld.kind,
            LinkerKind::Lld,
            "{spec}: clang pairs with LLD when present"
        );
    }
    assert!(
        tc.target_objcopy.as_ref().is_some_and(|o| o.works),
        "{spec}"
    );
}

#[test]
fn gcc_12() {
    check(
        "gcc-12",
        "x86_64",
        "x86_64-linux-gnu",
        toolchain::Family::Gcc,
    );
}

#[test]
fn gcc_11() {
    check(
        "gcc-11",
        "x86_64",
        "x86_64-linux-gnu",
        toolchain::Family::Gcc,
    );
}

#[test]
fn clang_native() {
    check(
        "clang",
        "x86_64",
        "x86_64-linux-gnu",
        toolchain::Family::Clang,
    );
}

#[test]
fn clang_cross_aarch64() {
    check(
        "clang --target=aarch64-linux-gnu",
        "aarch64",
        "aarch64-linux-gnu",
        toolchain::Family::Clang,
    );
}

#[test]
fn aarch64_cross_gcc() {
    check(
        "aarch64-linux-gnu-gcc",
        "aarch64",
        "aarch64-linux-gnu",
        toolchain::Family::Gcc,
    );
}

#[test]
fn ppc64le_cross_gcc() {
    check(
        "powerpc64le-linux-gnu-gcc",
        "ppc64le",
        "powerpc64le-linux-gnu",
        toolchain::Family::Gcc,
    );
}
