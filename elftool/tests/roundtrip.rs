//! Round trip through a real C compiler: gen-manifest -> cc -> (ld -r, link)
//! -> query-manifest, and the ABI note declared with include/elf_abi.h ->
//! query-abi. Checks that the C layout in include/ and the Rust reader
//! agree, for the host compiler and for every cross compiler found.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_solo5-elftool");

fn include_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("include")
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("elftool-rt-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Whether `prog` can be run at all.
fn available(prog: &str) -> bool {
    Command::new(prog)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn must(cmd: &mut Command) {
    let o = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        o.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn elftool(args: &[&Path]) -> String {
    let o = Command::new(BIN)
        .args(args)
        .output()
        .expect("run solo5-elftool");
    assert!(
        o.status.success(),
        "solo5-elftool {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("utf8 output")
}

const MANIFEST: &str = r#"{
  "type": "solo5.manifest",
  "version": 1,
  "devices": [
    { "name": "service0", "type": "NET_BASIC" },
    { "name": "storage", "type": "BLOCK_BASIC" },
    { "name": "Net1", "type": "NET_BASIC" }
  ]
}
"#;

const EXPECTED_MANIFEST: &str = r#"{
  "type": "solo5.manifest",
  "version": 1,
  "devices": [
    { "name": "service0", "type": "NET_BASIC" },
    { "name": "storage", "type": "BLOCK_BASIC" },
    { "name": "Net1", "type": "NET_BASIC" }
  ]
}
"#;

const ABI_C: &str = r#"
#include "hvt_abi.h"

ABI1_NOTE_DECLARE_BEGIN
{
    .abi_target = HVT_ABI_TARGET, .abi_version = HVT_ABI_VERSION
}
ABI1_NOTE_DECLARE_END
"#;

const EXPECTED_ABI: &str =
    "{\n  \"type\": \"solo5.abi\",\n  \"target\": \"hvt\",\n  \"version\": 2\n}\n";

const CFLAGS: &[&str] = &[
    "-std=c11",
    "-ffreestanding",
    "-Wall",
    "-Wextra",
    "-Wpedantic",
    "-Werror",
];

/// Compile `src` to `obj` with `compiler` (plus `extra` flags).
fn compile(compiler: &str, extra: &[&str], src: &Path, obj: &Path) {
    let inc = format!("-I{}", include_dir().display());
    must(
        Command::new(compiler)
            .args(extra)
            .args(CFLAGS)
            .arg(&inc)
            .arg("-c")
            .arg(src)
            .arg("-o")
            .arg(obj),
    );
}

/// gen-manifest, then write the ABI source; returns (manifest.c, abi.c).
fn sources(dir: &Path) -> (PathBuf, PathBuf) {
    let json = dir.join("manifest.json");
    let mft_c = dir.join("manifest.c");
    let abi_c = dir.join("abi.c");
    fs::write(&json, MANIFEST).expect("write json");
    fs::write(&abi_c, ABI_C).expect("write abi.c");
    elftool(&[Path::new("gen-manifest"), &json, &mft_c]);
    (mft_c, abi_c)
}

#[test]
fn host_compiler_round_trip() {
    if !available("cc") {
        println!("SKIP: no cc in PATH");
        return;
    }
    let dir = scratch("host");
    let (mft_c, abi_c) = sources(&dir);
    let (mft_o, abi_o) = (dir.join("manifest.o"), dir.join("abi.o"));
    compile("cc", &[], &mft_c, &mft_o);
    compile("cc", &[], &abi_c, &abi_o);

    // The object itself (found through its note section).
    assert_eq!(
        elftool(&[Path::new("query-manifest"), &mft_o]),
        EXPECTED_MANIFEST
    );
    assert_eq!(elftool(&[Path::new("query-abi"), &abi_o]), EXPECTED_ABI);

    // Combined with ld -r, as bindings are.
    if available("ld") {
        let both = dir.join("both.o");
        must(
            Command::new("ld")
                .arg("-r")
                .arg("-o")
                .arg(&both)
                .arg(&mft_o)
                .arg(&abi_o),
        );
        assert_eq!(
            elftool(&[Path::new("query-manifest"), &both]),
            EXPECTED_MANIFEST
        );
        assert_eq!(elftool(&[Path::new("query-abi"), &both]), EXPECTED_ABI);
    } else {
        println!("SKIP: ld -r part, no ld in PATH");
    }

    // Linked into an executable: the notes are found through PT_NOTE, even
    // sharing a segment with the linker's own notes.
    let start_c = dir.join("start.c");
    fs::write(
        &start_c,
        "void _start(void);\nvoid _start(void) { for (;;) { } }\n",
    )
    .expect("write start.c");
    let start_o = dir.join("start.o");
    compile("cc", &[], &start_c, &start_o);
    let exe = dir.join("unikernel");
    let linked = Command::new("cc")
        .args(["-nostdlib", "-static", "-Wl,--build-id", "-o"])
        .arg(&exe)
        .arg(&start_o)
        .arg(&mft_o)
        .arg(&abi_o)
        .output();
    match linked {
        Ok(o) if o.status.success() => {
            assert_eq!(
                elftool(&[Path::new("query-manifest"), &exe]),
                EXPECTED_MANIFEST
            );
            assert_eq!(elftool(&[Path::new("query-abi"), &exe]), EXPECTED_ABI);
        }
        Ok(o) => println!(
            "SKIP: static link part, cc could not link: {}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => println!("SKIP: static link part: {e}"),
    }
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn cross_compiler_round_trips() {
    // ELF64 little endian (the supported 64-bit hosts), ELF64 big endian,
    // and ELF32 in both byte orders (including i386's tighter layout).
    let compilers: &[(&str, &[&str])] = &[
        ("aarch64-linux-gnu-gcc", &[]),
        ("powerpc64le-linux-gnu-gcc", &[]),
        ("clang", &["--target=aarch64-linux-gnu"]),
        ("clang", &["--target=powerpc64le-linux-gnu"]),
        ("clang", &["--target=powerpc64-linux-gnu"]),
        ("clang", &["--target=i686-linux-gnu"]),
        ("clang", &["--target=armv7-linux-gnueabihf"]),
        ("clang", &["--target=mips-linux-gnu"]),
    ];
    let dir = scratch("cross");
    let (mft_c, abi_c) = sources(&dir);
    for (i, (cc, flags)) in compilers.iter().enumerate() {
        if !available(cc) {
            println!("SKIP: {cc} not installed");
            continue;
        }
        let mft_o = dir.join(format!("manifest{i}.o"));
        let abi_o = dir.join(format!("abi{i}.o"));
        compile(cc, flags, &mft_c, &mft_o);
        compile(cc, flags, &abi_c, &abi_o);
        assert_eq!(
            elftool(&[Path::new("query-manifest"), &mft_o]),
            EXPECTED_MANIFEST,
            "{cc} {flags:?}"
        );
        assert_eq!(
            elftool(&[Path::new("query-abi"), &abi_o]),
            EXPECTED_ABI,
            "{cc} {flags:?}"
        );
    }
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn headers_compile_everywhere() {
    // Every public header, alone and together, as guest and as host code.
    let compilers: &[(&str, &[&str])] = &[
        ("cc", &[]),
        ("gcc", &[]),
        ("clang", &[]),
        ("aarch64-linux-gnu-gcc", &[]),
        ("powerpc64le-linux-gnu-gcc", &[]),
        ("clang", &["--target=aarch64-linux-gnu"]),
        ("clang", &["--target=powerpc64le-linux-gnu"]),
    ];
    let dir = scratch("headers");
    let headers = [
        "solo5.h",
        "elf_abi.h",
        "mft_abi.h",
        "hvt_abi.h",
        "spt_abi.h",
    ];
    let mut srcs = Vec::new();
    for h in headers {
        let p = dir.join(format!("only_{}.c", h.replace('.', "_")));
        fs::write(&p, format!("#include \"{h}\"\n#include \"{h}\"\nint x;\n")).expect("write");
        srcs.push(p);
    }
    let all = dir.join("all.c");
    let body: String = headers
        .iter()
        .map(|h| format!("#include \"{h}\"\n"))
        .collect();
    fs::write(&all, body + "int y;\n").expect("write");
    srcs.push(all);
    for (cc, flags) in compilers {
        if !available(cc) {
            println!("SKIP: {cc} not installed");
            continue;
        }
        for src in &srcs {
            for host in [false, true] {
                let mut f: Vec<&str> = flags.to_vec();
                if host {
                    f.push("-DHVT_HOST");
                }
                compile(cc, &f, src, &dir.join("h.o"));
            }
        }
    }
    let _ = fs::remove_dir_all(&dir);
}
