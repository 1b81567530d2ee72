//! The history layer's chunks — commits, root values, tables, ref maps, working sets and tags —
//! as Rust values, with their encodings (`docs/format.md` gives the bytes).

use std::collections::BTreeMap;

use crate::chunk::{Chunk, ChunkStore, Hash};
use crate::prolly::Map;
use crate::row::Schema;

use super::codec::{Reader, Writer};
use super::Error;

pub(crate) const KIND_COMMIT: u8 = 0x10;
pub(crate) const KIND_ROOT: u8 = 0x11;
pub(crate) const KIND_TABLE: u8 = 0x12;
pub(crate) const KIND_REF_MAP: u8 = 0x13;
pub(crate) const KIND_WORKING_SET: u8 = 0x14;
pub(crate) const KIND_TAG: u8 = 0x15;
const VERSION: u8 = 1;

/// Parents a commit may have (Dolt merges have two; octopus merges are not made).
pub const COMMIT_PARENTS_MAX: usize = 8;

/// Who did something, and when. The time is handed in by the caller; the core reads no clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    pub name: String,
    pub email: String,
    /// Milliseconds since the Unix epoch.
    pub time_ms: i64,
}

impl Signature {
    pub fn new(name: &str, email: &str, time_ms: i64) -> Signature {
        Signature { name: name.to_string(), email: email.to_string(), time_ms }
    }

    fn write(&self, w: &mut Writer) {
        w.str(&self.name).str(&self.email).i64(self.time_ms);
    }

    fn read(r: &mut Reader) -> Result<Signature, Error> {
        Ok(Signature { name: r.string()?, email: r.string()?, time_ms: r.i64()? })
    }
}

fn load(store: &dyn ChunkStore, hash: Hash) -> Result<Chunk, Error> {
    Ok(store.get(hash)?)
}

fn save(store: &mut dyn ChunkStore, w: Writer) -> Result<Hash, Error> {
    let chunk = Chunk::new(w.bytes);
    let hash = chunk.hash();
    store.put(chunk)?;
    Ok(hash)
}

/// A commit: a root value, its parents, who and when, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commit {
    pub hash: Hash,
    pub root: Hash,
    pub parents: Vec<Hash>,
    /// 1 for a commit without parents, else one more than the highest parent. Lets merge base
    /// and ancestry queries walk only the commits above the answer.
    pub height: u64,
    pub author: Signature,
    pub committer: Signature,
    pub message: String,
}

impl Commit {
    pub(crate) fn write(
        store: &mut dyn ChunkStore,
        root: Hash,
        parents: &[Commit],
        author: &Signature,
        committer: &Signature,
        message: &str,
    ) -> Result<Commit, Error> {
        assert!(parents.len() <= COMMIT_PARENTS_MAX, "callers make at most two parents");
        let height = parents.iter().map(|p| p.height).max().unwrap_or(0) + 1;
        let mut w = Writer::new(KIND_COMMIT, VERSION);
        w.hash(&root).u64(height).u8(parents.len() as u8);
        for parent in parents {
            w.hash(&parent.hash);
        }
        author.write(&mut w);
        committer.write(&mut w);
        w.str(message);
        let hash = save(store, w)?;
        Ok(Commit {
            hash,
            root,
            parents: parents.iter().map(|p| p.hash).collect(),
            height,
            author: author.clone(),
            committer: committer.clone(),
            message: message.to_string(),
        })
    }

    pub fn read(store: &dyn ChunkStore, hash: Hash) -> Result<Commit, Error> {
        let chunk = load(store, hash)?;
        let mut r = Reader::new(hash, chunk.data(), KIND_COMMIT, VERSION)?;
        let root = r.hash()?;
        let height = r.u64()?;
        let count = r.u8()? as usize;
        if count > COMMIT_PARENTS_MAX || (count == 0) != (height == 1) || height == 0 {
            return Err(r.malformed("parent count and height disagree"));
        }
        let parents = (0..count).map(|_| r.hash()).collect::<Result<Vec<_>, _>>()?;
        let author = Signature::read(&mut r)?;
        let committer = Signature::read(&mut r)?;
        let message = r.string()?;
        r.finish()?;
        Ok(Commit { hash, root, parents, height, author, committer, message })
    }
}

/// The state of a whole database at one moment: table name → table chunk.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RootValue {
    pub tables: BTreeMap<String, Hash>,
}

impl RootValue {
    pub fn write(&self, store: &mut dyn ChunkStore) -> Result<Hash, Error> {
        let mut w = Writer::new(KIND_ROOT, VERSION);
        w.named_hashes(&self.tables);
        save(store, w)
    }

    pub fn read(store: &dyn ChunkStore, hash: Hash) -> Result<RootValue, Error> {
        let chunk = load(store, hash)?;
        let mut r = Reader::new(hash, chunk.data(), KIND_ROOT, VERSION)?;
        let tables = r.named_hashes()?;
        r.finish()?;
        Ok(RootValue { tables })
    }
}

/// A table: its schema, its rows (primary key → non-key cells), its secondary indexes (index
/// key → nothing) and the next AUTO_INCREMENT value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub schema: Schema,
    pub rows: Map,
    /// Index name → index map, in the schema's index order.
    pub indexes: Vec<(String, Map)>,
    pub auto_increment: u64,
}

impl Table {
    pub fn write(&self, store: &mut dyn ChunkStore) -> Result<Hash, Error> {
        let schema = self.schema.encode()?;
        let mut w = Writer::new(KIND_TABLE, VERSION);
        w.bytes(&schema).hash(&self.rows.root()).u64(self.auto_increment);
        w.u32(self.indexes.len() as u32);
        for (name, map) in &self.indexes {
            w.str(name).hash(&map.root());
        }
        save(store, w)
    }

    pub fn read(store: &dyn ChunkStore, hash: Hash) -> Result<Table, Error> {
        let chunk = load(store, hash)?;
        let mut r = Reader::new(hash, chunk.data(), KIND_TABLE, VERSION)?;
        let schema = Schema::decode(r.bytes()?)?;
        let rows = Map::from_root(r.hash()?);
        let auto_increment = r.u64()?;
        let count = r.count(24)?;
        let indexes = (0..count)
            .map(|_| Ok((r.string()?, Map::from_root(r.hash()?))))
            .collect::<Result<Vec<_>, Error>>()?;
        r.finish()?;
        let names: Vec<&str> = schema.indexes.iter().map(|i| i.name.as_str()).collect();
        if names != indexes.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>() {
            let error = crate::chunk::Error::Malformed {
                hash,
                reason: "index maps differ from the schema",
            };
            return Err(error.into());
        }
        Ok(Table { schema, rows, indexes, auto_increment })
    }
}

/// A merge that has started but not been committed or aborted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeState {
    /// The commit being merged in ("theirs"); the merge commit's second parent.
    pub commit: Hash,
    /// The working root before the merge, restored by an abort.
    pub pre_merge_working: Hash,
    /// Table name → conflict map (row key → encoded base / ours / theirs).
    pub conflicts: BTreeMap<String, Hash>,
}

/// A branch's uncommitted state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkingSet {
    pub working: Hash,
    pub staged: Hash,
    pub merge: Option<MergeState>,
}

impl WorkingSet {
    pub fn write(&self, store: &mut dyn ChunkStore) -> Result<Hash, Error> {
        let mut w = Writer::new(KIND_WORKING_SET, VERSION);
        w.hash(&self.working).hash(&self.staged);
        match &self.merge {
            None => {
                w.u8(0);
            }
            Some(merge) => {
                w.u8(1).hash(&merge.commit).hash(&merge.pre_merge_working);
                w.named_hashes(&merge.conflicts);
            }
        }
        save(store, w)
    }

    pub fn read(store: &dyn ChunkStore, hash: Hash) -> Result<WorkingSet, Error> {
        let chunk = load(store, hash)?;
        let mut r = Reader::new(hash, chunk.data(), KIND_WORKING_SET, VERSION)?;
        let working = r.hash()?;
        let staged = r.hash()?;
        let merge = match r.u8()? {
            0 => None,
            1 => {
                let commit = r.hash()?;
                let pre_merge_working = r.hash()?;
                let conflicts = r.named_hashes()?;
                Some(MergeState { commit, pre_merge_working, conflicts })
            }
            _ => return Err(r.malformed("bad merge flag")),
        };
        r.finish()?;
        Ok(WorkingSet { working, staged, merge })
    }
}

/// An annotated tag: the commit it names, who made it and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tag {
    pub hash: Hash,
    pub commit: Hash,
    pub tagger: Signature,
    pub message: String,
}

impl Tag {
    pub(crate) fn write(
        store: &mut dyn ChunkStore,
        commit: Hash,
        tagger: &Signature,
        message: &str,
    ) -> Result<Tag, Error> {
        let mut w = Writer::new(KIND_TAG, VERSION);
        w.hash(&commit);
        tagger.write(&mut w);
        w.str(message);
        let hash = save(store, w)?;
        Ok(Tag { hash, commit, tagger: tagger.clone(), message: message.to_string() })
    }

    pub fn read(store: &dyn ChunkStore, hash: Hash) -> Result<Tag, Error> {
        let chunk = load(store, hash)?;
        let mut r = Reader::new(hash, chunk.data(), KIND_TAG, VERSION)?;
        let commit = r.hash()?;
        let tagger = Signature::read(&mut r)?;
        let message = r.string()?;
        r.finish()?;
        Ok(Tag { hash, commit, tagger, message })
    }
}

/// The store's root chunk: every ref and the current branch. Refs are named as in Dolt:
/// `refs/heads/<branch>` and `refs/remotes/<remote>/<branch>` name commits, `refs/tags/<tag>`
/// names a tag chunk, `workingSets/heads/<branch>` names a working set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RefMap {
    pub head: String,
    pub refs: BTreeMap<String, Hash>,
}

impl RefMap {
    pub fn write(&self, store: &mut dyn ChunkStore) -> Result<Hash, Error> {
        let mut w = Writer::new(KIND_REF_MAP, VERSION);
        w.str(&self.head).named_hashes(&self.refs);
        save(store, w)
    }

    pub fn read(store: &dyn ChunkStore, hash: Hash) -> Result<RefMap, Error> {
        let chunk = load(store, hash)?;
        let mut r = Reader::new(hash, chunk.data(), KIND_REF_MAP, VERSION)?;
        let head = r.string()?;
        let refs = r.named_hashes()?;
        r.finish()?;
        Ok(RefMap { head, refs })
    }
}
