//! One file per command, each with a `Flags` struct and a `run` function.

pub mod bench;
pub mod build;
pub mod ci;
pub mod dist;
pub mod distro;
pub mod doctor;
pub mod fuzz;
pub mod install;
pub mod test;
