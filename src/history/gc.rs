//! Reachability for garbage collection: every chunk a ref or working set can reach.

use std::collections::HashSet;

use crate::chunk::{ChunkStore, Hash};
use crate::prolly::Map;

use super::objects::{Commit, RefMap, RootValue, Table, Tag, WorkingSet};
use super::Error;

struct Walk<'a> {
    store: &'a dyn ChunkStore,
    seen: HashSet<Hash>,
}

impl Walk<'_> {
    /// Marks `hash`; returns true the first time.
    fn mark(&mut self, hash: Hash) -> bool {
        self.seen.insert(hash)
    }

    fn map(&mut self, map: Map) -> Result<(), Error> {
        map.collect_chunks(self.store, &mut self.seen)?;
        Ok(())
    }

    fn root(&mut self, hash: Hash) -> Result<(), Error> {
        if !self.mark(hash) {
            return Ok(());
        }
        for table in RootValue::read(self.store, hash)?.tables.into_values() {
            if self.mark(table) {
                let table = Table::read(self.store, table)?;
                self.map(table.rows)?;
                for (_, index) in table.indexes {
                    self.map(index)?;
                }
            }
        }
        Ok(())
    }

    /// Walks a commit and all its ancestors, iteratively so long histories cannot overflow.
    fn commits(&mut self, start: Hash) -> Result<(), Error> {
        let mut stack = vec![start];
        while let Some(hash) = stack.pop() {
            if !self.mark(hash) {
                continue;
            }
            let commit = Commit::read(self.store, hash)?;
            self.root(commit.root)?;
            stack.extend(commit.parents);
        }
        Ok(())
    }
}

/// Every chunk reachable from the ref map `ref_map`, including it.
pub(crate) fn reachable(store: &dyn ChunkStore, ref_map: Hash) -> Result<HashSet<Hash>, Error> {
    let mut walk = Walk { store, seen: HashSet::new() };
    walk.mark(ref_map);
    for (name, hash) in RefMap::read(store, ref_map)?.refs {
        if name.starts_with("workingSets/") {
            if !walk.mark(hash) {
                continue;
            }
            let set = WorkingSet::read(store, hash)?;
            walk.root(set.working)?;
            walk.root(set.staged)?;
            if let Some(merge) = set.merge {
                walk.commits(merge.commit)?;
                walk.root(merge.pre_merge_working)?;
                for map in merge.conflicts.into_values() {
                    walk.map(Map::from_root(map))?;
                }
            }
        } else if name.starts_with(super::repo::CONFIG_PREFIX) {
            // Configuration documents are single chunks with no references.
            walk.mark(hash);
        } else if name.starts_with("refs/tags/") {
            walk.mark(hash);
            walk.commits(Tag::read(store, hash)?.commit)?;
        } else {
            walk.commits(hash)?;
        }
    }
    Ok(walk.seen)
}
