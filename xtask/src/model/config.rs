//! Config: what `targets.toml` and detection say about each requested
//! arch. The plain data the planner works from.

use crate::cli::{Matches, Opt};
use crate::model::layout::{self, Layout};
use crate::model::targets::Targets;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use toolchain::cache::{self, Origin};
use toolchain::{Overrides, Request, Toolchains};

/// Flags shared by every command that needs toolchains.
#[derive(Debug, Clone, Default)]
pub struct ToolFlags {
    pub targets: Vec<String>,
    pub all_targets: bool,
    pub cc: Option<String>,
    pub host_cc: Option<String>,
    pub target_cc: Option<String>,
    pub target_ld: Option<String>,
    pub target_objcopy: Option<String>,
    pub build_dir: Option<PathBuf>,
    pub launcher: Option<String>,
}

/// The options of `ToolFlags`, as `cargo xtask CMD --help` shows them.
pub const TOOL_OPTS: &[Opt] = &[
    Opt::many(
        "target",
        "TARGET",
        "Target arch; repeatable. Arch names, aliases, GNU, Rust or Solo5 triples are accepted. \
         Default: the build machine's arch",
    ),
    Opt::flag("all-targets", "Every arch the build machine's OS supports"),
    Opt::value("cc", "CC", "C compiler for both tenders and bindings"),
    Opt::value(
        "host-cc",
        "CC",
        "C compiler for the tenders (overrides HOST_CC)",
    ),
    Opt::value(
        "target-cc",
        "CC",
        "C compiler for bindings and unikernels (overrides TARGET_CC)",
    ),
    Opt::value(
        "target-ld",
        "LD",
        "Linker for unikernels (overrides TARGET_LD)",
    ),
    Opt::value(
        "target-objcopy",
        "OBJCOPY",
        "objcopy for the target (overrides TARGET_OBJCOPY)",
    ),
    Opt::value(
        "build-dir",
        "DIR",
        "Put every output (what target/solo5 holds by default, and dist's packages) under DIR; \
         the source tree is only read (default: $SOLO5_BUILD_DIR)",
    ),
    Opt::value(
        "launcher",
        "CMD",
        "Run every C compile (target and host, not links) through CMD, such as ccache, sccache \
         or distcc; words split at spaces (default: $SOLO5_CC_LAUNCHER). See docs/performance.md",
    ),
];

impl ToolFlags {
    pub fn from_matches(m: &Matches) -> ToolFlags {
        ToolFlags {
            targets: m.values("target"),
            all_targets: m.flag("all-targets"),
            cc: m.value("cc"),
            host_cc: m.value("host-cc"),
            target_cc: m.value("target-cc"),
            target_ld: m.value("target-ld"),
            target_objcopy: m.value("target-objcopy"),
            build_dir: m.value("build-dir").map(PathBuf::from),
            launcher: m.value("launcher"),
        }
    }
}

/// The repository root (where targets.toml lives), found at run time so
/// that one xtask binary (a shared `CARGO_TARGET_DIR` caches it) always
/// works on the tree it is run in: `SOLO5_XTASK_ROOT` when set (the
/// engine's tests build scratch copies this way), else the nearest
/// directory at or above the current one that holds targets.toml and the
/// workspace Cargo.toml (`cargo xtask` keeps the current directory).
pub fn repo_root() -> Result<PathBuf> {
    if let Some(root) = std::env::var_os("SOLO5_XTASK_ROOT").filter(|r| !r.is_empty()) {
        return Ok(PathBuf::from(root));
    }
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    find_root(&cwd).with_context(|| {
        format!(
            "{} is not inside a solo5-ng tree: no directory from there up holds both \
             targets.toml and the Cargo.toml of the xtask workspace (run `cargo xtask` \
             inside the tree, or set SOLO5_XTASK_ROOT)",
            cwd.display()
        )
    })
}

/// The nearest directory at or above `start` that is a solo5-ng tree.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|d| is_tree_root(d))
        .map(Path::to_path_buf)
}

/// Holds targets.toml and a Cargo.toml whose workspace has the xtask.
fn is_tree_root(dir: &Path) -> bool {
    if !dir.join("targets.toml").is_file() {
        return false;
    }
    let Ok(text) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
        return false;
    };
    let Ok(manifest) = text.parse::<toml::Table>() else {
        return false;
    };
    manifest
        .get("workspace")
        .and_then(|w| w.get("members"))
        .and_then(|m| m.as_array())
        .is_some_and(|m| m.iter().any(|x| x.as_str() == Some("xtask")))
}

/// The build machine's arch in our naming: the arch in targets.toml whose
/// ELF machine is that of this very program, so a new arch needs no code.
pub fn build_arch(targets: &Targets) -> String {
    // The ELF header (64 bytes) is all it takes; the binary is megabytes.
    let machine = std::env::current_exe()
        .ok()
        .and_then(|exe| {
            use std::io::Read;
            let mut head = Vec::with_capacity(64);
            std::fs::File::open(exe)
                .and_then(|f| f.take(64).read_to_end(&mut head))
                .ok()
                .map(|_| head)
        })
        .and_then(|data| {
            elftool::elf::Elf::parse(&data)
                .ok()
                .map(|e| e.header.machine)
        });
    machine
        .and_then(|m| targets.arch_of_machine(m))
        .map(str::to_string)
        // Not ELF, or an arch targets.toml lacks: Rust's name, which
        // then fails where it is looked up, naming the arch.
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

/// One arch's configuration.
#[derive(Debug, Clone)]
pub struct ArchConfig {
    pub arch: String,
    pub tools: Toolchains,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub root: PathBuf,
    /// The output root: `target/solo5` (relative to `root`), or the
    /// absolute build directory. Every output path follows from it.
    pub out: PathBuf,
    pub targets: Targets,
    pub build_arch: String,
    pub arches: Vec<ArchConfig>,
    /// The compiler launcher's words (empty: none); see `launcher`.
    pub launcher: Vec<String>,
}

pub fn load_targets(root: &Path) -> Result<Targets> {
    Targets::load(&root.join("targets.toml"))
}

/// Resolves the `--target` flags to arch names (deduplicated, in order).
pub fn selected_arches(targets: &Targets, flags: &ToolFlags) -> Result<Vec<String>> {
    let mut arches = Vec::new();
    if flags.all_targets {
        arches.extend(
            targets
                .host
                .get("linux")
                .into_iter()
                .flat_map(|m| m.keys().cloned()),
        );
    }
    for spec in &flags.targets {
        arches.push(targets.resolve_target(spec)?);
    }
    if arches.is_empty() {
        arches.push(build_arch(targets));
    }
    let mut seen = std::collections::BTreeSet::new();
    arches.retain(|a| seen.insert(a.clone()));
    Ok(arches)
}

pub fn request(targets: &Targets, arch: &str, flags: &ToolFlags) -> Result<Request> {
    let a = targets
        .arch
        .get(arch)
        .with_context(|| format!("arch {arch} is not in targets.toml"))?;
    Ok(Request {
        arch: arch.to_string(),
        gnu_triple: a.gnu_triple.clone(),
        build_arch: build_arch(targets),
        arches: targets.arch_ids(),
        min_gcc: targets.compilers.min_gcc,
        min_clang: targets.compilers.min_clang,
        overrides: Overrides {
            cc: flags.cc.clone(),
            host_cc: flags.host_cc.clone(),
            target_cc: flags.target_cc.clone(),
            target_ld: flags.target_ld.clone(),
            target_objcopy: flags.target_objcopy.clone(),
        },
        env: toolchain::detect::env_snapshot(),
    })
}

/// The output root for these flags: `--build-dir`, else
/// `SOLO5_BUILD_DIR`, made absolute against the current directory; else
/// `target/solo5` in the tree.
pub fn out_dir(flags: &ToolFlags) -> Result<PathBuf> {
    let given = flags.build_dir.clone().or_else(|| {
        std::env::var_os("SOLO5_BUILD_DIR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    });
    match given {
        None => Ok(PathBuf::from(layout::IN_TREE)),
        Some(dir) if dir.is_absolute() => Ok(dir),
        Some(dir) => Ok(std::env::current_dir()
            .context("cannot read the current directory")?
            .join(dir)),
    }
}

/// The compiler launcher: `--launcher`, else `SOLO5_CC_LAUNCHER`, split
/// at spaces; the first word must be a program on PATH (or a path).
pub fn launcher(flags: &ToolFlags) -> Result<Vec<String>> {
    let (text, named) = match &flags.launcher {
        Some(l) => (l.clone(), "--launcher"),
        None => match std::env::var("SOLO5_CC_LAUNCHER") {
            Ok(l) => (l, "SOLO5_CC_LAUNCHER"),
            Err(_) => return Ok(vec![]),
        },
    };
    let words: Vec<String> = text.split_whitespace().map(String::from).collect();
    let Some(program) = words.first() else {
        return Ok(words);
    };
    let found = if program.contains('/') {
        Path::new(program).is_file()
    } else {
        std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
    };
    if !found {
        anyhow::bail!(
            "{named} names {program:?}, which is not a program on PATH \
             (install it, e.g. the ccache, sccache or distcc package, or fix {named})"
        );
    }
    Ok(words)
}

/// Reads targets.toml and detects (or loads cached) toolchains for every
/// selected arch.
pub fn load(flags: &ToolFlags) -> Result<Config> {
    let root = repo_root()?;
    let out = out_dir(flags)?;
    let targets = load_targets(&root)?;
    let launcher = launcher(flags)?;
    let mut arches = Vec::new();
    for arch in selected_arches(&targets, flags)? {
        let req = request(&targets, &arch, flags)?;
        let cache_file = root.join(Layout::new(&out, &arch).toolchain_cache());
        let (tools, origin) = cache::load_or_detect(&req, &cache_file)
            .with_context(|| format!("detecting toolchains for {arch}"))?;
        arches.push(ArchConfig {
            arch,
            tools,
            origin,
        });
    }
    Ok(Config {
        root,
        out,
        build_arch: build_arch(&targets),
        targets,
        arches,
        launcher,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_is_found_from_any_directory_below_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("clone");
        let deep = root.join("xtask/src");
        std::fs::create_dir_all(&deep).unwrap();
        assert_eq!(find_root(&deep), None, "an empty tree is no root");
        std::fs::write(root.join("targets.toml"), "").unwrap();
        // A Cargo.toml of another workspace does not make a root.
        std::fs::write(root.join("Cargo.toml"), "[workspace]\nmembers = [\"a\"]\n").unwrap();
        assert_eq!(find_root(&deep), None);
        std::fs::write(
            root.join("Cargo.toml"),
            "[workspace]\nmembers = [\"xtask\", \"toolchain\"]\n",
        )
        .unwrap();
        assert_eq!(find_root(&deep), Some(root.clone()));
        assert_eq!(find_root(&root), Some(root.clone()));
        assert_eq!(find_root(dir.path()), None);
    }
}
