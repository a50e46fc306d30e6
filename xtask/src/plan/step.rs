//! The plan's data: steps, what they produce, and what was not built.

use std::fmt;
use std::path::{Path, PathBuf};

/// What a step does.
#[derive(Debug, Clone)]
pub enum Action {
    /// Run a program (cwd = repository root, scrubbed environment).
    /// `renames` moves each temp output over its final name on success.
    Run {
        program: PathBuf,
        args: Vec<String>,
        renames: Vec<(PathBuf, PathBuf)>,
    },
    /// Write bytes computed at plan time (rendered linker scripts).
    Write { contents: Vec<u8> },
    /// Copy a file (headers, build-machine tools).
    Copy { from: PathBuf },
}

#[derive(Debug, Clone)]
pub struct Step {
    /// Short verb for the progress line: CC, HOSTCC, LD, LINK, LDS, MFT, CP.
    pub verb: &'static str,
    pub arch: String,
    /// What the progress line names (a source, an output).
    pub label: String,
    pub action: Action,
    /// Files read, besides those a depfile reveals (tools included, so a
    /// changed compiler rebuilds).
    pub inputs: Vec<PathBuf>,
    pub outputs: Vec<PathBuf>,
    /// Indices of steps that must finish first.
    pub deps: Vec<usize>,
    /// Make-style depfile the command writes (temp name; the runner reads
    /// and deletes it).
    pub depfile: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductKind {
    Binding,
    Tender,
    /// A binding's host script (`solo5-virtio-run`), installed with the
    /// tenders.
    Script,
    /// A test unikernel.
    Unikernel,
}

impl fmt::Display for ProductKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProductKind::Binding => "binding",
            ProductKind::Tender => "tender",
            ProductKind::Script => "script",
            ProductKind::Unikernel => "test",
        })
    }
}

#[derive(Debug, Clone)]
pub struct Product {
    pub arch: String,
    pub kind: ProductKind,
    /// Binding or tender name (`spt`, `solo5-spt`), or `<test>.<binding>`.
    pub name: String,
    pub path: PathBuf,
}

/// A part of the build that was not planned, and why (printed, never
/// silently dropped).
#[derive(Debug, Clone)]
pub struct Skipped {
    pub arch: String,
    pub kind: ProductKind,
    /// The binding or tender name.
    pub part: String,
    pub reason: String,
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}: {}",
            self.arch, self.kind, self.part, self.reason
        )
    }
}

#[derive(Debug, Default)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub skipped: Vec<Skipped>,
    /// What each arch's build produced, for the summary and for tests.
    pub products: Vec<Product>,
    /// The output root every output is under (`Config::out`).
    pub out: PathBuf,
}

impl Plan {
    pub fn add(&mut self, step: Step) -> usize {
        self.steps.push(step);
        self.steps.len() - 1
    }

    pub fn products_of(&self, arch: &str, kind: ProductKind) -> impl Iterator<Item = &Product> {
        let arch = arch.to_string();
        self.products
            .iter()
            .filter(move |p| p.kind == kind && p.arch == arch)
    }

    /// Why `part` of `arch` was not built, if it was skipped.
    pub fn skip_reason(&self, arch: &str, kind: ProductKind, part: &str) -> Option<&Skipped> {
        self.skipped
            .iter()
            .find(|s| s.arch == arch && s.kind == kind && s.part == part)
    }
}

/// `p` with `.tmp` appended: where a step writes before its rename.
pub fn tmp(p: &Path) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(".tmp");
    PathBuf::from(s)
}

pub fn s(p: &Path) -> String {
    p.display().to_string()
}

/// A compiler as compile steps run it: behind the configured launcher
/// (`--launcher`: ccache, sccache, distcc), if any. The launcher is part of
/// the command line, so of the step's hash: changing it recompiles, as
/// changing CMake's `CMAKE_C_COMPILER_LAUNCHER` does.
#[derive(Clone, Copy)]
pub struct Cc<'a> {
    pub compiler: &'a toolchain::Compiler,
    pub launcher: &'a [String],
}

/// A compile with a depfile, through a temp output.
pub fn compile_step(
    verb: &'static str,
    arch: &str,
    cc: Cc,
    flags: &[String],
    src: &str,
    obj: PathBuf,
    deps: Vec<usize>,
) -> Step {
    let t = tmp(&obj);
    let d = PathBuf::from(format!("{}.d", s(&t)));
    let (program, mut args) = match cc.launcher.split_first() {
        Some((launcher, rest)) => {
            let mut args = rest.to_vec();
            args.push(s(&cc.compiler.path));
            (PathBuf::from(launcher), args)
        }
        None => (cc.compiler.path.clone(), vec![]),
    };
    args.extend_from_slice(flags);
    args.extend([
        "-MD".into(),
        "-MF".into(),
        s(&d),
        "-c".into(),
        src.into(),
        "-o".into(),
        s(&t),
    ]);
    Step {
        verb,
        arch: arch.into(),
        label: src.into(),
        action: Action::Run {
            program,
            args,
            renames: vec![(t, obj.clone())],
        },
        inputs: vec![PathBuf::from(src), cc.compiler.path.clone()],
        outputs: vec![obj],
        deps,
        depfile: Some(d),
    }
}

/// A step that runs `program` to write `out` through its temp name, which
/// `args` receives. The program is an input, so a changed tool reruns it.
pub fn tool_step(
    verb: &'static str,
    arch: &str,
    program: &Path,
    args: impl FnOnce(&Path) -> Vec<String>,
    out: &Path,
    mut inputs: Vec<PathBuf>,
    deps: Vec<usize>,
) -> Step {
    let t = tmp(out);
    inputs.push(program.to_path_buf());
    Step {
        verb,
        arch: arch.into(),
        label: s(out),
        action: Action::Run {
            program: program.to_path_buf(),
            args: args(&t),
            renames: vec![(t, out.to_path_buf())],
        },
        inputs,
        outputs: vec![out.to_path_buf()],
        deps,
        depfile: None,
    }
}

/// A step that copies `from` to `out`.
pub fn copy_step(verb: &'static str, arch: &str, from: &Path, out: &Path, label: String) -> Step {
    Step {
        verb,
        arch: arch.into(),
        label,
        action: Action::Copy {
            from: from.to_path_buf(),
        },
        inputs: vec![from.to_path_buf()],
        outputs: vec![out.to_path_buf()],
        deps: vec![],
        depfile: None,
    }
}

/// Where the object of `src` goes, under `group` (a binding or tender).
pub fn obj_path(obj_dir: &Path, group: &str, src: &str) -> PathBuf {
    let rel = src
        .strip_suffix(".c")
        .or_else(|| src.strip_suffix(".S"))
        .unwrap_or(src);
    obj_dir.join(group).join(format!("{rel}.o"))
}
