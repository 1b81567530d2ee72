//! Three-way merge of maps, built on two diffs from the common base: changes only "theirs" made
//! are applied to "ours"; keys both sides changed differently go to a policy.

use crate::chunk::ChunkStore;

use super::diff::{RawChange, RawDiff};
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
    /// Keys whose value the merge changed in ours.
    pub applied: usize,
}

pub(crate) fn merge(
    base: &Map,
    ours: &Map,
    theirs: &Map,
    store: &mut dyn ChunkStore,
    mut policy: impl FnMut(&Conflict) -> Resolution,
) -> Result<MergeOutcome, Error> {
    if base == theirs || ours == theirs {
        return Ok(MergeOutcome {
            map: *ours,
            conflicts: Vec::new(),
            applied: 0,
        });
    }
    let mut edits: Vec<(Vec<u8>, Option<Vec<u8>>)> = Vec::new();
    let mut conflicts = Vec::new();
    {
        let reader: &dyn ChunkStore = store;
        let mut our_diff = RawDiff::new(reader, base.root(), ours.root());
        let mut their_diff = RawDiff::new(reader, base.root(), theirs.root());
        let mut our_next = our_diff.next_raw()?;
        let mut their_next = their_diff.next_raw()?;
        while let Some(their) = their_next.take() {
            // Our changes before their next key need nothing: ours already has them.
            while our_next.as_ref().is_some_and(|ours| ours.key < their.key) {
                our_next = our_diff.next_raw()?;
            }
            match our_next.take_if(|ours| ours.key == their.key) {
                None => edits.push((their.key.clone(), their_diff.decode(&their.new)?)),
                Some(our) => {
                    resolve(
                        &mut our_diff,
                        &mut their_diff,
                        our,
                        their,
                        &mut policy,
                        &mut edits,
                        &mut conflicts,
                    )?;
                    our_next = our_diff.next_raw()?;
                }
            }
            their_next = their_diff.next_raw()?;
        }
    }
    let applied = edits.len();
    let map = ours.edit(store, edits)?;
    Ok(MergeOutcome {
        map,
        conflicts,
        applied,
    })
}

#[allow(clippy::too_many_arguments)]
fn resolve(
    our_diff: &mut RawDiff,
    their_diff: &mut RawDiff,
    ours: RawChange,
    theirs: RawChange,
    policy: &mut impl FnMut(&Conflict) -> Resolution,
    edits: &mut Vec<(Vec<u8>, Option<Vec<u8>>)>,
    conflicts: &mut Vec<Conflict>,
) -> Result<(), Error> {
    if ours.new == theirs.new {
        return Ok(());
    }
    let conflict = Conflict {
        key: theirs.key,
        base: our_diff.decode(&ours.old)?,
        ours: our_diff.decode(&ours.new)?,
        theirs: their_diff.decode(&theirs.new)?,
    };
    match policy(&conflict) {
        Resolution::Ours => {}
        Resolution::Theirs => edits.push((conflict.key, conflict.theirs)),
        Resolution::Value(value) => {
            if value != conflict.ours {
                edits.push((conflict.key, value));
            }
        }
        Resolution::Conflict => conflicts.push(conflict),
    }
    Ok(())
}
