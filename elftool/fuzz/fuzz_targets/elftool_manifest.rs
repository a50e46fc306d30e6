//! `cargo fuzz run elftool_manifest`: see elftool_fuzz::manifest_json for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| elftool_fuzz::manifest_json(data));
