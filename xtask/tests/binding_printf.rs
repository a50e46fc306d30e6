//! The bindings' formatter (bindings/common/printf.c) against the C
//! library's snprintf: bindings/test/printf_diff.c runs both on the same
//! formats, for every buffer size, built for the build machine with the
//! sanitizers (the formatter is freestanding C that also compiles on a
//! host). Guest code is costly per instruction, so the formatter is tuned;
//! this keeps its output what C's is.

use std::path::Path;
use std::process::Command;

#[test]
fn the_bindings_printf_matches_the_c_librarys() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let dir = tempfile::tempdir().expect("temp dir");
    let exe = dir.path().join("printf_diff");
    let build = Command::new(&cc)
        .args(["-std=c11", "-O1", "-g", "-Wall", "-Wextra", "-Werror"])
        .args(["-fsanitize=address,undefined", "-fno-sanitize-recover=all"])
        .arg(format!("-I{}", root.join("include").display()))
        .arg(format!("-I{}", root.join("bindings/common").display()))
        .arg(root.join("bindings/common/printf.c"))
        .arg(root.join("bindings/test/printf_diff.c"))
        .arg("-o")
        .arg(&exe)
        .output();
    let build = match build {
        Ok(b) => b,
        Err(e) if std::env::var("CI").as_deref() != Ok("true") => {
            println!("SKIP the_bindings_printf_matches_the_c_librarys: cannot run {cc}: {e}");
            return;
        }
        Err(e) => panic!("cannot run {cc}: {e}"),
    };
    assert!(
        build.status.success(),
        "{cc} failed to build printf_diff:\n{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let run = Command::new(&exe).output().expect("cannot run printf_diff");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "the bindings' printf differs from C's:\n{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains(", 0 differences"), "{stdout}");
}
