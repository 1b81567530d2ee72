//! Three-way merge of maps, built on the diff from the common base to "theirs": changes only
//! theirs made are applied to "ours"; keys both sides changed differently go to a policy.

use crate::chunk::{Chunk, ChunkStore};

use super::cursor::{Cursor, Reader};
use super::diff::{decode, Change, RawChange, RawDiff};
use super::edit;
use super::{Error, Map};

/// A key both sides changed differently. Values are materialised; `None` means absent (deleted,
/// or never there).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    pub key: Vec<u8>,
    pub base: Option<Vec<u8>>,
    pub ours: Option<Vec<u8>>,
    pub theirs: Option<Vec<u8>>,
}

/// What a merge policy decides for a [`Conflict`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// Keep our value.
    Ours,
    /// Take their value.
    Theirs,
    /// Use this value (`None` deletes): the policy merged the two itself.
    Value(Option<Vec<u8>>),
    /// Keep our value and report the conflict in [`MergeOutcome::conflicts`].
    Conflict,
}

/// The result of [`Map::merge`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeOutcome {
    pub map: Map,
    /// Keys the policy left in conflict; the merged map holds our value for each.
    pub conflicts: Vec<Conflict>,
    /// What the merge changed in ours, in key order: `old` is our value, `new` the merged one.
    /// Callers that keep derived data (secondary indexes) update it from these.
    pub changes: Vec<Change>,
}

pub(crate) fn merge(
    base: &Map,
    ours: &Map,
    theirs: &Map,
    store: &mut dyn ChunkStore,
    mut policy: impl FnMut(&Conflict) -> Resolution,
) -> Result<MergeOutcome, Error> {
    if base == theirs || ours == theirs {
        return Ok(MergeOutcome { map: *ours, conflicts: Vec::new(), changes: Vec::new() });
    }
    // The merged values stay encoded until the edit is applied; each change's key and values are
    // copied once out of the trees and then moved, never cloned.
    let mut edits: Vec<(Vec<u8>, Option<Vec<u8>>)> = Vec::new();
    let mut olds: Vec<Option<Vec<u8>>> = Vec::new();
    let mut conflicts = Vec::new();
    let mut written = Vec::new();
    // One reader for both diffs and the edit: each node of base, ours and theirs is decoded once.
    let mut reader = Reader::new(store);
    // Only keys theirs changed can change ours. For each, our value tells whether ours changed
    // it too: it did exactly when it differs from the base value theirs' diff reports. Looking
    // keys up (through the reader's node cache) costs a few binary searches each, where a
    // second diff would compare every entry of every leaf ours changed.
    // Theirs' keys ascend, so one cursor moves forward through ours.
    let our_root = reader.node(ours.root())?;
    let mut our_cursor: Option<Cursor> = None;
    let mut their_diff = RawDiff::new(base.root(), theirs.root());
    while let Some(their) = their_diff.next_raw(&mut reader)? {
        let cursor = match &mut our_cursor {
            Some(cursor) => {
                cursor.seek_forward(&mut reader, &their.key)?;
                cursor
            }
            None => our_cursor.insert(Cursor::seek(&mut reader, our_root.clone(), &their.key, 0)?),
        };
        let our_value = match cursor.entry() {
            Some((key, value)) if key == their.key.as_slice() => Some(value),
            _ => None,
        };
        if our_value == their.old.as_deref() {
            edits.push((their.key, their.new));
            olds.push(their.old);
            continue;
        }
        let our_value = our_value.map(<[u8]>::to_vec);
        let our = RawChange { key: their.key.clone(), old: their.old.clone(), new: our_value };
        if let Some((key, old, new)) =
            resolve(&mut reader, our, their, &mut policy, &mut conflicts, &mut written)?
        {
            edits.push((key, new));
            olds.push(old);
        }
    }
    let root = edit::apply(&mut reader, ours.root(), &edits, &mut written)?;
    let changes = edits
        .into_iter()
        .zip(olds)
        .map(|((key, new), old)| {
            Ok(Change {
                key,
                old: materialize(&mut reader, old)?,
                new: materialize(&mut reader, new)?,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    drop(reader);
    super::put_all(store, &mut written)?;
    Ok(MergeOutcome { map: Map::from_root(root), conflicts, changes })
}

/// Turns an encoded value into the value, reusing its buffer when it is inline.
fn materialize(reader: &mut Reader, encoded: Option<Vec<u8>>) -> Result<Option<Vec<u8>>, Error> {
    match encoded {
        Some(mut value) if value[0] == super::node::VALUE_INLINE => {
            value.remove(0);
            Ok(Some(value))
        }
        other => decode(reader, &other),
    }
}

/// A key whose value a merge changes in ours: the key, our encoded value, the merged one.
type Settled = (Vec<u8>, Option<Vec<u8>>, Option<Vec<u8>>);

/// Settles a key both sides changed: nothing to do when they agree, else the policy decides.
/// Returns the key with our encoded value and the merged encoded value, when ours changes.
fn resolve(
    reader: &mut Reader,
    ours: RawChange,
    theirs: RawChange,
    policy: &mut impl FnMut(&Conflict) -> Resolution,
    conflicts: &mut Vec<Conflict>,
    written: &mut Vec<Chunk>,
) -> Result<Option<Settled>, Error> {
    if ours.new == theirs.new {
        return Ok(None);
    }
    let conflict = Conflict {
        key: theirs.key,
        base: decode(reader, &ours.old)?,
        ours: decode(reader, &ours.new)?,
        theirs: decode(reader, &theirs.new)?,
    };
    let new = match policy(&conflict) {
        Resolution::Ours => return Ok(None),
        Resolution::Theirs => theirs.new,
        Resolution::Value(value) if value == conflict.ours => return Ok(None),
        Resolution::Value(value) => value.map(|v| super::encode_value(&v, written)).transpose()?,
        Resolution::Conflict => {
            conflicts.push(conflict);
            return Ok(None);
        }
    };
    Ok(Some((conflict.key, ours.new, new)))
}
