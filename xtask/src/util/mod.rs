//! Small helpers shared by the commands.

pub mod elf;
pub mod process;
pub mod version;

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Whether a source file exists, asked of the file system once per run:
/// the model and the plan check the same sources for many tests, bindings
/// and arches (a no-op build stat'ed some 30 times each).
pub fn source_exists(path: &Path) -> bool {
    thread_local!(static SEEN: RefCell<HashMap<PathBuf, bool>> = RefCell::default());
    SEEN.with(|seen| {
        *seen
            .borrow_mut()
            .entry(path.to_path_buf())
            .or_insert_with(|| path.is_file())
    })
}
