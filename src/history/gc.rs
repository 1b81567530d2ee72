//! Reachability for garbage collection: every chunk a ref or working set can reach, by the walk
//! fsck uses too.

use std::collections::HashSet;

use crate::chunk::{Chunk, ChunkStore, Hash};

use super::walk::{Visitor, Walk};
use super::Error;

/// Collection must not remove what it cannot account for: a chunk it cannot read might hide
/// references to chunks that are present, so the first problem ends the walk with its error.
struct FailOnProblem;

impl Visitor for FailOnProblem {
    fn checked(&mut self, _: &Chunk) {}

    fn problem(&mut self, _: Hash, _: &str, error: Error) -> Result<(), Error> {
        Err(error)
    }
}

/// Every chunk reachable from the ref map `ref_map`, including it. A `Missing` answer from the
/// store is returned like any other error; [`super::Fsck`] is the walk that resumes.
pub(crate) fn reachable(store: &dyn ChunkStore, ref_map: Hash) -> Result<HashSet<Hash>, Error> {
    let mut walk = Walk::new(ref_map);
    walk.run(store, &mut FailOnProblem)?;
    Ok(walk.into_seen())
}
