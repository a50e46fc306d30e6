//! The model: `targets.toml` (arches, bindings, tenders), `tests/tests.toml`
//! and the detected toolchains, as plain data. The only module that knows
//! the names of bindings and arches is the file they are read from.

pub mod config;
pub mod layout;
pub mod targets;
pub mod tests;
