//! The JSON application manifest: validation and C code generation.
//!
//! Accepted input (manifest format version 1):
//!
//! ```json
//! {
//!   "type": "solo5.manifest",
//!   "version": 1,
//!   "devices": [ { "name": "service0", "type": "NET_BASIC" } ]
//! }
//! ```
//!
//! Every error carries the line and column of the value (or key) at fault.

use std::collections::HashMap;
use std::fmt;

use crate::json::{self, Kind, Member, Pos, Value};
use crate::mft_rules;
use crate::notes::{Device, DeviceType, Manifest, MFT_MAX_ENTRIES, MFT_VERSION};

/// Longest device name, in characters (the C field holds a NUL too).
pub const NAME_MAX: usize = mft_rules::NAME_MAX;
/// Most devices a manifest may declare: entry 0 is reserved.
pub const MAX_DEVICES: usize = MFT_MAX_ENTRIES as usize - 1;

/// A manifest error at a position in the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestError {
    pub pos: Pos,
    pub msg: String,
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.pos, self.msg)
    }
}

fn fail<T>(pos: Pos, msg: impl Into<String>) -> Result<T, ManifestError> {
    Err(ManifestError {
        pos,
        msg: msg.into(),
    })
}

/// Position of byte `offset` of `text` (1-based line and character column).
fn pos_of_byte(text: &[u8], offset: usize) -> Pos {
    let before = &text[..offset.min(text.len())];
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let col = 1 + String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count();
    Pos { line, col }
}

/// Parse and validate manifest source text.
pub fn parse(bytes: &[u8]) -> Result<Manifest, ManifestError> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            return fail(
                pos_of_byte(bytes, e.valid_up_to()),
                "file is not valid UTF-8",
            )
        }
    };
    // serde_json is the reference for JSON syntax; its error positions are
    // reported as they are.
    if let Err(e) = serde_json::from_str::<serde_json::Value>(text) {
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let msg = full.strip_suffix(&suffix).unwrap_or(&full).to_string();
        let pos = Pos {
            line: e.line().max(1),
            col: e.column().max(1),
        };
        return fail(pos, format!("invalid JSON: {msg}"));
    }
    // Syntax is known good: parse again keeping positions.
    let root = json::parse(text).map_err(|e| ManifestError {
        pos: e.pos,
        msg: format!("invalid JSON: {}", e.msg),
    })?;
    validate(&root)
}

/// Iterate the members of an object, rejecting unknown and repeated keys.
fn members<'v>(
    v: &'v Value,
    what: &str,
    known: &[&str],
) -> Result<HashMap<&'v str, &'v Member>, ManifestError> {
    let Kind::Object(ms) = &v.kind else {
        return fail(
            v.pos,
            format!("{what}: expected an object, found {}", v.kind.describe()),
        );
    };
    let mut seen: HashMap<&str, &Member> = HashMap::new();
    for m in ms {
        if !known.contains(&m.key.as_str()) {
            let list = known
                .iter()
                .map(|k| format!("\"{k}\""))
                .collect::<Vec<_>>()
                .join(", ");
            return fail(
                m.key_pos,
                format!(
                    "{what}: unknown key \"{}\" (expected {list})",
                    m.key.escape_default()
                ),
            );
        }
        if let Some(first) = seen.get(m.key.as_str()) {
            return fail(
                m.key_pos,
                format!(
                    "{what}: duplicate key \"{}\" (first at {})",
                    m.key, first.key_pos
                ),
            );
        }
        seen.insert(m.key.as_str(), m);
    }
    Ok(seen)
}

fn require<'v>(
    obj: &Value,
    map: &HashMap<&str, &'v Member>,
    key: &str,
    what: &str,
) -> Result<&'v Value, ManifestError> {
    match map.get(key) {
        Some(m) => Ok(&m.value),
        None => fail(obj.pos, format!("{what}: missing key \"{key}\"")),
    }
}

fn string<'v>(v: &'v Value, what: &str) -> Result<&'v str, ManifestError> {
    match &v.kind {
        Kind::String(s) => Ok(s),
        k => fail(
            v.pos,
            format!("{what}: expected a string, found {}", k.describe()),
        ),
    }
}

/// Check a parsed JSON document against the manifest schema.
pub fn validate(root: &Value) -> Result<Manifest, ManifestError> {
    let top = members(root, "manifest", &["type", "version", "devices"])?;

    let ty = require(root, &top, "type", "manifest")?;
    let ty_s = string(ty, "\"type\"")?;
    if ty_s != "solo5.manifest" {
        return fail(
            ty.pos,
            format!(
                "\"type\": expected \"solo5.manifest\", found \"{}\"",
                ty_s.escape_default()
            ),
        );
    }

    let version = require(root, &top, "version", "manifest")?;
    match &version.kind {
        Kind::Number(n) => match n.parse::<i64>() {
            Ok(v) if v == i64::from(MFT_VERSION) => {}
            Ok(v) => {
                return fail(
                    version.pos,
                    format!(
                        "\"version\": unsupported manifest version {v}, this solo5-elftool \
                         supports version {MFT_VERSION}"
                    ),
                )
            }
            Err(_) => {
                return fail(
                    version.pos,
                    format!("\"version\": expected an integer, found {n}"),
                )
            }
        },
        k => {
            return fail(
                version.pos,
                format!("\"version\": expected an integer, found {}", k.describe()),
            )
        }
    }

    let devices = require(root, &top, "devices", "manifest")?;
    let Kind::Array(items) = &devices.kind else {
        return fail(
            devices.pos,
            format!(
                "\"devices\": expected an array, found {}",
                devices.kind.describe()
            ),
        );
    };

    let mut out = Vec::with_capacity(items.len());
    let mut names: HashMap<&str, Pos> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        let what = format!("devices[{i}]");
        if i == MAX_DEVICES {
            return fail(
                item.pos,
                format!(
                    "{what}: too many devices: {} declared, at most {MAX_DEVICES} are allowed",
                    items.len()
                ),
            );
        }
        let dev = members(item, &what, &["name", "type"])?;

        let name_v = require(item, &dev, "name", &what)?;
        let name = string(name_v, &format!("{what}.name"))?;
        check_name(name, name_v.pos, &what)?;
        if let Some(first) = names.get(name) {
            return fail(
                name_v.pos,
                format!(
                    "{what}.name: duplicate device name \"{name}\" (first declared at {first})"
                ),
            );
        }
        names.insert(name, name_v.pos);

        let type_v = require(item, &dev, "type", &what)?;
        let type_s = string(type_v, &format!("{what}.type"))?;
        let Some(dtype) = DeviceType::parse(type_s) else {
            return fail(
                type_v.pos,
                format!(
                    "{what}.type: unknown device type \"{}\" (expected \"NET_BASIC\" or \
                     \"BLOCK_BASIC\")",
                    type_s.escape_default()
                ),
            );
        };
        out.push(Device {
            name: name.to_string(),
            dtype,
        });
    }
    Ok(Manifest { devices: out })
}

fn check_name(name: &str, pos: Pos, what: &str) -> Result<(), ManifestError> {
    if name.is_empty() {
        return fail(pos, format!("{what}.name: device name is empty"));
    }
    let len = name.chars().count();
    if len > NAME_MAX {
        return fail(
            pos,
            format!("{what}.name: device name is {len} characters long, the maximum is {NAME_MAX}"),
        );
    }
    if let Some(c) = name
        .chars()
        .find(|&c| !u8::try_from(c).is_ok_and(mft_rules::name_char_ok))
    {
        return fail(
            pos,
            format!(
                "{what}.name: invalid character {:?} in device name \"{}\" (only A-Z, a-z and \
                 0-9 are allowed)",
                c,
                name.escape_default()
            ),
        );
    }
    Ok(())
}

/// C source declaring `m` as a Solo5 manifest note (see include/mft_abi.h).
pub fn to_c(m: &Manifest) -> String {
    let entries = m.devices.len() + 1;
    let mut out = String::new();
    out.push_str(&format!(
        "/* Generated by solo5-elftool {}. Do not edit: edit the JSON manifest. */\n\n",
        env!("CARGO_PKG_VERSION")
    ));
    out.push_str(&format!("#define MFT_ENTRIES {entries}\n"));
    out.push_str("#include \"mft_abi.h\"\n\n");
    out.push_str("MFT1_NOTE_DECLARE_BEGIN\n{\n");
    out.push_str(&format!(
        "    .version = MFT_VERSION,\n    .entries = {entries},\n    .e = {{\n"
    ));
    out.push_str("        { .name = \"\", .type = MFT_RESERVED_FIRST },\n");
    for d in &m.devices {
        // Names are checked to be [A-Za-z0-9]+, so they need no escaping.
        out.push_str(&format!(
            "        {{ .name = \"{}\", .type = {} }},\n",
            d.name,
            d.dtype.c_name()
        ));
    }
    out.push_str("    }\n}\nMFT1_NOTE_DECLARE_END\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> ManifestError {
        parse(text.as_bytes()).expect_err(text)
    }

    fn at(line: usize, col: usize) -> Pos {
        Pos { line, col }
    }

    const GOOD: &str = r#"{
  "type": "solo5.manifest",
  "version": 1,
  "devices": [
    { "name": "service0", "type": "NET_BASIC" },
    { "name": "storage", "type": "BLOCK_BASIC" }
  ]
}
"#;

    #[test]
    fn accepts_a_good_manifest() {
        let m = parse(GOOD.as_bytes()).expect("valid");
        assert_eq!(m.devices.len(), 2);
        assert_eq!(m.devices[0].name, "service0");
        assert_eq!(m.devices[0].dtype, DeviceType::NetBasic);
        assert_eq!(m.devices[1].dtype, DeviceType::BlockBasic);
        let empty = parse(br#"{"type":"solo5.manifest","version":1,"devices":[]}"#).expect("ok");
        assert!(empty.devices.is_empty());
    }

    #[test]
    fn generates_c() {
        let m = parse(GOOD.as_bytes()).expect("valid");
        let c = to_c(&m);
        assert!(c.contains("#define MFT_ENTRIES 3\n#include \"mft_abi.h\"\n"));
        assert!(c.contains("{ .name = \"\", .type = MFT_RESERVED_FIRST },"));
        assert!(c.contains("{ .name = \"service0\", .type = MFT_DEV_NET_BASIC },"));
        assert!(c.contains("{ .name = \"storage\", .type = MFT_DEV_BLOCK_BASIC },"));
        assert!(c.contains(".entries = 3,"));
        assert!(c.ends_with("MFT1_NOTE_DECLARE_END\n"));
    }

    #[test]
    fn syntax_errors_have_positions() {
        let e = err("{\n  \"type\": \"solo5.manifest\"\n  \"version\": 1\n}");
        assert_eq!(e.pos, at(3, 3));
        assert!(e.msg.starts_with("invalid JSON: "), "{}", e.msg);
        let e = err("{\"type\": \"solo5.manifest\",");
        assert!(e.msg.contains("EOF"), "{}", e.msg);
        let e = parse(b"{\"type\": \"\xff\"}").expect_err("utf8");
        assert_eq!(e.pos, at(1, 11));
    }

    #[test]
    fn semantic_errors_point_at_the_value() {
        let cases: &[(&str, Pos, &str)] = &[
            ("[]", at(1, 1), "expected an object"),
            (
                r#"{"version":1,"devices":[]}"#,
                at(1, 1),
                "missing key \"type\"",
            ),
            (
                "{\"type\": \"solo5.manifest\",\n \"version\": 1, \"devices\": [], \"x\": 0}",
                at(2, 31),
                "unknown key \"x\"",
            ),
            (
                r#"{"type":"foo","version":1,"devices":[]}"#,
                at(1, 9),
                "expected \"solo5.manifest\", found \"foo\"",
            ),
            (
                r#"{"type":"solo5.manifest","version":2,"devices":[]}"#,
                at(1, 36),
                "unsupported manifest version 2",
            ),
            (
                r#"{"type":"solo5.manifest","version":1.0,"devices":[]}"#,
                at(1, 36),
                "expected an integer",
            ),
            (
                r#"{"type":"solo5.manifest","version":"1","devices":[]}"#,
                at(1, 36),
                "expected an integer, found a string",
            ),
            (
                r#"{"type":"solo5.manifest","version":1,"devices":{}}"#,
                at(1, 48),
                "expected an array",
            ),
            (
                r#"{"type":"solo5.manifest","type":"solo5.manifest","version":1,"devices":[]}"#,
                at(1, 26),
                "duplicate key \"type\"",
            ),
            (
                r#"{"type":"solo5.manifest","version":1,"devices":[{"name":"a-b","type":"NET_BASIC"}]}"#,
                at(1, 57),
                "invalid character '-'",
            ),
            (
                r#"{"type":"solo5.manifest","version":1,"devices":[{"name":"","type":"NET_BASIC"}]}"#,
                at(1, 57),
                "empty",
            ),
            (
                r#"{"type":"solo5.manifest","version":1,"devices":[{"name":"a","type":"PCI_BASIC"}]}"#,
                at(1, 68),
                "unknown device type \"PCI_BASIC\"",
            ),
            (
                r#"{"type":"solo5.manifest","version":1,"devices":[{"name":"a"}]}"#,
                at(1, 49),
                "devices[0]: missing key \"type\"",
            ),
            (
                r#"{"type":"solo5.manifest","version":1,"devices":[{"name":"a","type":"NET_BASIC","mac":"x"}]}"#,
                at(1, 80),
                "unknown key \"mac\"",
            ),
            (
                r#"{"type":"solo5.manifest","version":1,"devices":[3]}"#,
                at(1, 49),
                "devices[0]: expected an object, found a number",
            ),
        ];
        for (text, pos, want) in cases {
            let e = err(text);
            assert!(
                e.msg.contains(want),
                "{text}: {} does not contain {want}",
                e.msg
            );
            assert_eq!(e.pos, *pos, "{text}: {}", e.msg);
        }
    }

    fn with_devices(devs: &[String]) -> String {
        format!(
            "{{\n\"type\": \"solo5.manifest\",\n\"version\": 1,\n\"devices\": [\n{}\n]\n}}\n",
            devs.join(",\n")
        )
    }

    fn dev(name: &str) -> String {
        format!("  {{ \"name\": \"{name}\", \"type\": \"NET_BASIC\" }}")
    }

    #[test]
    fn name_length_limit() {
        let ok = "a".repeat(67);
        assert!(parse(with_devices(&[dev(&ok)]).as_bytes()).is_ok());
        let long = "a".repeat(68);
        let e = err(&with_devices(&[dev(&long)]));
        assert_eq!(e.pos, at(5, 13));
        assert!(e.msg.contains("68 characters"), "{}", e.msg);
        assert!(e.msg.contains("maximum is 67"), "{}", e.msg);
    }

    #[test]
    fn duplicate_is_reported_at_the_duplicate() {
        let e = err(&with_devices(&[dev("a"), dev("b"), dev("a")]));
        assert_eq!(e.pos, at(7, 13));
        assert!(
            e.msg
                .contains("duplicate device name \"a\" (first declared at 5:13)"),
            "{}",
            e.msg
        );
    }

    #[test]
    fn device_count_limit() {
        let names: Vec<String> = (0..63).map(|i| dev(&format!("d{i}"))).collect();
        let m = parse(with_devices(&names).as_bytes()).expect("63 devices are fine");
        assert_eq!(m.devices.len(), 63);
        let names: Vec<String> = (0..64).map(|i| dev(&format!("d{i}"))).collect();
        let e = err(&with_devices(&names));
        assert_eq!(e.pos, at(5 + 63, 3));
        assert!(
            e.msg.contains("too many devices: 64 declared, at most 63"),
            "{}",
            e.msg
        );
    }
}
