//! Finding and probing the C toolchains a solo5 build needs, for the build
//! machine, the tenders' host and the unikernels' target. Which arches exist
//! and how a compiler for each is recognised come from the caller
//! ([`ArchId`]); no arch is named here.

pub mod binutils;
pub mod cache;
pub mod compiler;
pub mod detect;
pub mod exec;
pub mod version;

pub use compiler::{ArchId, Compiler, Family};
pub use detect::{detect, Overrides, Problem, Request, Role, Toolchains};
pub use version::{LinkerKind, Version};

// The unit tests share the integration tests' support module, which names
// this crate `toolchain` as they do.
#[cfg(test)]
extern crate self as toolchain;
#[cfg(test)]
#[path = "../tests/support/mod.rs"]
mod support;
