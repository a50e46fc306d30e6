//! solo5-elftool: generate and query the ELF notes of Solo5 unikernels.
//!
//! The library half exists so the tests (and other tools in this
//! workspace) can use the ELF reader and the manifest code directly; the
//! `solo5-elftool` binary is a thin wrapper around [`cli::run`].

pub mod cli;
pub mod elf;
pub mod json;
pub mod manifest;
pub mod mft_rules;
pub mod notes;
