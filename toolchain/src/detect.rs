//! Choosing the toolchains for one arch, in three roles:
//! - build: native tools for things that run on the build machine;
//! - host: the compiler for the tenders (a Linux compiler for the arch);
//! - target: compiler, linker and objcopy for bindings and unikernels.
//!
//! Sources, first match wins: command-line flags; HOST_CC, TARGET_CC,
//! TARGET_LD, TARGET_OBJCOPY; CROSS_COMPILE; CC; then a search of PATH.
//! A tool named explicitly (flag, HOST_CC/TARGET_*, CROSS_COMPILE) that is
//! missing or wrong is a problem, never silently replaced by a search hit.
//!
//! A tool's answers (it is too old, it refused a flag) are recorded as
//! problems and rejections; a probe that could not be run at all (its files
//! could not be written, a tool was killed by a signal) makes `detect` fail,
//! so that nothing is concluded from it.

use crate::binutils::{self, Linker, Objcopy};
use crate::compiler::{self, arch_of_triple, ArchId, Compiler, Family};
use crate::exec::Answer;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The environment variables detection reads. Captured once into a map so
/// tests can supply their own and the cache can notice changes.
pub const ENV_VARS: &[&str] = &[
    "HOST_CC",
    "TARGET_CC",
    "TARGET_LD",
    "TARGET_OBJCOPY",
    "CROSS_COMPILE",
    "CC",
    "PATH",
];

pub fn env_snapshot() -> BTreeMap<String, String> {
    ENV_VARS
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Build,
    Host,
    Target,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Build => "build",
            Role::Host => "host",
            Role::Target => "target",
        })
    }
}

/// Tools named on the command line.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Overrides {
    /// `--cc`: both host and target compiler.
    pub cc: Option<String>,
    pub host_cc: Option<String>,
    pub target_cc: Option<String>,
    pub target_ld: Option<String>,
    pub target_objcopy: Option<String>,
}

/// What detection is asked to do; also the cache key (with tool stats).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub arch: String,
    pub gnu_triple: String,
    /// The build machine's arch.
    pub build_arch: String,
    /// How to recognise a compiler for each known arch, `arch` and
    /// `build_arch` among them; the others name a wrong compiler's arch.
    pub arches: Vec<ArchId>,
    pub min_gcc: u32,
    pub min_clang: u32,
    pub overrides: Overrides,
    pub env: BTreeMap<String, String>,
}

impl Request {
    pub fn native(&self) -> bool {
        self.arch == self.build_arch
    }

    /// The identity of the arch named `name`.
    pub fn arch_id(&self, name: &str) -> Option<&ArchId> {
        self.arches.iter().find(|a| a.name == name)
    }
}

/// Something that stops a role from working, with what would fix it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    pub role: Role,
    pub message: String,
}

/// A compiler looked at and passed over, for `doctor`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejected {
    pub role: Role,
    pub tool: String,
    /// The file that was probed, when the name resolved to one.
    pub path: Option<PathBuf>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Toolchains {
    pub arch: String,
    pub build_cc: Option<Compiler>,
    pub host_cc: Option<Compiler>,
    pub target_cc: Option<Compiler>,
    pub target_ld: Option<Linker>,
    pub target_objcopy: Option<Objcopy>,
    pub problems: Vec<Problem>,
    pub rejected: Vec<Rejected>,
}

impl Toolchains {
    pub fn problems_for(&self, role: Role) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(move |p| p.role == role)
    }

    /// Every role has its tools and nothing stands in the way: the only
    /// kind of result worth caching.
    pub fn complete(&self) -> bool {
        self.problems.is_empty()
            && self.build_cc.is_some()
            && self.host_cc.is_some()
            && self.target_cc.is_some()
            && self.target_ld.is_some()
            && self.target_objcopy.is_some()
    }

    /// Every tool file detection probed, chosen or passed over, for the
    /// cache's staleness check.
    pub fn tool_paths(&self) -> Vec<PathBuf> {
        let mut v = Vec::new();
        for c in [&self.build_cc, &self.host_cc, &self.target_cc]
            .into_iter()
            .flatten()
        {
            v.push(c.path.clone());
        }
        if let Some(l) = &self.target_ld {
            v.push(l.path.clone());
        }
        if let Some(o) = &self.target_objcopy {
            v.push(o.path.clone());
        }
        v.extend(self.rejected.iter().filter_map(|r| r.path.clone()));
        v.sort();
        v.dedup();
        v
    }
}

/// A way to name a compiler: program plus identity arguments.
#[derive(Debug, Clone)]
struct Candidate {
    program: String,
    args: Vec<String>,
    source: String,
    /// Named by the user: if it fails, detection fails.
    explicit: bool,
}

impl Candidate {
    fn parse(spec: &str, source: &str, explicit: bool) -> Option<Candidate> {
        let mut words = spec.split_whitespace().map(String::from);
        let program = words.next()?;
        Some(Candidate {
            program,
            args: words.collect(),
            source: source.to_string(),
            explicit,
        })
    }

    fn shown(&self) -> String {
        std::iter::once(self.program.as_str())
            .chain(self.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Resolves a program name against the request's PATH; a name with a slash
/// is taken as a path.
pub fn resolve(program: &str, env: &BTreeMap<String, String>) -> Option<PathBuf> {
    if program.contains('/') {
        let p = PathBuf::from(program);
        return p.is_file().then_some(p);
    }
    let path = env.get("PATH").cloned().unwrap_or_default();
    let cwd = std::env::current_dir().ok()?;
    // Relative entries (an empty one is the current directory) are taken
    // against the current directory, as a shell does.
    std::env::split_paths(&path)
        .map(|dir| cwd.join(dir).join(program))
        .find(|p| is_executable(p))
}

/// A regular file (after links) with an execute bit.
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Versioned names on PATH, such as gcc-12 or aarch64-linux-gnu-gcc-11,
/// newest first (compared as integers).
fn versioned(prefix: &str, env: &BTreeMap<String, String>) -> Vec<String> {
    let mut found: Vec<(u32, String)> = Vec::new();
    for dir in env.get("PATH").map(String::as_str).unwrap_or("").split(':') {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(rest) = name.strip_prefix(prefix) {
                if let Ok(n) = rest.parse::<u32>() {
                    if !found.iter().any(|(_, f)| *f == name) {
                        found.push((n, name));
                    }
                }
            }
        }
    }
    found.sort_by_key(|f| std::cmp::Reverse(f.0));
    found.into_iter().map(|(_, n)| n).collect()
}

fn search_candidates(req: &Request, foreign: bool) -> Vec<Candidate> {
    let env = &req.env;
    let search = |p: &str, args: Vec<String>| Candidate {
        program: p.to_string(),
        args,
        source: "search".into(),
        explicit: false,
    };
    let mut v = Vec::new();
    let clang_target = if foreign {
        vec![format!("--target={}", req.gnu_triple)]
    } else {
        vec![]
    };
    if foreign {
        let t = &req.gnu_triple;
        v.push(search(&format!("{t}-gcc"), vec![]));
        for n in versioned(&format!("{t}-gcc-"), env) {
            v.push(search(&n, vec![]));
        }
    } else {
        for p in ["cc", "gcc"] {
            v.push(search(p, vec![]));
        }
    }
    v.push(search("clang", clang_target.clone()));
    if !foreign {
        for n in versioned("gcc-", env) {
            v.push(search(&n, vec![]));
        }
    }
    for n in versioned("clang-", env) {
        v.push(search(&n, clang_target.clone()));
    }
    v
}

fn compiler_candidates(role: Role, req: &Request) -> Vec<Candidate> {
    let env = &req.env;
    let o = &req.overrides;
    let foreign = role != Role::Build && !req.native();
    let mut v = Vec::new();
    let flag = match role {
        Role::Build => None,
        Role::Host => o
            .host_cc
            .as_deref()
            .map(|s| (s, "--host-cc"))
            .or(o.cc.as_deref().map(|s| (s, "--cc"))),
        Role::Target => o
            .target_cc
            .as_deref()
            .map(|s| (s, "--target-cc"))
            .or(o.cc.as_deref().map(|s| (s, "--cc"))),
    };
    if let Some((spec, name)) = flag {
        v.extend(Candidate::parse(spec, name, true));
        return v;
    }
    let var = match role {
        Role::Build => None,
        Role::Host => Some("HOST_CC"),
        Role::Target => Some("TARGET_CC"),
    };
    if let Some(var) = var {
        if let Some(spec) = env.get(var).filter(|s| !s.trim().is_empty()) {
            v.extend(Candidate::parse(spec, var, true));
            return v;
        }
    }
    if foreign {
        if let Some(prefix) = env.get("CROSS_COMPILE").filter(|s| !s.is_empty()) {
            v.extend(Candidate::parse(
                &format!("{prefix}gcc"),
                "CROSS_COMPILE",
                true,
            ));
            return v;
        }
    }
    if let Some(spec) = env.get("CC").filter(|s| !s.trim().is_empty()) {
        // CC is generic: it is tried, but a CC for another arch does not
        // stop a cross search.
        v.extend(Candidate::parse(spec, "CC", false));
    }
    v.extend(search_candidates(req, foreign));
    v
}

/// Why a probed compiler cannot serve `role` for `req`, if it cannot.
pub fn verdict(c: &Compiler, role: Role, req: &Request) -> Option<String> {
    let want = if role == Role::Build {
        &req.build_arch
    } else {
        &req.arch
    };
    let Some(id) = req.arch_id(want) else {
        return Some(format!(
            "{want} is needed for {role}, but it is not a known arch: no compiler can be recognised as one"
        ));
    };
    if !id.names_triple(&c.machine) {
        let named = match arch_of_triple(&c.machine, &req.arches) {
            Some(other) => format!(" ({})", other.name),
            None => String::new(),
        };
        return Some(format!(
            "-dumpmachine says {}{named}, but {want} is needed for {role}",
            c.machine
        ));
    }
    // Two arches may share a compiler (same macros, other flags): what
    // matters is that the code it emits is the wanted arch's.
    let same_code = |other: &str| {
        let sorted = |v: &[String]| {
            let mut v = v.to_vec();
            v.sort();
            v
        };
        req.arch_id(other)
            .is_some_and(|o| sorted(&o.macros) == sorted(&id.macros))
    };
    if c.arch != *want && !same_code(&c.arch) {
        return Some(format!(
            "its predefined macros say it emits {} code, but {want} code (predefining {}) is needed",
            c.arch,
            id.macros.join(", ")
        ));
    }
    let min = match c.family {
        Family::Gcc => req.min_gcc,
        Family::Clang => req.min_clang,
    };
    if c.version.major < min {
        return Some(format!(
            "{} {} is too old: the minimum is {} {}",
            c.family, c.version, c.family, min
        ));
    }
    if role == Role::Target && !c.freestanding_headers {
        return Some(format!(
            "its freestanding headers (stddef.h, stdint.h, ...) are missing from {}",
            c.include_dir.display()
        ));
    }
    None
}

fn find_compiler(
    role: Role,
    req: &Request,
    scratch: &Path,
    tc: &mut Toolchains,
) -> Result<Option<Compiler>> {
    let candidates = compiler_candidates(role, req);
    for cand in candidates {
        let Some(path) = resolve(&cand.program, &req.env) else {
            if cand.explicit {
                tc.problems.push(Problem {
                    role,
                    message: format!(
                        "{} = {}: {} not found",
                        cand.source,
                        cand.shown(),
                        cand.program
                    ),
                });
                return Ok(None);
            }
            continue;
        };
        let why = match compiler::probe(&path, &cand.args, &cand.source, &req.arches, scratch)? {
            Ok(c) => match verdict(&c, role, req) {
                None => return Ok(Some(c)),
                Some(why) => why,
            },
            Err(why) => why,
        };
        if cand.explicit {
            tc.problems.push(Problem {
                role,
                message: format!("{} = {}: {}", cand.source, cand.shown(), why),
            });
            return Ok(None);
        }
        tc.rejected.push(Rejected {
            role,
            tool: cand.shown(),
            path: Some(path),
            reason: why,
        });
    }
    tc.problems.push(Problem {
        role,
        message: format!("no usable {} compiler for {} found", role, req.arch),
    });
    Ok(None)
}

/// Programs that might be the target linker, best first.
fn linker_candidates(cc: &Compiler, req: &Request) -> Result<Vec<(String, String, bool)>> {
    let o = &req.overrides;
    if let Some(ld) = &o.target_ld {
        return Ok(vec![(ld.clone(), "--target-ld".into(), true)]);
    }
    if let Some(ld) = req.env.get("TARGET_LD").filter(|s| !s.is_empty()) {
        return Ok(vec![(ld.clone(), "TARGET_LD".into(), true)]);
    }
    if !req.native() {
        if let Some(prefix) = req.env.get("CROSS_COMPILE").filter(|s| !s.is_empty()) {
            return Ok(vec![(format!("{prefix}ld"), "CROSS_COMPILE".into(), true)]);
        }
    }
    let mut v = Vec::new();
    let derived = |p: String| (p, "derived from the compiler".to_string(), false);
    match cc.family {
        Family::Gcc => {
            if let Ok(p) = crate::exec::stdout(&cc.path, &["-print-prog-name=ld"])? {
                let p = p.trim().to_string();
                // GCC answers with a path full of "../"; show the real one.
                let p = std::fs::canonicalize(&p)
                    .map(|c| c.display().to_string())
                    .unwrap_or(p);
                if p.contains('/') || req.native() {
                    v.push(derived(p));
                }
            }
        }
        Family::Clang => {
            v.push(derived(format!("ld.lld-{}", cc.version.major)));
            v.push(derived("ld.lld".into()));
        }
    }
    if req.native() {
        v.push(derived("ld".into()));
    } else {
        v.push(derived(format!("{}-ld", req.gnu_triple)));
    }
    if cc.family == Family::Gcc {
        v.push(derived("ld.lld".into()));
    }
    Ok(v)
}

fn objcopy_candidates(cc: &Compiler, req: &Request) -> Vec<(String, String, bool)> {
    let o = &req.overrides;
    if let Some(x) = &o.target_objcopy {
        return vec![(x.clone(), "--target-objcopy".into(), true)];
    }
    if let Some(x) = req.env.get("TARGET_OBJCOPY").filter(|s| !s.is_empty()) {
        return vec![(x.clone(), "TARGET_OBJCOPY".into(), true)];
    }
    if !req.native() {
        if let Some(prefix) = req.env.get("CROSS_COMPILE").filter(|s| !s.is_empty()) {
            return vec![(format!("{prefix}objcopy"), "CROSS_COMPILE".into(), true)];
        }
    }
    let derived = |p: String| (p, "derived from the compiler".to_string(), false);
    let mut v = Vec::new();
    if req.native() {
        v.push(derived("objcopy".into()));
    } else {
        v.push(derived(format!("{}-objcopy", req.gnu_triple)));
    }
    if cc.family == Family::Clang {
        v.push(derived(format!("llvm-objcopy-{}", cc.version.major)));
    }
    v.push(derived("llvm-objcopy".into()));
    v
}

/// Tries binutils-like candidates in order: the first that probes well
/// wins; an explicit one that fails is a problem, others are passed over.
/// `probe` returns the tool or why it cannot serve, and fails when it could
/// not ask (which ends detection).
fn find_binutil<T>(
    candidates: Vec<(String, String, bool)>,
    req: &Request,
    tc: &mut Toolchains,
    probe: impl Fn(&Path, &str) -> Result<Answer<T>>,
    none_found: String,
) -> Result<Option<T>> {
    for (prog, source, explicit) in candidates {
        let path = resolve(&prog, &req.env);
        let result = match &path {
            Some(path) => probe(path, &source)?,
            None if explicit => Err("not found".to_string()),
            None => continue,
        };
        match result {
            Ok(tool) => return Ok(Some(tool)),
            Err(why) if explicit => {
                tc.problems.push(Problem {
                    role: Role::Target,
                    message: format!("{source} = {prog}: {why}"),
                });
                return Ok(None);
            }
            Err(why) => tc.rejected.push(Rejected {
                role: Role::Target,
                tool: prog,
                path,
                reason: why,
            }),
        }
    }
    tc.problems.push(Problem {
        role: Role::Target,
        message: none_found,
    });
    Ok(None)
}

fn find_linker(
    cc: &Compiler,
    req: &Request,
    scratch: &Path,
    tc: &mut Toolchains,
) -> Result<Option<Linker>> {
    let probe = |path: &Path, source: &str| -> Result<Answer<Linker>> {
        Ok(
            binutils::probe_linker(path, source, cc, scratch)?.and_then(|l| {
                if l.relocatable_ok {
                    Ok(l)
                } else {
                    Err(format!(
                        "{} cannot link {} objects (ld -r failed)",
                        path.display(),
                        req.arch
                    ))
                }
            }),
        )
    };
    let none = format!(
        "no linker that understands {} objects found (set TARGET_LD)",
        req.arch
    );
    find_binutil(linker_candidates(cc, req)?, req, tc, probe, none)
}

fn find_objcopy(
    cc: &Compiler,
    req: &Request,
    scratch: &Path,
    tc: &mut Toolchains,
) -> Result<Option<Objcopy>> {
    let probe = |path: &Path, source: &str| -> Result<Answer<Objcopy>> {
        Ok(
            binutils::probe_objcopy(path, source, cc, scratch)?.and_then(|o| {
                if o.works {
                    Ok(o)
                } else {
                    Err(format!(
                        "{} cannot process {} objects with -w -G",
                        path.display(),
                        req.arch
                    ))
                }
            }),
        )
    };
    let none = format!(
        "no objcopy that understands {} objects found (set TARGET_OBJCOPY)",
        req.arch
    );
    find_binutil(objcopy_candidates(cc, req), req, tc, probe, none)
}

/// Detects all three roles for one arch. `scratch` is an empty directory
/// for probe files. Problems are collected, not returned as errors, so
/// `doctor` can show everything at once; `Err` only when a probe could not
/// be run (see [`crate::exec`]).
pub fn detect(req: &Request, scratch: &Path) -> Result<Toolchains> {
    std::fs::create_dir_all(scratch)
        .with_context(|| format!("cannot create the probe directory {}", scratch.display()))?;
    let mut tc = Toolchains {
        arch: req.arch.clone(),
        build_cc: None,
        host_cc: None,
        target_cc: None,
        target_ld: None,
        target_objcopy: None,
        problems: Vec::new(),
        rejected: Vec::new(),
    };
    tc.target_cc = find_compiler(Role::Target, req, scratch, &mut tc)?;
    if let Some(cc) = tc.target_cc.clone() {
        tc.target_ld = find_linker(&cc, req, scratch, &mut tc)?;
        tc.target_objcopy = find_objcopy(&cc, req, scratch, &mut tc)?;
    }
    tc.host_cc = find_compiler(Role::Host, req, scratch, &mut tc)?;
    tc.build_cc = if req.native() {
        tc.host_cc.clone()
    } else {
        let mut scratch_tc = tc.clone();
        let found = find_compiler(Role::Build, req, scratch, &mut scratch_tc)?;
        // A missing native C compiler matters only for the build role, and
        // nothing in the default build needs it yet: keep it as a note.
        tc.rejected
            .extend(scratch_tc.rejected.into_iter().skip(tc.rejected.len()));
        found
    };
    Ok(tc)
}
