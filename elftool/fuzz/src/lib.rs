//! The properties the elftool fuzz targets check, one function per target.
//!
//! Each function takes one input and panics when a property fails; an
//! input the code under test rejects with an error is fine. The same
//! functions replay the committed corpora and regression inputs as ordinary
//! tests on stable (elftool/tests/fuzz_regressions.rs includes this file),
//! so a crash found once stays fixed.
//!
//! The round trip: a manifest the JSON validator accepts, written out the
//! way a C compiler lays out `gen-manifest`'s output (for every manifest
//! layout: LP64, i386, other ILP32; both byte orders), must read back from
//! the ELF note as the same manifest; its C source must declare the same
//! entries; its `query-manifest` JSON must parse back to it.

use elftool::elf::{Class, Elf, Endian, EM_386};
use elftool::manifest;
use elftool::notes::{
    self, DeviceType, Manifest, MftLayout, MFT1_NOTE_TYPE, MFT_DEV_BLOCK_BASIC, MFT_DEV_NET_BASIC,
    MFT_NAME_SIZE, MFT_RESERVED_FIRST, MFT_VERSION, SOLO5_NOTE_NAME,
};

/// A property: panics when `data` shows a bug.
pub type Property = fn(&[u8]);

/// Every target: its `[[bin]]` name in Cargo.toml and its property.
pub const TARGETS: &[(&str, Property)] = &[
    ("elftool_elf", elf_reader),
    ("elftool_notes", notes),
    ("elftool_manifest", manifest_json),
];

/// `EM_X86_64`, `EM_PPC64` and `EM_ARM`: one machine per manifest layout.
const EM_X86_64: u16 = 62;
const EM_PPC64: u16 = 21;
const EM_ARM: u16 = 40;
const PT_NOTE: u32 = 4;

/// An ELF file shape: class, byte order and machine (which fix the layout).
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub class: Class,
    pub endian: Endian,
    pub machine: u16,
}

/// The shapes the round trip covers: each manifest layout, both byte orders.
pub const SHAPES: [Shape; 4] = [
    Shape {
        class: Class::Elf64,
        endian: Endian::Little,
        machine: EM_X86_64,
    },
    Shape {
        class: Class::Elf64,
        endian: Endian::Big,
        machine: EM_PPC64,
    },
    Shape {
        class: Class::Elf32,
        endian: Endian::Little,
        machine: EM_386,
    },
    Shape {
        class: Class::Elf32,
        endian: Endian::Big,
        machine: EM_ARM,
    },
];

fn put16(out: &mut [u8], at: usize, e: Endian, v: u16) {
    let b = match e {
        Endian::Little => v.to_le_bytes(),
        Endian::Big => v.to_be_bytes(),
    };
    out[at..at + 2].copy_from_slice(&b);
}

fn put32(out: &mut [u8], at: usize, e: Endian, v: u32) {
    let b = match e {
        Endian::Little => v.to_le_bytes(),
        Endian::Big => v.to_be_bytes(),
    };
    out[at..at + 4].copy_from_slice(&b);
}

fn put64(out: &mut [u8], at: usize, e: Endian, v: u64) {
    let b = match e {
        Endian::Little => v.to_le_bytes(),
        Endian::Big => v.to_be_bytes(),
    };
    out[at..at + 8].copy_from_slice(&b);
}

/// An executable of `shape` whose only program header is a `PT_NOTE`
/// segment holding `notes` (4-byte note alignment, as linkers emit it).
pub fn elf_with_notes(shape: Shape, notes: &[u8]) -> Vec<u8> {
    let e = shape.endian;
    let (ehsize, phsize) = match shape.class {
        Class::Elf64 => (64usize, 56usize),
        Class::Elf32 => (52, 32),
    };
    let note_off = (ehsize + phsize).next_multiple_of(8);
    let mut out = vec![0u8; note_off + notes.len()];
    out[..4].copy_from_slice(b"\x7fELF");
    out[4] = match shape.class {
        Class::Elf32 => 1,
        Class::Elf64 => 2,
    };
    out[5] = match e {
        Endian::Little => 1,
        Endian::Big => 2,
    };
    out[6] = 1;
    put16(&mut out, 16, e, 2); // ET_EXEC
    put16(&mut out, 18, e, shape.machine);
    put32(&mut out, 20, e, 1);
    let (len, off) = (notes.len() as u64, note_off as u64);
    match shape.class {
        Class::Elf64 => {
            put64(&mut out, 32, e, ehsize as u64); // e_phoff
            put16(&mut out, 52, e, ehsize as u16);
            put16(&mut out, 54, e, phsize as u16);
            put16(&mut out, 56, e, 1);
            let p = ehsize;
            put32(&mut out, p, e, PT_NOTE);
            put32(&mut out, p + 4, e, 4); // PF_R
            put64(&mut out, p + 8, e, off);
            put64(&mut out, p + 32, e, len);
            put64(&mut out, p + 40, e, len);
            put64(&mut out, p + 48, e, 4);
        }
        Class::Elf32 => {
            put32(&mut out, 28, e, ehsize as u32);
            put16(&mut out, 40, e, ehsize as u16);
            put16(&mut out, 42, e, phsize as u16);
            put16(&mut out, 44, e, 1);
            let p = ehsize;
            put32(&mut out, p, e, PT_NOTE);
            put32(&mut out, p + 4, e, off as u32);
            put32(&mut out, p + 16, e, len as u32);
            put32(&mut out, p + 20, e, len as u32);
            put32(&mut out, p + 24, e, 4);
            put32(&mut out, p + 28, e, 4);
        }
    }
    out[note_off..].copy_from_slice(notes);
    out
}

/// The MFT1 note a C compiler makes of `gen-manifest`'s output for `m`
/// (include/mft_abi.h: a 20-byte header, padding to the struct's
/// alignment, then `struct mft` with the reserved entry first).
pub fn manifest_note(shape: Shape, m: &Manifest) -> Vec<u8> {
    let l = MftLayout::for_elf(shape.class, shape.machine);
    let e = shape.endian;
    let entries = m.devices.len() + 1;
    let payload = l.header + entries * l.entry;
    // Every layout's entry size is a multiple of its alignment, so the C
    // struct has no tail padding: the descriptor is exactly pad + payload.
    let descsz = l.pad() + payload;
    let mut note = vec![0u8; 20 + descsz];
    put32(&mut note, 0, e, SOLO5_NOTE_NAME.len() as u32);
    put32(&mut note, 4, e, descsz as u32);
    put32(&mut note, 8, e, MFT1_NOTE_TYPE);
    note[12..12 + SOLO5_NOTE_NAME.len()].copy_from_slice(SOLO5_NOTE_NAME);
    let base = 20 + l.pad();
    put32(&mut note, base, e, MFT_VERSION);
    put32(&mut note, base + 4, e, entries as u32);
    let types =
        std::iter::once(MFT_RESERVED_FIRST).chain(m.devices.iter().map(|d| match d.dtype {
            DeviceType::NetBasic => MFT_DEV_NET_BASIC,
            DeviceType::BlockBasic => MFT_DEV_BLOCK_BASIC,
        }));
    let names = std::iter::once("").chain(m.devices.iter().map(|d| d.name.as_str()));
    for (i, (ty, name)) in types.zip(names).enumerate() {
        let at = base + l.header + i * l.entry;
        note[at..at + name.len()].copy_from_slice(name.as_bytes());
        put32(&mut note, at + l.type_off, e, ty);
    }
    note
}

/// The entries a `gen-manifest` C file declares after the reserved one:
/// `(name, C type)` pairs, read back from its initialiser lines.
fn c_entries(c: &str) -> Vec<(String, String)> {
    c.lines()
        .filter_map(|l| l.trim().strip_prefix("{ .name = \""))
        .filter_map(|rest| {
            let (name, rest) = rest.split_once("\", .type = ")?;
            let ty = rest.strip_suffix(" },")?;
            Some((name.to_string(), ty.to_string()))
        })
        .filter(|(_, ty)| ty != "MFT_RESERVED_FIRST")
        .collect()
}

/// What `query-manifest` prints for `m` must be JSON whose devices are
/// `m`'s, names and types, in order.
fn check_query_json(m: &Manifest) {
    let text = m.to_json();
    let v: serde_json::Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => panic!("query-manifest output is not JSON ({e}):\n{text}"),
    };
    let devices = v["devices"].as_array().expect("devices is an array");
    assert_eq!(devices.len(), m.devices.len(), "{text}");
    for (j, d) in devices.iter().zip(&m.devices) {
        assert_eq!(j["name"].as_str(), Some(d.name.as_str()), "{text}");
        assert_eq!(j["type"].as_str(), Some(d.dtype.as_str()), "{text}");
    }
    assert_eq!(v["type"].as_str(), Some("solo5.manifest"));
    assert_eq!(v["version"].as_u64(), Some(u64::from(MFT_VERSION)));
}

/// Reads the manifest of every shape's encoding of `m`; each must be `m`.
fn check_note_round_trip(m: &Manifest) {
    for shape in SHAPES {
        let elf_bytes = elf_with_notes(shape, &manifest_note(shape, m));
        let elf = Elf::parse(&elf_bytes).expect("the encoder's ELF header parses");
        match notes::read_manifest(&elf) {
            Ok(Some(back)) => assert_eq!(&back, m, "{shape:?}"),
            other => panic!("{shape:?}: manifest {m:?} reads back as {other:?}"),
        }
    }
}

/// Target `elf_reader`: any bytes as an ELF file. Nothing panics, every
/// note found lies inside the file, the same input parses the same way
/// twice, and a manifest that reads must print as JSON and re-encode to
/// itself.
pub fn elf_reader(data: &[u8]) {
    let Ok(elf) = Elf::parse(data) else {
        return;
    };
    let again = Elf::parse(data).expect("a file that parsed once parses again");
    assert_eq!(elf.header, again.header);
    if let Ok(phs) = elf.program_headers() {
        assert_eq!(phs.len(), elf.header.phnum as usize);
    }
    if let Ok(shs) = elf.section_headers() {
        for sh in &shs {
            if let Some(name) = elf.section_name(&shs, sh) {
                assert!(!name.contains(&0), "section names end at their NUL");
                assert!(within(data, name), "section name outside the file");
            }
        }
    }
    if let Ok(found) = elf.notes() {
        for n in &found {
            assert!(within(data, n.name), "note name outside the file");
            let end = n.offset.checked_add(n.room).expect("note room overflows");
            assert!(end <= data.len(), "note region past the end of the file");
            assert!(12 + n.name.len() <= n.room, "note header past its region");
        }
    }
    let _ = notes::read_abi(&elf);
    check_manifest_reader(&elf);
}

/// A manifest read from `elf` prints as JSON and is a fixpoint of
/// encode-then-read.
fn check_manifest_reader(elf: &Elf<'_>) {
    if let Ok(Some(m)) = notes::read_manifest(elf) {
        assert!(m.devices.len() < 64, "more devices than entries");
        check_query_json(&m);
        check_note_round_trip(&m);
    }
}

/// Whether `part` is a sub-slice of `whole`.
fn within(whole: &[u8], part: &[u8]) -> bool {
    let (w, p) = (whole.as_ptr() as usize, part.as_ptr() as usize);
    p >= w && p + part.len() <= w + whole.len()
}

/// Target `notes`: the first byte picks a shape, the rest is the content
/// of a `PT_NOTE` segment of a well-formed executable, so mutations go
/// into the notes. Checks as `elf_reader` does.
pub fn notes(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let shape = SHAPES[usize::from(pick) % SHAPES.len()];
    let elf_bytes = elf_with_notes(shape, rest);
    let elf = Elf::parse(&elf_bytes).expect("the encoder's ELF header parses");
    let found = elf.notes();
    if let Ok(found) = &found {
        for n in found {
            assert!(n.offset >= elf_bytes.len() - rest.len());
            assert!(n.offset + n.room == elf_bytes.len());
        }
    }
    let _ = notes::read_abi(&elf);
    check_manifest_reader(&elf);
}

/// Target `manifest_json`: any bytes as a JSON manifest. Whatever the
/// validator accepts obeys the manifest rules and survives every round
/// trip: query JSON back through the validator, the C source, and the ELF
/// note in every layout.
pub fn manifest_json(data: &[u8]) {
    let Ok(m) = manifest::parse(data) else {
        return;
    };
    assert!(m.devices.len() <= manifest::MAX_DEVICES);
    for (i, d) in m.devices.iter().enumerate() {
        assert!(!d.name.is_empty());
        assert!(d.name.len() <= manifest::NAME_MAX && d.name.len() < MFT_NAME_SIZE);
        assert!(!d.name.contains('\0'));
        assert!(
            m.devices[..i].iter().all(|o| o.name != d.name),
            "device {:?} declared twice",
            d.name
        );
    }
    let json = m.to_json();
    match manifest::parse(json.as_bytes()) {
        Ok(back) => assert_eq!(back, m, "query JSON:\n{json}"),
        Err(e) => panic!("the validator rejects its own output ({e}):\n{json}"),
    }
    check_query_json(&m);
    let c = manifest::to_c(&m);
    let want: Vec<(String, String)> = m
        .devices
        .iter()
        .map(|d| (d.name.clone(), d.dtype.c_name().to_string()))
        .collect();
    assert_eq!(c_entries(&c), want, "gen-manifest C:\n{c}");
    let entries = format!("#define MFT_ENTRIES {}\n", m.devices.len() + 1);
    assert!(c.contains(&entries), "gen-manifest C:\n{c}");
    check_note_round_trip(&m);
}
