//! The elftool fuzz targets' committed inputs, replayed as ordinary tests
//! on stable: every seed of `elftool/fuzz/corpus/<target>/` and every
//! regression input of `elftool/fuzz/regressions/<target>/` goes through
//! the property the target checks (elftool/fuzz/src/lib.rs, compiled into
//! this test as it is into the fuzz targets). A crash found by fuzzing is
//! committed under regressions/ and stays fixed.

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod props;

use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files of `dir`, sorted; none if it does not exist.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("readable directory").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn replay(target: &str, property: props::Property) -> usize {
    let mut n = 0;
    for sub in ["corpus", "regressions"] {
        for file in inputs(&fuzz_dir().join(sub).join(target)) {
            let data = std::fs::read(&file).expect("readable input");
            let result = std::panic::catch_unwind(|| property(&data));
            assert!(result.is_ok(), "{target}: {} fails", file.display());
            n += 1;
        }
    }
    n
}

#[test]
fn every_committed_input_passes_its_target() {
    for (target, property) in props::TARGETS {
        let n = replay(target, *property);
        assert!(n > 0, "{target}: no seed corpus under elftool/fuzz/corpus/");
        eprintln!("{target}: {n} inputs");
    }
}

#[test]
fn every_target_in_the_fuzz_crate_has_a_property() {
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).expect("fuzz crate");
    let bins: Vec<&str> = manifest
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .filter_map(|l| l.strip_suffix('"'))
        .filter(|n| *n != "elftool-fuzz")
        .collect();
    let known: Vec<&str> = props::TARGETS.iter().map(|(n, _)| *n).collect();
    assert_eq!(bins, known);
}

/// The round trip itself is checked, not assumed: a manifest read back
/// from every layout, and a corrupted one refused.
#[test]
fn the_round_trip_encoder_is_what_the_reader_reads() {
    let json = br#"{"type":"solo5.manifest","version":1,"devices":[
        {"name":"service0","type":"NET_BASIC"},{"name":"storage","type":"BLOCK_BASIC"}]}"#;
    let m = elftool::manifest::parse(json).expect("valid manifest");
    props::manifest_json(json);
    for shape in props::SHAPES {
        let note = props::manifest_note(shape, &m);
        let file = props::elf_with_notes(shape, &note);
        let elf = elftool::elf::Elf::parse(&file).unwrap();
        assert_eq!(
            elftool::notes::read_manifest(&elf).unwrap(),
            Some(m.clone())
        );
        let mut bad = note.clone();
        let last = bad.len() - 1;
        bad.truncate(last);
        let file = props::elf_with_notes(shape, &bad);
        let elf = elftool::elf::Elf::parse(&file).unwrap();
        assert!(elftool::notes::read_manifest(&elf).is_err(), "{shape:?}");
    }
}

/// The fuzz targets' model of "compile": the note `manifest_note` builds
/// for the host's layout is byte for byte what the host C compiler makes
/// of `gen-manifest`'s C for the same manifests (every committed JSON seed
/// that is valid).
#[test]
fn the_encoder_is_what_the_c_compiler_emits() {
    if std::process::Command::new("cc")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "no C compiler (cc) in CI"
        );
        eprintln!("SKIP the_encoder_is_what_the_c_compiler_emits: no C compiler (cc)");
        return;
    }
    let include = Path::new(env!("CARGO_MANIFEST_DIR")).join("../include");
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("fuzz-encoder-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut checked = 0;
    for file in inputs(&fuzz_dir().join("corpus/elftool_manifest")) {
        let Ok(m) = elftool::manifest::parse(&std::fs::read(&file).unwrap()) else {
            continue;
        };
        let (src, obj) = (dir.join("m.c"), dir.join("m.o"));
        std::fs::write(&src, elftool::manifest::to_c(&m)).unwrap();
        let out = std::process::Command::new("cc")
            .arg("-c")
            .arg("-I")
            .arg(&include)
            .arg(&src)
            .arg("-o")
            .arg(&obj)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let data = std::fs::read(&obj).unwrap();
        let elf = elftool::elf::Elf::parse(&data).unwrap();
        let shape = props::SHAPES
            .into_iter()
            .find(|s| {
                s.class == elf.header.class
                    && s.endian == elf.header.endian
                    && elftool::notes::MftLayout::for_elf(s.class, s.machine)
                        == elftool::notes::MftLayout::for_elf(elf.header.class, elf.header.machine)
            })
            .expect("a shape with the host's layout");
        let sections = elf.section_headers().unwrap();
        let note = sections
            .iter()
            .find(|sh| elf.section_name(&sections, sh) == Some(b".note.solo5.manifest"))
            .expect("the manifest note section");
        let bytes = elf.slice(note.offset as usize, note.size as usize).unwrap();
        assert_eq!(
            bytes,
            &props::manifest_note(shape, &m)[..],
            "{}",
            file.display()
        );
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} valid JSON seeds");
}
