//! `cargo fuzz run elftool_notes`: see elftool_fuzz::notes for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| elftool_fuzz::notes(data));
