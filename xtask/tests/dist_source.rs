//! The source release, end to end, as a distro builder takes it: `cargo
//! xtask dist --source` is reproducible; the unpacked tarball builds with
//! an empty CARGO_HOME and no network (a network namespace of its own when
//! the test runs as root, else an unreachable proxy), the crates coming
//! from its vendor/; then, from the same unpacked tree and the same build,
//! `dpkg-buildpackage` (debian/) and `rpmbuild` (solo5-ng.spec) make the
//! split packages offline, with the same files as `cargo xtask dist`'s
//! .debs, and lintian accepts the .debs.
//!
//! One test, so the packagings reuse the offline build (the build
//! directory is outside the tree, and rpmbuild unpacks the tarball again
//! at the same path, so nothing is rebuilt) instead of tripling CI time.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

mod common;
use common::*;

/// `dist --source --build-dir DIR` on the repository; the tarball made.
fn make(dir: &Path) -> PathBuf {
    let xtask = Path::new(env!("CARGO_BIN_EXE_xtask"));
    let mut cmd = Command::new(xtask);
    cmd.args(["dist", "--source", "--build-dir"])
        .arg(dir)
        .env("SOLO5_XTASK_ROOT", workspace())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        // As a packager would: lintian rejects the default maintainer.
        .env("DEBFULLNAME", "solo5-ng test packager")
        .env("DEBEMAIL", "packager@example.org");
    let out = must(&mut cmd);
    PathBuf::from(out.lines().last().unwrap().trim())
}

fn no_network_works() -> bool {
    Command::new("unshare")
        .args(["-n", "true"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `cmd` with no network: in a network namespace of its own when possible,
/// else with every proxy pointing at a closed port; cargo offline either
/// way, with `home` as its (empty) CARGO_HOME.
fn offline(mut cmd: Command, home: &Path) -> Command {
    cmd.env("CARGO_HOME", home)
        .env("CARGO_NET_OFFLINE", "true")
        .env("https_proxy", "http://127.0.0.1:9")
        .env("http_proxy", "http://127.0.0.1:9")
        .env("CARGO_HTTP_PROXY", "http://127.0.0.1:9");
    if !no_network_works() {
        return cmd;
    }
    let mut wrapped = Command::new("unshare");
    wrapped
        .arg("-n")
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => wrapped.env(k, v),
            None => wrapped.env_remove(k),
        };
    }
    if let Some(d) = cmd.get_current_dir() {
        wrapped.current_dir(d);
    }
    wrapped.stdin(std::process::Stdio::null());
    wrapped
}

/// Package name -> its files and the directories it owns below
/// `/usr/{bin,include,lib}/` (these end with `/`).
type Lists = BTreeMap<String, BTreeSet<String>>;

/// Paths a distro adds of its own, which `dist`'s .debs do not have:
/// documentation and licences, lintian overrides, rpm's build-id links.
fn distro_only(path: &str) -> bool {
    ["/usr/share/", "/usr/lib/.build-id"]
        .iter()
        .any(|p| path.starts_with(p))
}

/// Below /usr/bin, /usr/include or /usr/lib, not one of them.
fn owned_dir(path: &str) -> bool {
    path.trim_end_matches('/')
        .split('/')
        .filter(|c| !c.is_empty())
        .count()
        > 2
}

/// The package name and contents of a .deb.
fn deb_list(deb: &Path) -> (String, BTreeSet<String>) {
    let name = must(
        Command::new("dpkg-deb")
            .args(["-f"])
            .arg(deb)
            .arg("Package"),
    );
    let listing = must(Command::new("dpkg-deb").arg("-c").arg(deb));
    let mut set = BTreeSet::new();
    for line in listing.lines() {
        // drwxr-xr-x root/root 0 2023-11-14 22:13 ./usr/bin/
        let Some(path) = line.split_whitespace().nth(5) else {
            continue;
        };
        let path = path.trim_start_matches('.');
        if path.is_empty() || distro_only(path) {
            continue;
        }
        if line.starts_with('d') {
            if owned_dir(path) {
                set.insert(format!("{}/", path.trim_end_matches('/')));
            }
        } else {
            set.insert(path.to_string());
        }
    }
    (name.trim().to_string(), set)
}

/// The package name and contents of an .rpm.
fn rpm_list(rpm: &Path) -> (String, BTreeSet<String>) {
    let name = must(
        Command::new("rpm")
            .args(["-qp", "--nosignature", "--qf", "%{NAME}"])
            .arg(rpm),
    );
    let listing = must(
        Command::new("rpm")
            .args([
                "-qp",
                "--nosignature",
                "--qf",
                "[%{FILEMODES:perms} %{FILENAMES}\\n]",
            ])
            .arg(rpm),
    );
    let mut set = BTreeSet::new();
    for line in listing.lines() {
        let Some((perms, path)) = line.split_once(' ') else {
            continue;
        };
        if distro_only(path) {
            continue;
        }
        if perms.starts_with('d') {
            if owned_dir(path) {
                set.insert(format!("{path}/"));
            }
        } else {
            set.insert(path.to_string());
        }
    }
    (name.trim().to_string(), set)
}

/// Files in `dir` whose name ends with `suffix`, sorted.
fn files_ending(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    v.sort();
    v
}

/// Lists of the packages `files` hold, debug symbol packages left out.
fn lists(files: &[PathBuf], list: fn(&Path) -> (String, BTreeSet<String>)) -> Lists {
    files
        .iter()
        .map(|f| list(f))
        .filter(|(name, _)| !name.ends_with("-dbgsym") && !name.contains("-debug"))
        .collect()
}

fn show(l: &Lists) -> String {
    l.iter()
        .map(|(k, v)| {
            format!(
                "{k}: {} paths\n  {}",
                v.len(),
                v.iter().cloned().collect::<Vec<_>>().join("\n  ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn source_tarball_is_reproducible_builds_offline_and_packages() {
    let started = Instant::now();
    let dir = tempfile::Builder::new()
        .prefix("solo5-dist-source-")
        .tempdir()
        .unwrap();
    let first = make(&dir.path().join("one"));
    let second = make(&dir.path().join("two"));
    assert_eq!(first.file_name(), second.file_name());
    assert!(
        std::fs::read(&first).unwrap() == std::fs::read(&second).unwrap(),
        "two dist --source runs made different bytes"
    );

    let unpacked = dir.path().join("unpacked");
    std::fs::create_dir(&unpacked).unwrap();
    must(
        Command::new("tar")
            .arg("xzf")
            .arg(&first)
            .arg("-C")
            .arg(&unpacked),
    );
    let name = first.file_name().unwrap().to_str().unwrap();
    let tree = unpacked.join(name.strip_suffix(".tar.gz").unwrap());
    for f in [
        "VERSION",
        "vendor",
        "debian/control",
        "debian/rules",
        "solo5-ng.spec",
    ] {
        assert!(tree.join(f).exists(), "the source tarball has no {f}");
    }
    assert!(!tree.join(".git").exists());

    // Every build of this test shares one build directory (outside the
    // tree) and one cargo target directory.
    let build = dir.path().join("build");
    let home = dir.path().join("cargo-home");
    std::fs::create_dir(&home).unwrap();
    let target = shared_cargo_target("solo5-unpacked");
    let user = |mut cmd: Command| {
        as_user(&mut cmd, &tree, &target);
        cmd.env("SOLO5_BUILD_DIR", &build);
        offline(cmd, &home)
    };
    let mut cmd = cargo_xtask(&tree, &target, &["build", "-j4"]);
    cmd.env("SOLO5_BUILD_DIR", &build);
    eprintln!(
        "building {}",
        if no_network_works() {
            "in a network namespace of its own"
        } else {
            "with an unreachable proxy"
        }
    );
    let log = must(&mut offline(cmd, &home));
    let out = build.join(build_arch());
    assert!(out.join("bin/solo5-hvt").is_file(), "{log}");
    assert!(out.join("bin/solo5-spt").is_file(), "{log}");
    let triple = format!("{}-solo5-none-static", build_arch());
    assert!(
        out.join("lib").join(&triple).join("solo5_hvt.o").is_file(),
        "{log}"
    );
    assert!(
        !home.join("registry").exists(),
        "cargo fetched crates into CARGO_HOME"
    );
    // The version comes from VERSION, as there is no .git.
    let version = std::fs::read_to_string(tree.join("VERSION")).unwrap();
    let h = std::fs::read_to_string(out.join("obj/gen/solo5_version.h")).unwrap();
    assert!(h.contains(version.trim()), "{h}");
    eprintln!("offline build: {:?}", started.elapsed());

    // The Debian packages: only the build machine's toolchain (the
    // profile), and -d because cargo may come from rustup, not a package.
    let mut debs_built = None;
    if !have("dh") || !have("dpkg-buildpackage") {
        eprintln!("SKIP: dpkg-buildpackage: dh or dpkg-buildpackage not found (apt-get install debhelper dpkg-dev)");
    } else {
        let mut cmd = Command::new("dpkg-buildpackage");
        cmd.args(["-us", "-uc", "-b", "-d", "-Ppkg.solo5-ng.nocross"]);
        let log = must(&mut user(cmd));
        let debs = files_ending(&unpacked, ".deb");
        let l = lists(&debs, deb_list);
        assert!(
            l.contains_key("solo5-ng") && l.contains_key(&cross(build_arch())),
            "dpkg-buildpackage made {debs:?}\n{log}"
        );
        eprintln!("dpkg-buildpackage: {:?}", started.elapsed());
        if have("lintian") {
            let changes = files_ending(&unpacked, ".changes");
            let mut cmd = Command::new("lintian");
            cmd.args(["--fail-on", "error,warning", "--tag-display-limit", "0"])
                .args(&changes);
            let verdict = must(&mut cmd);
            eprintln!("lintian (errors and warnings fail; other tags are explained in docs/packaging.md):\n{verdict}");
            assert!(
                !verdict
                    .lines()
                    .any(|l| l.starts_with("E: ") || l.starts_with("W: ")),
                "{verdict}"
            );
        } else {
            eprintln!("SKIP: lintian: not found (apt-get install lintian)");
        }
        debs_built = Some((l, debs));
    }

    // What `cargo xtask dist` packs, from the same build (before
    // rpmbuild, which removes the tree it unpacked when done).
    let mut cmd = cargo_xtask(&tree, &target, &["dist"]);
    cmd.env("SOLO5_BUILD_DIR", &build)
        .env("SOURCE_DATE_EPOCH", "1700000000");
    let log = must(&mut offline(cmd, &home));
    let dist = lists(&files_ending(&build.join("dist"), ".deb"), deb_list);
    assert!(
        dist.contains_key("solo5-ng") && dist.contains_key(&cross(build_arch())),
        "{log}"
    );
    assert!(
        dist["solo5-ng"].contains("/usr/bin/solo5-elftool")
            && dist[&cross(build_arch())].contains(&format!("/usr/lib/{triple}/solo5_hvt.o")),
        "{}",
        show(&dist)
    );
    // The RPMs, from the tarball: %prep unpacks it again at the same path
    // (`_builddir`), so the build finds its outputs up to date.
    let mut rpms_built = None;
    if !have("rpmbuild") || !have("rpm") {
        eprintln!("SKIP: rpmbuild: not found (apt-get install rpm)");
    } else {
        let top = dir.path().join("rpm");
        std::fs::create_dir_all(top.join("SOURCES")).unwrap();
        std::fs::copy(&first, top.join("SOURCES").join(name)).unwrap();
        let spec = top.join("solo5-ng.spec");
        std::fs::copy(tree.join("solo5-ng.spec"), &spec).unwrap();
        let mut cmd = Command::new("rpmbuild");
        cmd.args(["-ba", "--nodeps", "--without", "cross", "--define"])
            .arg(format!("_topdir {}", top.display()))
            .arg("--define")
            .arg(format!("_builddir {}", unpacked.display()))
            .arg(&spec);
        let log = must(&mut user(cmd));
        let rpm_dir = top.join("RPMS");
        let mut rpms = Vec::new();
        for arch_dir in std::fs::read_dir(&rpm_dir).unwrap().flatten() {
            rpms.extend(files_ending(&arch_dir.path(), ".rpm"));
        }
        assert!(
            !files_ending(&top.join("SRPMS"), ".src.rpm").is_empty(),
            "no source rpm\n{log}"
        );
        let l = lists(&rpms, rpm_list);
        assert!(
            l.contains_key("solo5-ng") && l.contains_key(&cross(build_arch())),
            "rpmbuild made {rpms:?}\n{log}"
        );
        eprintln!("rpmbuild: {:?}", started.elapsed());
        rpms_built = Some(l);
    }

    if let Some((debs, files)) = &debs_built {
        assert!(
            debs == &dist,
            "dpkg-buildpackage's packages:\n{}\ncargo xtask dist's:\n{}",
            show(debs),
            show(&dist)
        );
        // The toolchain package depends on what dist's depends on.
        let cross_deb = files
            .iter()
            .find(|f| deb_list(f).0 == cross(build_arch()))
            .unwrap();
        let ours = must(
            Command::new("dpkg-deb")
                .arg("-f")
                .arg(cross_deb)
                .arg("Depends"),
        );
        let dists = must(
            Command::new("dpkg-deb")
                .arg("-f")
                .arg(
                    files_ending(&build.join("dist"), ".deb")
                        .into_iter()
                        .find(|f| deb_list(f).0 == cross(build_arch()))
                        .unwrap(),
                )
                .arg("Depends"),
        );
        for d in dists
            .trim()
            .split(", ")
            .filter(|d| !d.starts_with("solo5-ng "))
        {
            assert!(
                ours.split(", ").any(|o| o.trim() == d),
                "{d} (from dist) missing in {ours}"
            );
        }
    }
    if let Some(rpms) = &rpms_built {
        assert!(
            rpms == &dist,
            "rpmbuild's packages:\n{}\ncargo xtask dist's:\n{}",
            show(rpms),
            show(&dist)
        );
    }
    eprintln!("total: {:?}", started.elapsed());
}

fn cross(arch: &str) -> String {
    format!("solo5-ng-cross-{}", arch.replace('_', "-"))
}
