//! Decoding of the Solo5 notes ("ABI1" and "MFT1") found in an ELF file.
//!
//! Layout facts (see include/elf_abi.h and include/mft_abi.h):
//! - owner name "Solo5" (n_namesz 6); the 20-byte header is followed by the
//!   descriptor; the payload starts at `round_up(20, A)` from the start of
//!   the note, where `A` is the payload's C alignment, and the descriptor's
//!   first `round_up(20, A) - 20` bytes are padding;
//! - ABI1: type 0x31494241, payload `{u32 target, u32 version, u32, u32}`;
//! - MFT1: type 0x3154464d, payload `struct mft` (header + entries).

use crate::elf::{Class, Elf, ElfError, Endian, EM_386, EM_IAMCU};
use crate::mft_rules::{self, Violation};

pub const SOLO5_NOTE_NAME: &[u8] = b"Solo5\0";
pub const ABI1_NOTE_TYPE: u32 = 0x3149_4241;
pub const MFT1_NOTE_TYPE: u32 = 0x3154_464d;

pub const MFT_VERSION: u32 = mft_rules::VERSION;
pub const MFT_MAX_ENTRIES: u32 = mft_rules::MAX_ENTRIES;
pub const MFT_NAME_SIZE: usize = mft_rules::NAME_SIZE;
pub const MFT_DEV_BLOCK_BASIC: u32 = 1;
pub const MFT_DEV_NET_BASIC: u32 = 2;
pub const MFT_RESERVED_FIRST: u32 = mft_rules::RESERVED_FIRST;

/// Size of the note header with the "Solo5" name inlined.
const SOLO5_NHDR_SIZE: usize = 20;

/// The ABI note of a unikernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Abi {
    pub target: u32,
    pub version: u32,
}

impl Abi {
    /// The binding name for `target`, as Solo5 spells it.
    pub fn target_name(&self) -> &'static str {
        match self.target {
            1 => "hvt",
            2 => "spt",
            3 => "virtio",
            4 => "muen",
            5 => "genode",
            6 => "xen",
            _ => "unknown",
        }
    }

    /// JSON, in the shape `solo5-elftool query-abi` prints.
    pub fn to_json(&self) -> String {
        format!(
            "{{\n  \"type\": \"solo5.abi\",\n  \"target\": \"{}\",\n  \"version\": {}\n}}\n",
            self.target_name(),
            self.version
        )
    }
}

/// Device kinds a manifest can declare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceType {
    NetBasic,
    BlockBasic,
}

impl DeviceType {
    /// The JSON spelling, e.g. "NET_BASIC".
    pub fn as_str(self) -> &'static str {
        mft_rules::kind_of(self).json
    }

    /// The C enumerator, e.g. "MFT_DEV_NET_BASIC".
    pub fn c_name(self) -> &'static str {
        mft_rules::kind_of(self).c_enum
    }

    pub fn parse(s: &str) -> Option<Self> {
        mft_rules::KINDS
            .iter()
            .find(|k| k.json == s)
            .map(|k| k.dtype)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    pub name: String,
    pub dtype: DeviceType,
}

/// A manifest: the user's devices (the reserved first entry is implicit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    pub devices: Vec<Device>,
}

/// Escape `s` for use inside a JSON string literal.
pub fn json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

impl Manifest {
    /// JSON, in the shape `solo5-elftool query-manifest` prints.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\n  \"type\": \"solo5.manifest\",\n");
        out.push_str(&format!(
            "  \"version\": {MFT_VERSION},\n  \"devices\": [\n"
        ));
        for (i, d) in self.devices.iter().enumerate() {
            let comma = if i + 1 == self.devices.len() { "" } else { "," };
            out.push_str(&format!(
                "    {{ \"name\": \"{}\", \"type\": \"{}\" }}{comma}\n",
                json_escape(&d.name),
                d.dtype.as_str()
            ));
        }
        out.push_str("  ]\n}\n");
        out
    }
}

/// C layout of the manifest structures for one target ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MftLayout {
    /// Alignment of `struct mft` (and so of the payload within the note).
    pub align: usize,
    /// `offsetof(struct mft, e)`.
    pub header: usize,
    /// `sizeof(struct mft_entry)`.
    pub entry: usize,
    /// `offsetof(struct mft_entry, type)`.
    pub type_off: usize,
    /// `offsetof(struct mft_entry, attached)`.
    pub attached_off: usize,
}

impl MftLayout {
    /// The layout a C compiler gives `struct mft` for this ELF file.
    ///
    /// 64-bit (LP64): entry = name[68] type@68 u@72(16) b@88(8) attached@96,
    /// size 104, alignment 8. 32-bit: `b` is 4 bytes; on i386 a uint64_t is
    /// only 4-aligned, which also shrinks the union `u`.
    pub fn for_elf(class: Class, machine: u16) -> Self {
        match class {
            Class::Elf64 => MftLayout {
                align: 8,
                header: 8,
                entry: 104,
                type_off: 68,
                attached_off: 96,
            },
            Class::Elf32 if machine == EM_386 || machine == EM_IAMCU => MftLayout {
                align: 4,
                header: 8,
                entry: 92,
                type_off: 68,
                attached_off: 88,
            },
            Class::Elf32 => MftLayout {
                align: 8,
                header: 8,
                entry: 96,
                type_off: 68,
                attached_off: 92,
            },
        }
    }

    /// Padding between the 20-byte note header and the payload.
    pub fn pad(&self) -> usize {
        SOLO5_NHDR_SIZE.next_multiple_of(self.align) - SOLO5_NHDR_SIZE
    }
}

/// Find the first Solo5 note of `n_type` and return its payload: the
/// descriptor minus the leading alignment padding for `align`.
fn solo5_payload<'a>(
    elf: &Elf<'a>,
    n_type: u32,
    align: usize,
) -> Result<Option<&'a [u8]>, ElfError> {
    let notes = elf.notes()?;
    let mut found = notes
        .iter()
        .filter(|n| n.name == SOLO5_NOTE_NAME && n.n_type == n_type);
    let Some(note) = found.next() else {
        return Ok(None);
    };
    if let Some(again) = found.next() {
        // The tenders refuse this too (elf_note.c): which note would count
        // is not obvious, so none does.
        return Err(ElfError(format!(
            "more than one Solo5 note of type {n_type:#x} (at offsets {:#x} and {:#x})",
            note.offset, again.offset
        )));
    }
    let start = SOLO5_NHDR_SIZE.next_multiple_of(align);
    let pad = start - SOLO5_NHDR_SIZE;
    let descsz = note.descsz as usize;
    if descsz == 0 {
        // An empty note: no padding, no payload; the caller says why that
        // is not enough.
        return Ok(Some(&[]));
    }
    if descsz < pad {
        return Err(ElfError(format!(
            "Solo5 note at offset {:#x}: descriptor size {descsz} is smaller than its {pad} \
             bytes of alignment padding",
            note.offset
        )));
    }
    let len = descsz - pad;
    // The descriptor must fit in its region when measured Solo5's way too.
    match start.checked_add(len) {
        Some(end) if end <= note.room => {}
        _ => {
            return Err(ElfError(format!(
                "Solo5 note at offset {:#x}: descriptor extends past the end of its note region",
                note.offset
            )))
        }
    }
    let payload = elf.slice(note.offset + start, len).ok_or_else(|| {
        ElfError(format!(
            "truncated file: Solo5 note at offset {:#x}",
            note.offset
        ))
    })?;
    Ok(Some(payload))
}

fn u32_at(endian: Endian, data: &[u8], off: usize) -> Option<u32> {
    let b: [u8; 4] = data.get(off..off.checked_add(4)?)?.try_into().ok()?;
    Some(endian.u32(b))
}

/// Read the ABI note, if present.
pub fn read_abi(elf: &Elf<'_>) -> Result<Option<Abi>, ElfError> {
    let Some(p) = solo5_payload(elf, ABI1_NOTE_TYPE, 4)? else {
        return Ok(None);
    };
    if p.len() < 16 || p.len() > 32 {
        return Err(ElfError(format!(
            "Solo5 ABI note has a {}-byte descriptor, expected 16",
            p.len()
        )));
    }
    let e = elf.header.endian;
    let (Some(target), Some(version)) = (u32_at(e, p, 0), u32_at(e, p, 4)) else {
        return Err(ElfError("Solo5 ABI note is truncated".into()));
    };
    Ok(Some(Abi { target, version }))
}

/// The manifest note's verdict, if there is one: note-level problems (a
/// malformed or repeated note) are the outer error, the manifest rules'
/// verdict (mft_rules.rs) the inner result.
pub fn check_manifest(
    elf: &Elf<'_>,
) -> Result<Option<Result<Vec<mft_rules::Entry>, Violation>>, ElfError> {
    let layout = MftLayout::for_elf(elf.header.class, elf.header.machine);
    let Some(p) = solo5_payload(elf, MFT1_NOTE_TYPE, layout.align)? else {
        return Ok(None);
    };
    Ok(Some(mft_rules::validate(p, &layout, elf.header.endian)))
}

/// Read and validate the manifest note, if present, by the rules the
/// tenders apply (mft_rules.rs).
pub fn read_manifest(elf: &Elf<'_>) -> Result<Option<Manifest>, ElfError> {
    match check_manifest(elf)? {
        None => Ok(None),
        Some(Err(v)) => Err(ElfError(format!("invalid Solo5 manifest: {v}"))),
        Some(Ok(entries)) => Ok(Some(Manifest {
            devices: entries
                .into_iter()
                .map(|e| Device {
                    name: e.name,
                    dtype: e.dtype,
                })
                .collect(),
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elf::tests::{all_builders, Builder};

    fn mft_payload(b: &Builder, layout: &MftLayout, entries: &[(&str, u32)]) -> Vec<u8> {
        let mut out = vec![0u8; layout.pad()];
        out.extend(b.u32s(&[MFT_VERSION, entries.len() as u32]));
        out.resize(layout.pad() + layout.header, 0);
        for (name, code) in entries {
            let mut e = vec![0u8; layout.entry];
            e[..name.len()].copy_from_slice(name.as_bytes());
            e[layout.type_off..layout.type_off + 4].copy_from_slice(&b.u32s(&[*code]));
            out.extend(e);
        }
        out
    }

    fn sample(b: &Builder) -> (Vec<u8>, Vec<u8>) {
        let layout = MftLayout::for_elf(b.class, b.machine);
        let desc = mft_payload(
            b,
            &layout,
            &[
                ("", MFT_RESERVED_FIRST),
                ("service0", MFT_DEV_NET_BASIC),
                ("storage", MFT_DEV_BLOCK_BASIC),
            ],
        );
        let mut notes = b.note(b"GNU\0", 3, &[9; 20]);
        notes.extend(b.note(SOLO5_NOTE_NAME, ABI1_NOTE_TYPE, &b.u32s(&[1, 2, 0, 0])));
        // The payload's padding is relative to the note's own start, so the
        // note may begin at any 4-byte boundary; make it an odd one.
        notes.extend(b.note(b"X\0", 0, &[0; 4]));
        assert_eq!(notes.len() % 8, 4);
        notes.extend(b.note(SOLO5_NOTE_NAME, MFT1_NOTE_TYPE, &desc));
        (
            b.with_pt_note(&notes),
            b.with_note_section(".note.solo5", &notes),
        )
    }

    #[test]
    fn reads_abi_and_manifest_in_every_class_and_order() {
        for b in all_builders() {
            let (exe, obj) = sample(&b);
            for file in [exe, obj] {
                let elf = Elf::parse(&file).expect("parse");
                let abi = read_abi(&elf).expect("abi").expect("abi present");
                assert_eq!(
                    abi,
                    Abi {
                        target: 1,
                        version: 2
                    }
                );
                assert_eq!(abi.target_name(), "hvt");
                let m = read_manifest(&elf).expect("manifest").expect("present");
                assert_eq!(
                    m.devices,
                    vec![
                        Device {
                            name: "service0".into(),
                            dtype: DeviceType::NetBasic
                        },
                        Device {
                            name: "storage".into(),
                            dtype: DeviceType::BlockBasic
                        },
                    ],
                    "{:?} {:?}",
                    b.class,
                    b.endian
                );
            }
        }
    }

    #[test]
    fn i386_layout_is_packed_tighter() {
        let b = Builder {
            class: Class::Elf32,
            endian: Endian::Little,
            machine: EM_386,
            e_type: 2,
        };
        let layout = MftLayout::for_elf(b.class, b.machine);
        assert_eq!(layout.pad(), 0);
        let desc = mft_payload(
            &b,
            &layout,
            &[("", MFT_RESERVED_FIRST), ("a", MFT_DEV_NET_BASIC)],
        );
        let file = b.with_pt_note(&b.note(SOLO5_NOTE_NAME, MFT1_NOTE_TYPE, &desc));
        let m = read_manifest(&Elf::parse(&file).expect("parse"))
            .expect("ok")
            .expect("some");
        assert_eq!(m.devices.len(), 1);
    }

    #[test]
    fn missing_notes_are_none() {
        for b in all_builders() {
            let file = b.with_pt_note(&b.note(b"GNU\0", 3, &[0; 4]));
            let elf = Elf::parse(&file).expect("parse");
            assert_eq!(read_abi(&elf).expect("ok"), None);
            assert_eq!(read_manifest(&elf).expect("ok"), None);
        }
    }

    #[test]
    fn invalid_manifests_are_rejected() {
        let b = &all_builders()[2]; // ELF64 little endian
        let layout = MftLayout::for_elf(b.class, b.machine);
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (
                mft_payload(b, &layout, &[("x", MFT_DEV_NET_BASIC)]),
                "entry 0: the first entry must be of the reserved type, not 2",
            ),
            (
                mft_payload(b, &layout, &[("", MFT_RESERVED_FIRST), ("x", 77)]),
                "unknown device type 77",
            ),
            (mft_payload(b, &layout, &[]), "no entries"),
            (
                {
                    let mut p = mft_payload(b, &layout, &[("", MFT_RESERVED_FIRST)]);
                    p.truncate(p.len() - 1);
                    p
                },
                "do not match its entry count",
            ),
            (
                {
                    let mut p = mft_payload(b, &layout, &[("", MFT_RESERVED_FIRST)]);
                    let at = layout.pad();
                    p[at..at + 4].copy_from_slice(&b.u32s(&[2]));
                    p
                },
                "version 2 is not supported",
            ),
            (
                {
                    let mut p = mft_payload(
                        b,
                        &layout,
                        &[("", MFT_RESERVED_FIRST), ("a", MFT_DEV_NET_BASIC)],
                    );
                    let at = layout.pad() + layout.header + layout.entry + layout.attached_off;
                    p[at] = 1;
                    p
                },
                "attached",
            ),
            (
                {
                    let mut p = mft_payload(
                        b,
                        &layout,
                        &[("", MFT_RESERVED_FIRST), ("a", MFT_DEV_NET_BASIC)],
                    );
                    let at = layout.pad() + layout.header + layout.entry;
                    p[at..at + MFT_NAME_SIZE].fill(b'a');
                    p
                },
                "entry 1: device name is not NUL-terminated",
            ),
        ];
        for (desc, want) in cases {
            let file = b.with_pt_note(&b.note(SOLO5_NOTE_NAME, MFT1_NOTE_TYPE, &desc));
            let elf = Elf::parse(&file).expect("parse");
            let e = read_manifest(&elf).expect_err(want);
            assert!(e.0.contains(want), "{e} does not mention {want}");
        }
    }

    #[test]
    fn json_output_matches_solo5_shape() {
        let m = Manifest {
            devices: vec![
                Device {
                    name: "service0".into(),
                    dtype: DeviceType::NetBasic,
                },
                Device {
                    name: "disk".into(),
                    dtype: DeviceType::BlockBasic,
                },
            ],
        };
        assert_eq!(
            m.to_json(),
            "{\n  \"type\": \"solo5.manifest\",\n  \"version\": 1,\n  \"devices\": [\n    \
             { \"name\": \"service0\", \"type\": \"NET_BASIC\" },\n    \
             { \"name\": \"disk\", \"type\": \"BLOCK_BASIC\" }\n  ]\n}\n"
        );
        let empty = Manifest { devices: vec![] };
        assert_eq!(
            empty.to_json(),
            "{\n  \"type\": \"solo5.manifest\",\n  \"version\": 1,\n  \"devices\": [\n  ]\n}\n"
        );
        let abi = Abi {
            target: 2,
            version: 2,
        };
        assert_eq!(
            abi.to_json(),
            "{\n  \"type\": \"solo5.abi\",\n  \"target\": \"spt\",\n  \"version\": 2\n}\n"
        );
        assert_eq!(
            Abi {
                target: 99,
                version: 1
            }
            .target_name(),
            "unknown"
        );
    }

    #[test]
    fn escapes_json() {
        assert_eq!(json_escape("a\"b\\c\u{1}"), "a\\\"b\\\\c\\u0001");
    }
}
