//! Probing a C compiler by asking it: predefined macros, -dumpmachine,
//! -dumpfullversion and trial compiles. Never by parsing its banner.

use crate::exec::{self, Answer};
use crate::version::Version;
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Gcc,
    Clang,
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Family::Gcc => "gcc",
            Family::Clang => "clang",
        })
    }
}

/// Everything we learned about one compiler. Stored in the cached config,
/// so it is plain data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Compiler {
    pub path: PathBuf,
    /// Arguments that are part of the compiler's identity, such as
    /// `--target=aarch64-linux-gnu` for clang.
    pub args: Vec<String>,
    /// Where this compiler came from: a flag, a variable, or "search".
    pub source: String,
    pub family: Family,
    pub version: Version,
    /// What `-dumpmachine` printed.
    pub machine: String,
    /// The arch whose macros ([`ArchId::macros`]) it predefines, the
    /// ground truth for what it emits; "unknown" when none matches.
    pub arch: String,
    /// The compiler's own header directory (stddef.h, stdint.h, ...).
    pub include_dir: PathBuf,
    /// The compiler builds PIE by default: we must pass -fno-pie/-no-pie.
    pub pie_default: bool,
    /// Freestanding headers compile with -nostdinc and include_dir.
    pub freestanding_headers: bool,
    /// `-mstack-protector-guard=global` accepted for this arch.
    pub ssp_guard_global: bool,
}

impl Compiler {
    /// The command line prefix: path plus identity arguments.
    pub fn command(&self) -> std::process::Command {
        let mut cmd = exec::scrubbed(&self.path);
        cmd.args(&self.args);
        cmd
    }

    /// "gcc 12.2.0" or "clang 16.0.6".
    pub fn describe(&self) -> String {
        format!("{} {}", self.family, self.version)
    }

    fn run(&self, args: &[&str]) -> Result<Answer<String>> {
        let mut all: Vec<&str> = self.args.iter().map(String::as_str).collect();
        all.extend_from_slice(args);
        exec::stdout(&self.path, &all)
    }
}

/// How to recognise a compiler for one arch. The caller supplies these
/// (from targets.toml); this crate knows no arch by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchId {
    /// The arch's name, as `Compiler::arch` and requests spell it.
    pub name: String,
    /// First components of a GNU triple that mean this arch, as
    /// `-dumpmachine` may print them (`x86_64`, `amd64`).
    pub triple_names: Vec<String>,
    /// Macros a compiler for this arch predefines, all of them.
    pub macros: Vec<String>,
}

impl ArchId {
    /// Whether the first component of `triple` names this arch.
    pub fn names_triple(&self, triple: &str) -> bool {
        let first = triple.split('-').next().unwrap_or("");
        self.triple_names.iter().any(|n| n == first)
    }

    /// Whether every one of this arch's macros is in `macros`. An arch
    /// without macros matches nothing: it could not be told apart.
    pub fn matches_macros(&self, macros: &BTreeMap<String, String>) -> bool {
        !self.macros.is_empty() && self.macros.iter().all(|m| macros.contains_key(m))
    }
}

/// The arch in `arches` whose first triple component this is.
pub fn arch_of_triple<'a>(triple: &str, arches: &'a [ArchId]) -> Option<&'a ArchId> {
    arches.iter().find(|a| a.names_triple(triple))
}

/// The arch whose macros are all predefined, the ground truth for what is
/// emitted; "unknown" when there is none. When several match (one arch's
/// macros a subset of another's, as `__powerpc64__` alone would be of
/// `__powerpc64__` plus `__LITTLE_ENDIAN__`), the one with the most wins.
pub fn arch_of_macros(macros: &BTreeMap<String, String>, arches: &[ArchId]) -> String {
    let mut best: Option<&ArchId> = None;
    for a in arches.iter().filter(|a| a.matches_macros(macros)) {
        match best {
            Some(b) if b.macros.len() >= a.macros.len() => {}
            _ => best = Some(a),
        }
    }
    best.map_or_else(|| "unknown".to_string(), |a| a.name.clone())
}

/// Parses the output of `-dM -E`.
pub fn parse_macros(text: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("#define ") {
            let mut it = rest.splitn(2, ' ');
            if let Some(name) = it.next() {
                map.insert(name.to_string(), it.next().unwrap_or("").to_string());
            }
        }
    }
    map
}

fn macro_u32(macros: &BTreeMap<String, String>, name: &str) -> Option<u32> {
    macros.get(name).and_then(|v| v.trim().parse().ok())
}

/// Asks the compiler at `path` (with identity `args`) what it is; its arch
/// is named from `arches`. Its refusal when it does not answer like a GCC
/// or clang compiler; verdicts such as "too old" are left to the caller.
/// `Err` when it could not be asked (see [`exec`]).
pub fn probe(
    path: &Path,
    args: &[String],
    source: &str,
    arches: &[ArchId],
    scratch: &Path,
) -> Result<Answer<Compiler>> {
    let mut c = Compiler {
        path: path.to_path_buf(),
        args: args.to_vec(),
        source: source.to_string(),
        family: Family::Gcc,
        version: Version::new(0, 0, 0),
        machine: String::new(),
        arch: String::new(),
        include_dir: PathBuf::new(),
        pie_default: false,
        freestanding_headers: false,
        ssp_guard_global: false,
    };
    let macros = match c.run(&["-dM", "-E", "-x", "c", "/dev/null"])? {
        Ok(text) => parse_macros(&text),
        Err(why) => {
            return Ok(Err(format!(
                "the compiler did not list its predefined macros (-dM -E): {why}"
            )))
        }
    };
    let number = |name: &str| macro_u32(&macros, name).ok_or(format!("{name} missing"));
    if macros.contains_key("__clang__") {
        c.family = Family::Clang;
        let major = match number("__clang_major__") {
            Ok(n) => n,
            Err(why) => return Ok(Err(why)),
        };
        c.version = Version::new(
            major,
            macro_u32(&macros, "__clang_minor__").unwrap_or(0),
            macro_u32(&macros, "__clang_patchlevel__").unwrap_or(0),
        );
    } else if macros.contains_key("__GNUC__") {
        c.family = Family::Gcc;
        // -dumpfullversion gives all three numbers on GCC >= 7; the
        // macros are the fallback and agree on major.minor.
        let full = c
            .run(&["-dumpfullversion", "-dumpversion"])?
            .ok()
            .and_then(|s| Version::parse(s.trim()));
        c.version = match full {
            Some(v) => v,
            None => match number("__GNUC__") {
                Ok(major) => Version::new(
                    major,
                    macro_u32(&macros, "__GNUC_MINOR__").unwrap_or(0),
                    macro_u32(&macros, "__GNUC_PATCHLEVEL__").unwrap_or(0),
                ),
                Err(why) => return Ok(Err(why)),
            },
        };
    } else {
        return Ok(Err(
            "it defines neither __GNUC__ nor __clang__: not a GCC or clang compiler".into(),
        ));
    }
    c.machine = match c.run(&["-dumpmachine"])? {
        Ok(text) => text.trim().to_string(),
        Err(why) => {
            return Ok(Err(format!(
                "the compiler did not answer -dumpmachine: {why}"
            )))
        }
    };
    c.arch = arch_of_macros(&macros, arches);
    c.pie_default = macros.contains_key("__PIE__") || macros.contains_key("__pie__");
    let inc = c
        .run(&["-print-file-name=include"])?
        .unwrap_or_default()
        .trim()
        .to_string();
    c.include_dir = PathBuf::from(inc);
    c.freestanding_headers = c.include_dir.is_absolute() && probe_headers(&c, scratch)?.is_ok();
    c.ssp_guard_global = probe_flag(&c, scratch, &["-mstack-protector-guard=global"])?.is_ok();
    Ok(Ok(c))
}

/// The headers a freestanding unikernel may use, from the compiler alone.
/// (GCC's limits.h chains to the C library's, so it is not one of them.)
pub const FREESTANDING_HEADERS: &[&str] = &[
    "float.h",
    "iso646.h",
    "stdalign.h",
    "stdarg.h",
    "stdbool.h",
    "stddef.h",
    "stdint.h",
    "stdnoreturn.h",
];

fn probe_headers(c: &Compiler, scratch: &Path) -> Result<Answer<()>> {
    let src = scratch.join("headers.c");
    let mut text: String = FREESTANDING_HEADERS
        .iter()
        .map(|h| format!("#include <{h}>\n"))
        .collect();
    text.push_str("int probe(void) { return (int)sizeof(size_t); }\n");
    exec::write_probe_file(&src, &text)?;
    let mut cmd = c.command();
    cmd.args(["-ffreestanding", "-nostdinc", "-isystem"])
        .arg(&c.include_dir)
        .args(["-fsyntax-only"])
        .arg(&src);
    exec::check(cmd)
}

/// Compiles a small translation unit with extra flags; `Ok(Ok(()))` when
/// they are accepted without warnings.
pub fn probe_flag(c: &Compiler, scratch: &Path, flags: &[&str]) -> Result<Answer<()>> {
    let src = scratch.join("flag.c");
    exec::write_probe_file(
        &src,
        "int probe(int x) { char b[64]; b[x] = 1; return b[x + 1]; }\n",
    )?;
    let obj = scratch.join("flag.o");
    let mut cmd = c.command();
    cmd.args(["-Werror", "-fstack-protector-strong", "-c"])
        .args(flags)
        .arg(&src)
        .arg("-o")
        .arg(&obj);
    exec::check(cmd)
}

/// Compiles a tiny object for the linker and objcopy probes.
pub fn compile_probe_object(c: &Compiler, scratch: &Path, name: &str) -> Result<Answer<PathBuf>> {
    let src = scratch.join(format!("{name}.c"));
    exec::write_probe_file(
        &src,
        "int probe_data = 1;\nint probe_func(void) { return probe_data; }\n",
    )?;
    let obj = scratch.join(format!("{name}.o"));
    let mut cmd = c.command();
    cmd.args(["-ffreestanding", "-fno-pie", "-c"])
        .arg(&src)
        .arg("-o")
        .arg(&obj);
    Ok(exec::check(cmd)?
        .map(|()| obj)
        .map_err(|why| format!("{} cannot compile a trivial file: {why}", c.path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::real_arches;

    fn macros(names: &[&str]) -> BTreeMap<String, String> {
        names
            .iter()
            .map(|n| (n.to_string(), "1".to_string()))
            .collect()
    }

    #[test]
    fn triples_map_to_arches_by_their_first_component() {
        let arches = real_arches();
        let name = |t: &str| arch_of_triple(t, &arches).map(|a| a.name.as_str());
        assert_eq!(name("x86_64-linux-gnu"), Some("x86_64"));
        assert_eq!(name("amd64-unknown-freebsd"), Some("x86_64"));
        assert_eq!(name("aarch64-unknown-linux-gnu"), Some("aarch64"));
        assert_eq!(name("arm64-apple-darwin"), Some("aarch64"));
        assert_eq!(name("powerpc64le-linux-gnu"), Some("ppc64le"));
        assert_eq!(name("riscv64-linux-gnu"), None);
        assert_eq!(name("powerpc64-linux-gnu"), None);
    }

    #[test]
    fn macros_parse() {
        let m = parse_macros("#define __GNUC__ 12\n#define __x86_64__ 1\n#define EMPTY\n");
        assert_eq!(m.get("__GNUC__").map(String::as_str), Some("12"));
        assert!(m.contains_key("EMPTY"));
        assert_eq!(arch_of_macros(&m, &real_arches()), "x86_64");
    }

    #[test]
    fn an_arch_needs_all_its_macros() {
        let arches = real_arches();
        let arch = |names: &[&str]| arch_of_macros(&macros(names), &arches);
        assert_eq!(arch(&["__aarch64__", "__LITTLE_ENDIAN__"]), "aarch64");
        assert_eq!(arch(&["__powerpc64__", "__LITTLE_ENDIAN__"]), "ppc64le");
        // Big-endian ppc64 and arches targets.toml lacks are unknown.
        assert_eq!(arch(&["__powerpc64__", "__BIG_ENDIAN__"]), "unknown");
        assert_eq!(arch(&["__riscv"]), "unknown");
        assert_eq!(arch(&[]), "unknown");
        assert_eq!(arch_of_macros(&macros(&["__x86_64__"]), &[]), "unknown");
    }

    #[test]
    fn the_most_specific_arch_wins_and_empty_macros_match_nothing() {
        // ppc64 first: the order of the list must not decide.
        let mut arches = real_arches();
        arches.insert(
            0,
            ArchId {
                name: "ppc64".into(),
                triple_names: vec!["powerpc64".into()],
                macros: vec!["__powerpc64__".into()],
            },
        );
        arches.push(ArchId {
            name: "anything".into(),
            triple_names: vec![],
            macros: vec![],
        });
        let arch = |names: &[&str]| arch_of_macros(&macros(names), &arches);
        assert_eq!(arch(&["__powerpc64__", "__LITTLE_ENDIAN__"]), "ppc64le");
        assert_eq!(arch(&["__powerpc64__", "__BIG_ENDIAN__"]), "ppc64");
        assert_eq!(arch(&["__riscv"]), "unknown");
    }
}
