//! The rules a manifest note must follow, written once for elftool and the
//! tenders.
//!
//! `solo5-elftool query-manifest` checks a manifest with [`validate`]; the
//! tenders check it with `mft_validate()` in tenders/common/mft.c. Both walk
//! the rules of [`Rule::ALL`] in the same order and report the same
//! [`Violation`] (rule, entry, value). Everything both need to agree on —
//! the rule list and its messages, the device kinds, the name alphabet and
//! the limits — lives here: tenders/common/mft_rules.h is rendered from this
//! file by [`c_header`] (the `c_header_is_current` test rewrites it when it
//! is stale), and elftool/tests/mft_differential.rs feeds thousands of
//! mutated notes to both checkers and requires the same verdict.
//!
//! Where the two used to disagree, the verdict follows Solo5, whose elftool
//! and tenders share one validator (`mft_validate()` in its
//! tenders/common/mft.c): an entry marked attached is refused; a name must
//! have a NUL as its last byte (what follows the first NUL is ignored);
//! entry 0 must be the reserved type with an empty name; entries of a
//! reserved type (>= `MFT_RESERVED_FIRST`) after entry 0 are skipped. Solo5
//! accepts empty, non-alphanumeric or repeated device names and unknown
//! device types at load time, but such a device can never be attached (its
//! tenders take `[A-Za-z0-9]+` names on the command line and claim the first
//! entry of a name), so the run fails later; here the manifest is refused at
//! once, with the reason — as Solo5's `gen-manifest` refuses to write one.
//! A file with two manifest notes is refused too (elf_note.c, notes.rs):
//! Solo5's loader would silently use the first.

use std::fmt;

use crate::elf::Endian;
use crate::notes::{DeviceType, MftLayout};

/// Manifest ABI version (`struct mft.version`).
pub const VERSION: u32 = 1;
/// Entries in a manifest, the reserved first one included.
pub const MAX_ENTRIES: u32 = 64;
/// Bytes of `struct mft_entry.name`, terminating NUL included.
pub const NAME_SIZE: usize = 68;
/// Longest device name, in bytes.
pub const NAME_MAX: usize = NAME_SIZE - 1;
/// Type of entry 0; types from here on are reserved (and skipped).
pub const RESERVED_FIRST: u32 = 1 << 30;
/// The bytes a device name may contain (Solo5's tenders take `[A-Za-z0-9]`).
pub const NAME_CHARS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// One kind of device a manifest can declare.
#[derive(Clone, Copy, Debug)]
pub struct Kind {
    pub dtype: DeviceType,
    /// `mft_type_t` value.
    pub code: u32,
    /// The C enumerator in mft_abi.h.
    pub c_enum: &'static str,
    /// The JSON spelling (manifest.json, query-manifest).
    pub json: &'static str,
    /// What tender options and messages call it (`--block:`, `--net:`).
    pub option: &'static str,
}

pub const KINDS: &[Kind] = &[
    Kind {
        dtype: DeviceType::BlockBasic,
        code: 1,
        c_enum: "MFT_DEV_BLOCK_BASIC",
        json: "BLOCK_BASIC",
        option: "block",
    },
    Kind {
        dtype: DeviceType::NetBasic,
        code: 2,
        c_enum: "MFT_DEV_NET_BASIC",
        json: "NET_BASIC",
        option: "net",
    },
];

/// The kind with `code`, if any.
pub fn kind_of_code(code: u32) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.code == code)
}

/// The kind of `dtype`.
pub fn kind_of(dtype: DeviceType) -> &'static Kind {
    KINDS
        .iter()
        .find(|k| k.dtype == dtype)
        .expect("every DeviceType has a row in KINDS")
}

/// Whether `b` may appear in a device name.
pub fn name_char_ok(b: u8) -> bool {
    NAME_CHARS.as_bytes().contains(&b)
}

/// The rules, in the order both checkers apply them. Header rules first;
/// then, entry by entry: the per-entry rules, entry 0's rules (entry 0),
/// the device rules (other entries of a non-reserved type).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    Short,
    Version,
    TooManyEntries,
    NoEntries,
    Size,
    Unterminated,
    Attached,
    FirstType,
    FirstName,
    UnknownType,
    EmptyName,
    NameChar,
    Duplicate,
}

impl Rule {
    pub const ALL: [Rule; 13] = [
        Rule::Short,
        Rule::Version,
        Rule::TooManyEntries,
        Rule::NoEntries,
        Rule::Size,
        Rule::Unterminated,
        Rule::Attached,
        Rule::FirstType,
        Rule::FirstName,
        Rule::UnknownType,
        Rule::EmptyName,
        Rule::NameChar,
        Rule::Duplicate,
    ];

    /// Short identifier: `MFT_RULE_<ID>` in C, printed by the differential
    /// test's C program.
    pub fn id(self) -> &'static str {
        match self {
            Rule::Short => "short",
            Rule::Version => "version",
            Rule::TooManyEntries => "too_many_entries",
            Rule::NoEntries => "no_entries",
            Rule::Size => "size",
            Rule::Unterminated => "unterminated",
            Rule::Attached => "attached",
            Rule::FirstType => "first_type",
            Rule::FirstName => "first_name",
            Rule::UnknownType => "unknown_type",
            Rule::EmptyName => "empty_name",
            Rule::NameChar => "name_char",
            Rule::Duplicate => "duplicate",
        }
    }

    /// The message; `{}` (at most once) stands for the violation's value.
    pub fn template(self) -> &'static str {
        match self {
            Rule::Short => "{} bytes is too short for a manifest header",
            Rule::Version => "version {} is not supported (this is version 1)",
            Rule::TooManyEntries => "{} entries, at most 64 are allowed",
            Rule::NoEntries => "no entries (the reserved first entry is missing)",
            Rule::Size => "{} bytes do not match its entry count",
            Rule::Unterminated => "device name is not NUL-terminated",
            Rule::Attached => "marked as attached (only a tender may set that)",
            Rule::FirstType => "the first entry must be of the reserved type, not {}",
            Rule::FirstName => "the first (reserved) entry must have an empty name",
            Rule::UnknownType => "unknown device type {}",
            Rule::EmptyName => "empty device name",
            Rule::NameChar => "byte {} is not allowed in a device name (only A-Z, a-z and 0-9 are)",
            Rule::Duplicate => "device name already declared by entry {}",
        }
    }

    /// Whether the rule is about one entry (its message names it).
    pub fn per_entry(self) -> bool {
        !matches!(
            self,
            Rule::Short | Rule::Version | Rule::TooManyEntries | Rule::NoEntries | Rule::Size
        )
    }
}

/// The first rule a manifest breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Violation {
    pub rule: Rule,
    /// The entry at fault, for per-entry rules.
    pub entry: Option<u32>,
    /// The number the message quotes (0 when it quotes none).
    pub value: u64,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(i) = self.entry {
            write!(f, "entry {i}: ")?;
        }
        f.write_str(&self.rule.template().replace("{}", &self.value.to_string()))
    }
}

/// A device the manifest declares: its entry, name bytes and kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub index: u32,
    pub name: String,
    pub dtype: DeviceType,
}

fn u32_at(endian: Endian, p: &[u8], off: usize) -> u32 {
    let b: [u8; 4] = p[off..off + 4].try_into().expect("4 bytes");
    endian.u32(b)
}

/// Checks a manifest payload (the note descriptor without its padding)
/// laid out as `layout` with byte order `endian`; returns the devices.
pub fn validate(p: &[u8], layout: &MftLayout, endian: Endian) -> Result<Vec<Entry>, Violation> {
    let fail = |rule: Rule, entry: Option<u32>, value: u64| Err(Violation { rule, entry, value });
    if p.len() < layout.header {
        return fail(Rule::Short, None, p.len() as u64);
    }
    let version = u32_at(endian, p, 0);
    let entries = u32_at(endian, p, 4);
    if version != VERSION {
        return fail(Rule::Version, None, version.into());
    }
    if entries > MAX_ENTRIES {
        return fail(Rule::TooManyEntries, None, entries.into());
    }
    if entries == 0 {
        return fail(Rule::NoEntries, None, 0);
    }
    if p.len() != layout.header + entries as usize * layout.entry {
        return fail(Rule::Size, None, p.len() as u64);
    }
    let mut devices: Vec<Entry> = Vec::new();
    for i in 0..entries {
        let at = layout.header + i as usize * layout.entry;
        let raw = &p[at..at + layout.entry];
        let name = &raw[..NAME_SIZE];
        let code = u32_at(endian, raw, layout.type_off);
        if name[NAME_MAX] != 0 {
            return fail(Rule::Unterminated, Some(i), 0);
        }
        if raw[layout.attached_off] != 0 {
            return fail(Rule::Attached, Some(i), 0);
        }
        let len = name.iter().position(|&b| b == 0).unwrap_or(NAME_MAX);
        let name = &name[..len];
        if i == 0 {
            if code != RESERVED_FIRST {
                return fail(Rule::FirstType, Some(i), code.into());
            }
            if !name.is_empty() {
                return fail(Rule::FirstName, Some(i), 0);
            }
            continue;
        }
        if code >= RESERVED_FIRST {
            continue;
        }
        let Some(kind) = kind_of_code(code) else {
            return fail(Rule::UnknownType, Some(i), code.into());
        };
        if name.is_empty() {
            return fail(Rule::EmptyName, Some(i), 0);
        }
        if let Some(&b) = name.iter().find(|&&b| !name_char_ok(b)) {
            return fail(Rule::NameChar, Some(i), b.into());
        }
        if let Some(first) = devices.iter().find(|d| d.name.as_bytes() == name) {
            return fail(Rule::Duplicate, Some(i), first.index.into());
        }
        devices.push(Entry {
            index: i,
            // Checked above: ASCII letters and digits only.
            name: String::from_utf8_lossy(name).into_owned(),
            dtype: kind.dtype,
        });
    }
    Ok(devices)
}

/// Path of the rendered header, relative to the workspace.
pub const C_HEADER: &str = "tenders/common/mft_rules.h";

fn c_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        assert!(
            c.is_ascii_graphic() || c == ' ',
            "{s:?}: only printable ASCII goes into the C header"
        );
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// tenders/common/mft_rules.h: the rules above as C, for mft.c.
pub fn c_header() -> String {
    let mut h = String::new();
    h.push_str(
        "/*\n * Generated from elftool/src/mft_rules.rs by its c_header_is_current test\n\
         \x20* (`cargo test -p elftool`); do not edit.\n *\n\
         \x20* mft_rules.h: the manifest rules shared with solo5-elftool. Included\n\
         \x20* by mft.c only.\n */\n\n\
         #ifndef TENDER_MFT_RULES_H\n#define TENDER_MFT_RULES_H\n\n\
         #include \"mft_abi.h\"\n\n",
    );
    h.push_str("/* mft_abi.h must say what the rules say. */\n");
    let consts = [
        ("MFT_VERSION", VERSION.to_string()),
        ("MFT_MAX_ENTRIES", MAX_ENTRIES.to_string()),
        ("MFT_NAME_SIZE", NAME_SIZE.to_string()),
        ("MFT_RESERVED_FIRST", format!("{RESERVED_FIRST}U")),
    ];
    let kinds = KINDS.iter().map(|k| (k.c_enum, k.code.to_string()));
    for (name, value) in consts.into_iter().chain(kinds) {
        h.push_str(&format!("_Static_assert({name} == {value}, \"{name}\");\n"));
    }
    h.push_str("\n/* The rules, in the order they are checked. */\nenum mft_rule {\n    MFT_RULE_OK = 0,\n");
    for r in Rule::ALL {
        h.push_str(&format!("    MFT_RULE_{},\n", r.id().to_uppercase()));
    }
    h.push_str("};\n\n");
    h.push_str(&format!(
        "/* Bytes a device name may contain. */\n#define MFT_RULE_NAME_CHARS{:>53}\n    {}\n\n",
        "\\",
        c_string(NAME_CHARS)
    ));
    h.push_str(
        "/* Device kinds: type, option name, JSON name. */\n\
         static const struct mft_rule_kind {\n    mft_type_t type;\n    const char *option;\n    \
         const char *json;\n} mft_rule_kinds[] = {\n",
    );
    for k in KINDS {
        h.push_str(&format!(
            "    {{{}, {}, {}}},\n",
            k.c_enum,
            c_string(k.option),
            c_string(k.json)
        ));
    }
    h.push_str("};\n\n");
    h.push_str("static const char *const mft_rule_ids[] = {\n    [MFT_RULE_OK] = \"ok\",\n");
    for r in Rule::ALL {
        h.push_str(&format!(
            "    [MFT_RULE_{}] = {},\n",
            r.id().to_uppercase(),
            c_string(r.id())
        ));
    }
    h.push_str("};\n\n");
    h.push_str(
        "/* printf formats of the messages; each quotes at most one unsigned long\n\
         \x20* long, the violation's value. */\n\
         static const char *const mft_rule_formats[] = {\n    \"no rule is broken\",\n",
    );
    for r in Rule::ALL {
        let t = r.template();
        assert!(!t.contains('%'), "{t:?}: no % in rule messages");
        h.push_str(&format!(
            "    {},\n",
            c_string(&t.replacen("{}", "%llu", 1))
        ));
    }
    h.push_str("};\n\n#endif /* TENDER_MFT_RULES_H */\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn c_header_is_current() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(C_HEADER);
        let want = c_header();
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        if have != want {
            std::fs::write(&path, &want)
                .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
            panic!("{C_HEADER} was stale and has been rewritten: review it and commit it");
        }
    }

    #[test]
    fn templates_quote_at_most_one_value() {
        for r in Rule::ALL {
            assert!(r.template().matches("{}").count() <= 1, "{r:?}");
        }
        assert!(Rule::Version.template().contains(&VERSION.to_string()));
        assert!(Rule::TooManyEntries
            .template()
            .contains(&MAX_ENTRIES.to_string()));
    }

    #[test]
    fn kinds_cover_every_device_type() {
        for dtype in [DeviceType::NetBasic, DeviceType::BlockBasic] {
            assert_eq!(kind_of(dtype).dtype, dtype);
            assert!(kind_of(dtype).code < RESERVED_FIRST);
        }
        assert!(name_char_ok(b'a') && name_char_ok(b'Z') && name_char_ok(b'0'));
        assert!(!name_char_ok(b'-') && !name_char_ok(b'_') && !name_char_ok(0));
    }
}
