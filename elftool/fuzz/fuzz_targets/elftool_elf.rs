//! `cargo fuzz run elftool_elf`: see elftool_fuzz::elf_reader for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| elftool_fuzz::elf_reader(data));
