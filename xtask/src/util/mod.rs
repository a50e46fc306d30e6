//! Small helpers shared by the commands.

pub mod elf;
pub mod process;
pub mod version;
