//! solo5-elftool and the tenders must judge every manifest note alike.
//!
//! Builds tenders/test/mft_verdict.c with the build machine's C compiler
//! from the tenders' own sources (elf_image.c, elf_note.c, mft.c, fatal.c),
//! writes thousands of ELF files whose manifest notes are deterministic
//! mutations of valid ones (plus the cases where the two used to disagree),
//! and compares the verdict of the C checker with elftool's
//! (`notes::check_manifest`): the same devices, or the same broken rule at
//! the same entry with the same value. A file the tender stops on before
//! the manifest rules (a malformed or repeated note) must be refused by
//! elftool too, and the other way round.

use std::path::{Path, PathBuf};
use std::process::Command;

use elftool::elf::Elf;
use elftool::mft_rules::{self, Rule};
use elftool::notes::{self, ABI1_NOTE_TYPE, MFT1_NOTE_TYPE};

const RESERVED: u32 = mft_rules::RESERVED_FIRST;
const NET: u32 = 2;
const BLOCK: u32 = 1;
/// LP64 layout: header, entry size, type and attached offsets; payload pad.
const HEADER: usize = 8;
const ENTRY: usize = 104;
const TYPE_OFF: usize = 68;
const ATTACHED_OFF: usize = 96;
const PAD: usize = 4;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("elftool lives in the workspace")
        .to_path_buf()
}

/// (ELF machine, tenders/common/elf_host_<arch>.c) of the build machine.
fn host() -> Option<(u16, &'static str)> {
    match std::env::consts::ARCH {
        "x86_64" => Some((62, "x86_64")),
        "aarch64" => Some((183, "aarch64")),
        "powerpc64" if cfg!(target_endian = "little") => Some((21, "ppc64le")),
        _ => None,
    }
}

/// Deterministic xorshift64*: the same cases on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.below(from.len())]
    }
}

/// A manifest payload: version, entry count, entries (name, type).
fn payload(entries: &[(&[u8], u32)]) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend(1u32.to_le_bytes());
    p.extend((entries.len() as u32).to_le_bytes());
    for (name, code) in entries {
        let mut e = vec![0u8; ENTRY];
        e[..name.len()].copy_from_slice(name);
        e[TYPE_OFF..TYPE_OFF + 4].copy_from_slice(&code.to_le_bytes());
        p.extend(e);
    }
    p
}

fn note(n_type: u32, desc: &[u8]) -> Vec<u8> {
    let mut n = Vec::new();
    n.extend(6u32.to_le_bytes());
    n.extend((desc.len() as u32).to_le_bytes());
    n.extend(n_type.to_le_bytes());
    n.extend(b"Solo5\0\0\0");
    n.extend(desc);
    while n.len() % 4 != 0 {
        n.push(0);
    }
    n
}

fn mft_note(p: &[u8]) -> Vec<u8> {
    let mut desc = vec![0u8; PAD];
    desc.extend(p);
    note(MFT1_NOTE_TYPE, &desc)
}

/// A static ELF64 executable for `machine` whose only segment is a
/// PT_NOTE holding `notes` (the checks under test never look further).
fn elf(machine: u16, notes: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8; 64];
    f[..4].copy_from_slice(b"\x7fELF");
    f[4] = 2; // ELFCLASS64
    f[5] = 1; // little endian
    f[6] = 1; // EV_CURRENT
    f[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    f[18..20].copy_from_slice(&machine.to_le_bytes());
    f[20..24].copy_from_slice(&1u32.to_le_bytes());
    f[32..40].copy_from_slice(&64u64.to_le_bytes()); // e_phoff
    f[52..54].copy_from_slice(&64u16.to_le_bytes()); // e_ehsize
    f[54..56].copy_from_slice(&56u16.to_le_bytes()); // e_phentsize
    f[56..58].copy_from_slice(&1u16.to_le_bytes()); // e_phnum
    let mut ph = vec![0u8; 56];
    ph[..4].copy_from_slice(&4u32.to_le_bytes()); // PT_NOTE
    ph[8..16].copy_from_slice(&120u64.to_le_bytes()); // p_offset
    ph[32..40].copy_from_slice(&(notes.len() as u64).to_le_bytes()); // p_filesz
    ph[40..48].copy_from_slice(&(notes.len() as u64).to_le_bytes()); // p_memsz
    ph[48..56].copy_from_slice(&4u64.to_le_bytes()); // p_align
    f.extend(ph);
    f.extend(notes);
    f
}

fn name(rng: &mut Rng) -> Vec<u8> {
    let chars = mft_rules::NAME_CHARS.as_bytes();
    let len = if rng.below(8) == 0 {
        mft_rules::NAME_MAX
    } else {
        1 + rng.below(12)
    };
    (0..len).map(|_| rng.pick(chars)).collect()
}

/// A valid manifest with a few devices (sometimes the most there can be).
fn valid(rng: &mut Rng) -> Vec<u8> {
    let count = if rng.below(10) == 0 { 63 } else { rng.below(5) };
    let mut names: Vec<Vec<u8>> = Vec::new();
    while names.len() < count {
        let n = name(rng);
        if !names.contains(&n) {
            names.push(n);
        }
    }
    let mut entries: Vec<(&[u8], u32)> = vec![(b"", RESERVED)];
    for n in &names {
        entries.push((n, rng.pick(&[NET, BLOCK])));
    }
    payload(&entries)
}

fn put_u32(p: &mut [u8], at: usize, v: u32) {
    if at + 4 <= p.len() {
        p[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }
}

/// One random change to a valid payload, at the places the rules look.
fn mutate(rng: &mut Rng, p: &mut Vec<u8>) {
    let entries = p.len().saturating_sub(HEADER) / ENTRY;
    if entries == 0 {
        // Already cut below one entry: damage what is left.
        if !p.is_empty() {
            let i = rng.below(p.len());
            p[i] = rng.next() as u8;
        }
        return;
    }
    let e = rng.below(entries);
    let at = HEADER + e * ENTRY;
    match rng.below(11) {
        0 => {
            for _ in 0..1 + rng.below(3) {
                let i = rng.below(p.len());
                p[i] = rng.next() as u8;
            }
        }
        1 => {
            let code = rng.pick(&[0, 1, 2, 3, 77, RESERVED, RESERVED + 1, u32::MAX]);
            put_u32(p, at + TYPE_OFF, code);
        }
        2 => {
            let i = rng.below(mft_rules::NAME_SIZE);
            p[at + i] = rng.pick(&[0, b'-', b'_', b' ', 0x80, 0xff, b'a', 1]);
        }
        3 => p[at + mft_rules::NAME_MAX] = rng.pick(&[b'a', 1, 0xff]),
        4 => p[at + ATTACHED_OFF] = rng.pick(&[1, 2, 0x80, 0xff]),
        5 if entries > 1 => {
            // Another entry's name: a duplicate (or entry 0's empty name).
            let from = HEADER + rng.below(entries) * ENTRY;
            let n: Vec<u8> = p[from..from + mft_rules::NAME_SIZE].to_vec();
            p[at..at + mft_rules::NAME_SIZE].copy_from_slice(&n);
        }
        6 => {
            let v = rng.pick(&[0, 2, u32::MAX]);
            put_u32(p, 0, v);
        }
        7 => {
            let n = entries as u32;
            let v = rng.pick(&[0, n.wrapping_sub(1), n + 1, 64, 65, u32::MAX]);
            put_u32(p, 4, v);
        }
        8 => {
            let cut = rng.below(p.len().min(2 * ENTRY) + 1);
            p.truncate(p.len() - cut);
        }
        9 => p.extend(std::iter::repeat_n(0, 1 + rng.below(ENTRY + 8))),
        _ => p[at..at + mft_rules::NAME_SIZE].fill(0),
    }
}

/// The note segment for one case: the manifest note, sometimes with an
/// ABI note before it, sometimes damaged or repeated.
fn notes_for(rng: &mut Rng, p: &[u8]) -> Vec<u8> {
    let mut n = Vec::new();
    if rng.below(2) == 0 {
        n.extend(note(
            ABI1_NOTE_TYPE,
            &[1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        ));
    }
    let mft = mft_note(p);
    let start = n.len();
    n.extend(&mft);
    match rng.below(40) {
        0 => n.extend(&mft), // two manifests
        1 => put_u32(&mut n, start + 4, rng.pick(&[0, 1, 3, 5, 0xffff])), // n_descsz
        2 => put_u32(&mut n, start, rng.pick(&[0, 5, 7, 0xffff_ffff])), // n_namesz
        3 => n[start + 12] = b's', // other owner
        4 => n.truncate(start + rng.below(mft.len())),
        _ => {}
    }
    n
}

/// The cases where elftool and the tenders used to disagree.
fn fixed_cases() -> Vec<(&'static str, Vec<u8>)> {
    let base = |devs: &[(&[u8], u32)]| {
        let mut e: Vec<(&[u8], u32)> = vec![(b"", RESERVED)];
        e.extend_from_slice(devs);
        payload(&e)
    };
    let mut attached = base(&[(b"net0", NET)]);
    attached[HEADER + ENTRY + ATTACHED_OFF] = 1;
    let mut early_nul = base(&[(b"net0", NET)]);
    early_nul[HEADER + ENTRY + 10] = b'x'; // after the NUL, last byte 0
    let mut last_byte = base(&[(b"net0", NET)]);
    last_byte[HEADER + ENTRY + mft_rules::NAME_MAX] = b'x';
    let mut reserved_later = base(&[(b"net0", NET), (b"", RESERVED + 5)]);
    reserved_later[HEADER + 2 * ENTRY] = b'?';
    let one = mft_note(&base(&[(b"net0", NET)]));
    vec![
        ("empty device name", mft_note(&base(&[(b"", NET)]))),
        (
            "device declared twice",
            mft_note(&base(&[(b"a", NET), (b"a", BLOCK)])),
        ),
        ("two manifest notes", [one.clone(), one].concat()),
        ("entry marked attached", mft_note(&attached)),
        ("bytes after the NUL", mft_note(&early_nul)),
        ("last name byte not NUL", mft_note(&last_byte)),
        ("reserved entry after 0", mft_note(&reserved_later)),
        ("named first entry", mft_note(&payload(&[(b"x", RESERVED)]))),
        ("no entries", mft_note(&payload(&[]))),
        ("empty note", note(MFT1_NOTE_TYPE, &[])),
        ("name with '-'", mft_note(&base(&[(b"a-b", BLOCK)]))),
    ]
}

/// elftool's verdict, spelled as mft_verdict prints it ("note" for a
/// note-level refusal).
fn elftool_verdict(file: &[u8]) -> String {
    let elf = match Elf::parse(file) {
        Ok(e) => e,
        Err(_) => return "note".into(),
    };
    match notes::check_manifest(&elf) {
        Err(_) => "note".into(),
        Ok(None) => "none".into(),
        Ok(Some(Err(v))) => format!(
            "reject {} {} {}",
            v.rule.id(),
            v.entry.map_or(-1, i64::from),
            v.value
        ),
        Ok(Some(Ok(devs))) => {
            let mut s = String::from("ok");
            for d in devs {
                s.push_str(&format!(
                    " {}:{}",
                    d.name,
                    mft_rules::kind_of(d.dtype).option
                ));
            }
            s
        }
    }
}

fn build_checker(dir: &Path, host_file: &str) -> Result<PathBuf, String> {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let root = workspace();
    let exe = dir.join("mft_verdict");
    let mut cmd = Command::new(&cc);
    cmd.args([
        "-std=gnu11",
        "-O1",
        "-g",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-D_GNU_SOURCE",
    ])
    .arg(format!("-I{}", root.join("include").display()))
    .arg(format!("-I{}", root.join("tenders/common").display()))
    .arg(root.join("tenders/test/mft_verdict.c"));
    for f in ["fatal.c", "mft.c", "elf_image.c", "elf_note.c"] {
        cmd.arg(root.join("tenders/common").join(f));
    }
    cmd.arg(root.join(format!("tenders/common/elf_host_{host_file}.c")))
        .arg("-o")
        .arg(&exe);
    let out = cmd.output().map_err(|e| format!("cannot run {cc}: {e}"))?;
    if !out.status.success() {
        panic!(
            "{cc} failed to build mft_verdict:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(exe)
}

#[test]
fn elftool_and_tenders_agree_on_every_manifest() {
    let Some((machine, host_file)) = host() else {
        println!(
            "SKIP: no tender for build machine arch {}",
            std::env::consts::ARCH
        );
        return;
    };
    let dir = std::env::temp_dir().join(format!("mft-differential-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let exe = match build_checker(&dir, host_file) {
        Ok(e) => e,
        Err(why) => {
            println!("SKIP: {why} (install a C compiler, e.g. gcc)");
            return;
        }
    };

    let mut cases: Vec<(String, Vec<u8>)> = fixed_cases()
        .into_iter()
        .map(|(what, notes)| (what.to_string(), elf(machine, &notes)))
        .collect();
    let mut rng = Rng(0x05ee_d0f5_0105);
    for i in 0..3000 {
        let mut p = valid(&mut rng);
        // One case in six stays valid; the rest get up to three changes.
        let changes = if i % 6 == 0 { 0 } else { 1 + rng.below(3) };
        for _ in 0..changes {
            mutate(&mut rng, &mut p);
        }
        let notes = notes_for(&mut rng, &p);
        cases.push((format!("mutation {i}"), elf(machine, &notes)));
    }

    let mut paths = Vec::new();
    for (i, (_, file)) in cases.iter().enumerate() {
        let p = dir.join(format!("{i}.elf"));
        std::fs::write(&p, file).expect("write case");
        paths.push(p);
    }
    let mut c_verdicts = Vec::new();
    for chunk in paths.chunks(500) {
        let out = Command::new(&exe)
            .args(chunk)
            .output()
            .expect("run mft_verdict");
        assert!(
            out.status.success(),
            "mft_verdict failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        c_verdicts.extend(
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(String::from),
        );
    }
    assert_eq!(c_verdicts.len(), cases.len(), "one verdict per file");

    let mut rules_seen = std::collections::HashSet::new();
    let (mut ok, mut note_level, mut failures) = (0, 0, Vec::new());
    for (i, ((what, file), c)) in cases.iter().zip(&c_verdicts).enumerate() {
        let r = elftool_verdict(file);
        let agree = if r == "note" || c == "died" {
            // Refused before the rules on one side: refused on the other.
            note_level += 1;
            (r == "note" || r.starts_with("reject")) && (c == "died" || c.starts_with("reject"))
        } else {
            r == *c
        };
        if !agree {
            failures.push(format!(
                "case {i} ({what}): elftool says {r:?}, tender says {c:?}"
            ));
        }
        if r.starts_with("ok") {
            ok += 1;
        }
        if let Some(id) = r.strip_prefix("reject ").and_then(|s| s.split(' ').next()) {
            rules_seen.insert(id.to_string());
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} verdicts differ (files in {}):\n{}",
        failures.len(),
        cases.len(),
        dir.display(),
        failures.join("\n")
    );

    // The fixed cases, by Solo5's behaviour (see mft_rules.rs).
    let expect = [
        ("empty device name", "reject empty_name 1 0"),
        ("device declared twice", "reject duplicate 2 1"),
        ("two manifest notes", "died"),
        ("entry marked attached", "reject attached 1 0"),
        ("bytes after the NUL", "ok net0:net"),
        ("last name byte not NUL", "reject unterminated 1 0"),
        ("reserved entry after 0", "ok net0:net"),
        ("named first entry", "reject first_name 0 0"),
        ("no entries", "reject no_entries -1 0"),
        ("empty note", "died"),
        ("name with '-'", "reject name_char 1 45"),
    ];
    for (what, want) in expect {
        let i = cases.iter().position(|(w, _)| w == what).expect("case");
        assert_eq!(c_verdicts[i], want, "{what}");
    }
    // Enough of each outcome for the comparison to mean something.
    for r in Rule::ALL {
        assert!(
            rules_seen.contains(r.id()),
            "no case broke rule {:?} (seen: {rules_seen:?})",
            r
        );
    }
    assert!(ok >= 300, "only {ok} valid manifests");
    assert!(note_level >= 20, "only {note_level} note-level refusals");
    println!(
        "{} cases: {ok} valid, {note_level} refused before the rules, every one of {} rules broken",
        cases.len(),
        Rule::ALL.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
