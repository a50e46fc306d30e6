//! Every C source and header follows the checked-in `.clang-format`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn c_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            c_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "c" || x == "h") {
            out.push(p);
        }
    }
}

#[test]
fn c_code_is_clang_formatted() {
    if Command::new("clang-format")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "clang-format is not installed (apt-get install clang-format)"
        );
        eprintln!("SKIP c_code_is_clang_formatted: clang-format is not installed (apt-get install clang-format)");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in ["bindings", "tenders", "include", "tests"] {
        c_files(&root.join(dir), &mut files);
    }
    files.sort();
    assert!(files.len() > 50, "found only {} C files", files.len());
    let out = Command::new("clang-format")
        .args(["--dry-run", "-Werror", "--style=file"])
        .args(&files)
        .current_dir(&root)
        .output()
        .expect("cannot run clang-format");
    assert!(
        out.status.success(),
        "run clang-format -i on these files:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
