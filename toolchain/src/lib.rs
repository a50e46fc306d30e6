//! Finding and probing the C toolchains a solo5 build needs, for the build
//! machine, the tenders' host and the unikernels' target.

pub mod binutils;
pub mod cache;
pub mod compiler;
pub mod detect;
pub mod exec;
pub mod version;

pub use compiler::{Compiler, Family};
pub use detect::{detect, Overrides, Problem, Request, Role, Toolchains};
pub use version::{LinkerKind, Version};
