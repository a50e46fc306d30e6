//! The bindings' text output against the C library's snprintf, built for
//! the build machine with the sanitizers (the code is freestanding C that
//! also compiles on a host). Guest code is costly per instruction, so the
//! formatter is tuned and the banner and exit line are built without a
//! format; these keep their bytes what C's formats give:
//! - bindings/test/printf_diff.c runs the formatter (bindings/common/printf.c)
//!   and snprintf on the same formats, for every buffer size;
//! - bindings/test/banner_diff.c runs the banner and solo5_exit()
//!   (bindings/common/banner.c, exit.c) against the formats they replace,
//!   over memory sizes, addresses, long binding names and exit statuses.

use std::path::Path;
use std::process::Command;

/// Builds `program` from `sources` (under the repository) and runs it;
/// it must succeed and print ", 0 differences".
fn diff_program(program: &str, sources: &[&str]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let dir = tempfile::tempdir().expect("temp dir");
    // The banner prints the version; any will do.
    std::fs::write(
        dir.path().join("solo5_version.h"),
        "#define SOLO5_VERSION \"0.1.0+test\"\n",
    )
    .expect("write solo5_version.h");
    let exe = dir.path().join(program);
    let build = Command::new(&cc)
        .args(["-std=c11", "-O1", "-g", "-Wall", "-Wextra", "-Werror"])
        .args(["-fsanitize=address,undefined", "-fno-sanitize-recover=all"])
        .arg(format!("-I{}", root.join("include").display()))
        .arg(format!("-I{}", root.join("bindings/common").display()))
        .arg(format!("-I{}", dir.path().display()))
        .args(sources.iter().map(|s| root.join(s)))
        .arg("-o")
        .arg(&exe)
        .output();
    let build = match build {
        Ok(b) => b,
        Err(e) if std::env::var("CI").as_deref() != Ok("true") => {
            println!("SKIP {program}: cannot run {cc}: {e}");
            return;
        }
        Err(e) => panic!("cannot run {cc}: {e}"),
    };
    assert!(
        build.status.success(),
        "{cc} failed to build {program}:\n{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let run = Command::new(&exe)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{program}: the bindings' output differs from C's:\n{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains(", 0 differences"), "{stdout}");
}

#[test]
fn the_bindings_printf_matches_the_c_librarys() {
    diff_program(
        "printf_diff",
        &["bindings/common/printf.c", "bindings/test/printf_diff.c"],
    );
}

#[test]
fn the_banner_and_exit_line_match_their_old_formats() {
    diff_program(
        "banner_diff",
        &[
            "bindings/common/printf.c",
            "bindings/common/log.c",
            "bindings/common/banner.c",
            "bindings/common/exit.c",
            "bindings/test/banner_diff.c",
        ],
    );
}
