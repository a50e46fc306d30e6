//! How unikernels are run: natively on the build machine, or inside an
//! emulated Linux guest.

pub mod guest;
