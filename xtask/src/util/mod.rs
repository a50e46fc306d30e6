//! Small helpers shared by the commands.

pub mod elf;
pub mod version;
