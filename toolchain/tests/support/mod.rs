//! What the toolchain tests share. Included by the integration tests
//! (`mod support;`) and by the crate's own unit tests (see lib.rs).

use toolchain::ArchId;

/// The identities of the three arches targets.toml has, as xtask passes
/// them: name, GNU triple first component plus aliases, and macros.
pub fn real_arches() -> Vec<ArchId> {
    let id = |name: &str, triple_names: &[&str], macros: &[&str]| ArchId {
        name: name.to_string(),
        triple_names: triple_names.iter().map(|s| s.to_string()).collect(),
        macros: macros.iter().map(|s| s.to_string()).collect(),
    };
    vec![
        id("aarch64", &["aarch64", "arm64"], &["__aarch64__"]),
        id(
            "ppc64le",
            &["ppc64le", "powerpc64le", "ppc64el"],
            &["__powerpc64__", "__LITTLE_ENDIAN__"],
        ),
        id("x86_64", &["x86_64", "amd64", "x86-64"], &["__x86_64__"]),
    ]
}
