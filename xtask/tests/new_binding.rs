//! A binding, its tender and an arch added as data alone, with no change to
//! the xtask: the worked example of docs/porting.md ("Adding a binding").
//!
//! In a scratch copy of the tree (see common/mod.rs) the test adds
//!   * a binding `toy` (runner "host", the shared linker-script template,
//!     one freestanding source of its own) and a tender `toy` (a host
//!     program that checks its unikernel is an ELF file and says so),
//!   * a test entry running the `hello` unikernel under the toy tender,
//!   * an arch `x86_64v2`: x86_64's data under another name (it sorts after
//!     x86_64, so the build machine is still detected as x86_64), supporting
//!     only `stub` and `toy`,
//!
//! then runs the real xtask there: build, install and test. The x86_64v2
//! cells run in the arch's emulated guest (a QEMU boot, about a minute);
//! when the guest cannot be used here that part says `SKIP: <reason>`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::*;

/// The new arch's name.
const NEW_ARCH: &str = "x86_64v2";

/// The toy binding: just enough for a unikernel to link. Nothing in it ever
/// runs (the toy tender only looks at the file).
const TOY_BINDING: &str = r#"/*
 * toy.c: the 'toy' binding of xtask/tests/new_binding.rs. Just enough for a
 * unikernel to link; the toy tender never runs it.
 */

#include "solo5.h"
#include "elf_abi.h"

/* Target 0: no real tender accepts it, as for the stub binding. */
ABI1_NOTE_DECLARE_BEGIN
{
    .abi_target = 0,
    .abi_version = 1,
}
ABI1_NOTE_DECLARE_END

__attribute__((noreturn)) static void toy_hang(void)
{
    for (;;)
        __asm__ __volatile__("" ::: "memory");
}

extern uintptr_t __stack_chk_guard;
uintptr_t __stack_chk_guard = (uintptr_t)0x70790000UL;

void __stack_chk_fail(void) __attribute__((noreturn));

void __stack_chk_fail(void)
{
    toy_hang();
}

void solo5_console_write(const char *buf, size_t size)
{
    (void)buf;
    (void)size;
}

void solo5_exit(int status)
{
    (void)status;
    toy_hang();
}

void solo5_abort(void)
{
    toy_hang();
}

static char toy_cmdline[1];

void _start(void *arg) __attribute__((noreturn));

void _start(void *arg)
{
    struct solo5_start_info si = {
        .cmdline = toy_cmdline,
        .heap_start = 0,
        .heap_size = 0,
    };

    (void)arg;
    solo5_exit(solo5_app_main(&si));
}
"#;

/// The toy tender: `solo5-toy [--option ...] UNIKERNEL [ARGS...]`.
const TOY_TENDER: &str = r#"/*
 * toy_main.c: the 'toy' tender of xtask/tests/new_binding.rs. Checks that
 * its unikernel is an ELF file and prints one fixed line.
 */

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) != 0) {
            file = argv[i];
            break;
        }
    }
    if (file == NULL) {
        fprintf(stderr, "usage: %s [--option ...] UNIKERNEL [ARGS...]\n",
                argv[0]);
        return 2;
    }
    FILE *f = fopen(file, "rb");
    if (f == NULL) {
        perror(file);
        return 1;
    }
    unsigned char magic[4];
    size_t n = fread(magic, 1, sizeof magic, f);
    fclose(f);
    if (n != sizeof magic || memcmp(magic, "\177ELF", 4) != 0) {
        fprintf(stderr, "%s: not an ELF file\n", file);
        return 1;
    }
    const char *base = strrchr(file, '/');
    printf("toy tender ran %s\n", base != NULL ? base + 1 : file);
    return 0;
}
"#;

/// What the toy tender prints for the hello unikernel.
const TOY_LINE: &str = "toy tender ran test_hello.toy";

/// The test entry added to the copy's tests/tests.toml.
const TOY_TEST: &str = r#"
# Added by xtask/tests/new_binding.rs.
[[test]]
name = "toy_hello"
source = "hello"
bindings = ["toy"]
args = ["Hello"]
expect_output = ["toy tender ran test_hello.toy"]
"#;

/// A scratch copy of the tree with the toy binding and the new arch.
struct Scratch {
    dir: tempfile::TempDir,
    root: PathBuf,
}

impl Scratch {
    fn new() -> Scratch {
        let dir = tempfile::Builder::new()
            .prefix("solo5-new-binding-")
            .tempdir()
            .expect("cannot create a temp dir");
        let root = dir.path().join("tree");
        copy_sources(&workspace(), &root);
        Scratch { dir, root }
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.root.join(rel))
            .unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
    }

    /// Runs the xtask in the copy; returns its combined output and status.
    fn xtask(&self, args: &[&str], limit: Duration) -> (Option<bool>, String) {
        let xtask = Path::new(env!("CARGO_BIN_EXE_xtask"));
        let mut cmd = xtask_command(xtask, &self.root, elftool(), args);
        let t = Instant::now();
        let (ok, text) = run_with_limit(&mut cmd, limit);
        eprintln!(
            "xtask {} took {:.1}s",
            args.join(" "),
            t.elapsed().as_secs_f64()
        );
        (ok, text)
    }

    /// Runs the xtask in the copy; it must succeed.
    fn xtask_ok(&self, args: &[&str]) -> String {
        match self.xtask(args, Duration::from_secs(900)) {
            (Some(true), text) => text,
            (Some(false), text) => panic!("xtask {args:?} failed:\n{text}"),
            (None, text) => panic!("xtask {args:?} timed out:\n{text}"),
        }
    }
}

/// Runs `cmd` with stdout and stderr in one temp file; kills it after
/// `limit`. Some(success), or None when it was killed.
fn run_with_limit(cmd: &mut Command, limit: Duration) -> (Option<bool>, String) {
    let log = tempfile::NamedTempFile::new().unwrap();
    let out = log.reopen().unwrap();
    let mut child = cmd
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .expect("cannot run the xtask binary");
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s.success());
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let text = String::from_utf8_lossy(&std::fs::read(log.path()).unwrap()).into_owned();
    (status, text)
}

fn strings(v: &[&str]) -> toml::Value {
    toml::Value::Array(v.iter().map(|s| toml::Value::from(*s)).collect())
}

/// Adds the toy binding and tender, the test entry and the new arch to the
/// copy, as data and C sources only.
fn add_toy_and_arch(tree: &Scratch) {
    tree.write("bindings/toy/toy.c", TOY_BINDING);
    tree.write("tenders/toy/toy_main.c", TOY_TENDER);
    let tests = tree.read("tests/tests.toml");
    tree.write("tests/tests.toml", &format!("{tests}{TOY_TEST}"));

    let mut t: toml::Table = tree.read("targets.toml").parse().expect("targets.toml");
    let mut binding = toml::Table::new();
    binding.insert("tender".into(), "toy".into());
    binding.insert("runner".into(), "host".into());
    binding.insert("lds".into(), "ld-scripts/solo5.lds.in".into());
    binding.insert("text_start".into(), toml::Value::Integer(0x100000));
    binding.insert("sources".into(), strings(&["bindings/toy/toy.c"]));
    t["binding"]
        .as_table_mut()
        .unwrap()
        .insert("toy".into(), binding.into());
    let mut tender = toml::Table::new();
    tender.insert("sources".into(), strings(&["tenders/toy/toy_main.c"]));
    t["tender"]
        .as_table_mut()
        .unwrap()
        .insert("toy".into(), tender.into());

    // The new arch: x86_64's data under another name, without its aliases
    // (a spelling names one arch).
    let mut arch = t["arch"]["x86_64"].as_table().unwrap().clone();
    arch.remove("aliases");
    t["arch"]
        .as_table_mut()
        .unwrap()
        .insert(NEW_ARCH.into(), arch.into());

    let linux = t["host"]["linux"].as_table_mut().unwrap();
    for key in ["bindings", "tenders"] {
        linux["x86_64"][key]
            .as_array_mut()
            .unwrap()
            .push("toy".into());
    }
    let mut support = toml::Table::new();
    support.insert("bindings".into(), strings(&["stub", "toy"]));
    support.insert("tenders".into(), strings(&["toy"]));
    linux.insert(NEW_ARCH.into(), support.into());

    // The new arch's `{arch}` files: x86_64's, for what it supports.
    let mut templates: Vec<String> = Vec::new();
    let group = |name: &str| -> Vec<String> {
        t["sources"][name]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    for (kind, list) in [("binding", "bindings"), ("tender", "tenders")] {
        for name in linux_list(&t, NEW_ARCH, list) {
            let part = &t[kind][&name];
            for u in part
                .get("uses")
                .and_then(|u| u.as_array())
                .into_iter()
                .flatten()
            {
                templates.extend(group(u.as_str().unwrap()));
            }
            for s in part["sources"].as_array().unwrap() {
                templates.push(s.as_str().unwrap().to_string());
            }
        }
    }
    let mut copied = 0;
    for tpl in templates.iter().filter(|s| s.contains("{arch}")) {
        let from = tpl.replace("{arch}", "x86_64");
        let to = tpl.replace("{arch}", NEW_ARCH);
        if tree.root.join(&from).is_file() && !tree.root.join(&to).exists() {
            std::fs::copy(tree.root.join(&from), tree.root.join(&to)).unwrap();
            copied += 1;
        }
    }
    eprintln!("{NEW_ARCH}: copied {copied} {{arch}} source files from x86_64");

    tree.write("targets.toml", &toml::to_string(&t).unwrap());
}

/// `[host.linux.ARCH].LIST` of a targets table.
fn linux_list(t: &toml::Table, arch: &str, list: &str) -> Vec<String> {
    t["host"]["linux"][arch][list]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

fn assert_files(base: &Path, files: &[String]) {
    let missing: Vec<&String> = files.iter().filter(|f| !base.join(f).is_file()).collect();
    assert!(
        missing.is_empty(),
        "missing under {}: {missing:?}",
        base.display()
    );
}

/// Runs a tender on a unikernel and returns its output.
fn run_tender(tender: &Path, unikernel: &Path) -> Output {
    Command::new(tender)
        .arg(unikernel)
        .arg("Hello")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", tender.display()))
}

/// The toy cell's line in a test run's output, if any.
fn toy_cell<'a>(text: &'a str, arch: &str) -> Option<&'a str> {
    let cell = format!("toy_hello toy ({arch})");
    text.lines().find(|l| l.contains(&cell))
}

#[test]
fn a_binding_and_an_arch_are_data() {
    assert_eq!(
        build_arch(),
        "x86_64",
        "this test adds a copy of x86_64 and runs its cells natively"
    );
    let started = Instant::now();
    let tree = Scratch::new();
    add_toy_and_arch(&tree);

    // Build both arches.
    tree.xtask_ok(&["build", "-j2", "--target", "x86_64", "--target", NEW_ARCH]);
    for arch in ["x86_64", NEW_ARCH] {
        let lib = format!("lib/{arch}-solo5-none-static");
        assert_files(
            &tree.root.join("target/solo5").join(arch),
            &[
                format!("{lib}/solo5_toy.o"),
                format!("{lib}/solo5_toy.lds"),
                "bin/solo5-toy".into(),
                "tests/test_hello.toy".into(),
            ],
        );
    }
    // The new arch builds what it supports and nothing else.
    let v2 = tree.root.join("target/solo5").join(NEW_ARCH);
    assert!(v2.join("tests/test_hello.stub").is_file());
    assert!(!v2.join("bin/solo5-spt").exists());
    assert!(!v2.join("tests/test_hello.spt").exists());

    // Install: the toolchains of both arches and the build machine's
    // tenders in one prefix; the new arch's tenders in a prefix of their
    // own (one arch's tenders are bin/solo5-*).
    let prefix = tree.dir.path().join("prefix");
    let prefix_v2 = tree.dir.path().join("prefix-v2");
    let p = prefix.display().to_string();
    let p2 = prefix_v2.display().to_string();
    tree.xtask_ok(&[
        "install", "-j2", "--target", "x86_64", "--target", NEW_ARCH, "--prefix", &p,
    ]);
    tree.xtask_ok(&[
        "install",
        "-j2",
        "--target",
        NEW_ARCH,
        "--tools-only",
        "--prefix",
        &p2,
    ]);
    let mut want = vec!["bin/solo5-toy".to_string(), "bin/solo5-elftool".into()];
    for arch in ["x86_64", NEW_ARCH] {
        let triple = format!("{arch}-solo5-none-static");
        want.push(format!("lib/{triple}/solo5_toy.o"));
        want.push(format!("lib/{triple}/solo5_toy.lds"));
        want.push(format!("lib/{triple}/solo5_stub.o"));
        want.push(format!("bin/{triple}-cc"));
        want.push(format!("include/{triple}/solo5.h"));
    }
    assert_files(&prefix, &want);
    assert!(!prefix
        .join(format!("lib/{NEW_ARCH}-solo5-none-static/solo5_spt.o"))
        .exists());
    assert_files(&prefix_v2, &["bin/solo5-toy".into()]);
    // Both installed tenders run the unikernels built for their arch.
    for (pre, arch) in [(&prefix, "x86_64"), (&prefix_v2, NEW_ARCH)] {
        let uk = tree
            .root
            .join("target/solo5")
            .join(arch)
            .join("tests/test_hello.toy");
        let out = run_tender(&pre.join("bin/solo5-toy"), &uk);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains(TOY_LINE),
            "installed solo5-toy of {arch}: {}\n{text}",
            out.status
        );
    }

    // Test: the build machine's arch runs the toy cell natively.
    let text = tree.xtask_ok(&[
        "test",
        "-j2",
        "--no-cargo-tests",
        "--binding",
        "toy",
        "--target",
        "x86_64",
    ]);
    let line = toy_cell(&text, "x86_64").unwrap_or_else(|| panic!("no toy cell:\n{text}"));
    eprintln!("{line}");
    assert!(
        line.starts_with("PASS ") && !line.contains("(in guest)"),
        "{line}\n{text}"
    );
    assert!(text.contains(" 0 failed"), "{text}");

    // The new arch is not the build machine's: its cells go to the guest.
    eprintln!("{NEW_ARCH}: running its cells in the emulated guest");
    let args = [
        "test",
        "-j2",
        "--no-cargo-tests",
        "--binding",
        "toy",
        "--target",
        NEW_ARCH,
    ];
    match tree.xtask(&args, Duration::from_secs(420)) {
        (None, text) => println!("SKIP: the {NEW_ARCH} guest run took over 7 minutes:\n{text}"),
        (Some(ok), text) => {
            let line = toy_cell(&text, NEW_ARCH);
            if let Some(why) = guest_unusable(&text) {
                println!("SKIP: the emulated guest cannot be used here: {why}");
            } else {
                let line = line.unwrap_or_else(|| panic!("no toy cell:\n{text}"));
                eprintln!("{line}");
                assert!(
                    ok && line.starts_with("PASS ") && line.ends_with("(in guest)"),
                    "{line}\n{text}"
                );
                assert!(text.contains(" 0 failed"), "{text}");
            }
        }
    }
    eprintln!("new_binding: {:.1}s", started.elapsed().as_secs_f64());
}

/// Why the output of a guest run says the guest itself (not the cell)
/// could not be used: no QEMU, or the guest kernel could not be fetched.
fn guest_unusable(text: &str) -> Option<&str> {
    [
        "apt-get download failed",
        "cannot resolve linux-image",
        "names no linux-image package",
        "qemu-system-x86_64 not found",
    ]
    .into_iter()
    .find_map(|needle| text.lines().find(|l| l.contains(needle)))
}
