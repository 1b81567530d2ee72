//! Diff of two maps. Two cursors walk the trees level by level; where both stand on child
//! references of equal hash at the same level, the whole subtree is skipped without being read,
//! so the cost follows the size of the difference, not of the maps.

use std::cmp::Ordering;

use crate::chunk::{ChunkStore, Hash};

use super::cursor::{Cursor, Reader};
use super::{decode_value, Error};

/// One key's difference: `old` is the value in the map diffed from, `new` in the map diffed to.
/// Exactly one of them is `None` for an added or removed key; both are set for a changed one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub key: Vec<u8>,
    pub old: Option<Vec<u8>>,
    pub new: Option<Vec<u8>>,
}

/// A difference with values still encoded (compared and merged without being materialised).
pub(crate) struct RawChange {
    pub key: Vec<u8>,
    pub old: Option<Vec<u8>>,
    pub new: Option<Vec<u8>>,
}

/// The walk behind [`Diff`]; yields encoded values. It borrows a [`Reader`] per step, so
/// several walks (a merge's two diffs) can share one reader and its cache.
pub(crate) struct RawDiff {
    roots: Option<(Hash, Hash)>,
    from: Option<Cursor>,
    to: Option<Cursor>,
}

fn start(reader: &mut Reader, root: Hash) -> Result<Option<Cursor>, Error> {
    let node = reader.node(root)?;
    Ok((node.len() > 0).then(|| Cursor::at_root(node)))
}

fn child_hash(cursor: &Cursor) -> Option<Hash> {
    let frame = cursor.top();
    (!frame.node.is_leaf()).then(|| frame.node.child(frame.index).hash)
}

fn level(cursor: &Option<Cursor>) -> u8 {
    cursor.as_ref().map_or(0, |c| c.top().node.level())
}

/// Steps past the current entry (or subtree); drops the cursor when its tree is done.
fn step(cursor: &mut Option<Cursor>) {
    if let Some(c) = cursor {
        if !c.step_up() {
            *cursor = None;
        }
    }
}

impl RawDiff {
    pub fn new(from: Hash, to: Hash) -> RawDiff {
        RawDiff { roots: Some((from, to)), from: None, to: None }
    }

    pub fn next_raw(&mut self, reader: &mut Reader) -> Result<Option<RawChange>, Error> {
        if let Some((from, to)) = self.roots {
            if from != to {
                let from_cursor = start(reader, from)?;
                let to_cursor = start(reader, to)?;
                self.from = from_cursor;
                self.to = to_cursor;
            }
            self.roots = None;
        }
        loop {
            let (from_level, to_level) = (level(&self.from), level(&self.to));
            if let (Some(from), Some(to)) = (&self.from, &self.to) {
                if from_level > 0 && from_level == to_level && child_hash(from) == child_hash(to) {
                    step(&mut self.from);
                    step(&mut self.to);
                    continue;
                }
            }
            if self.from.is_none() && self.to.is_none() {
                return Ok(None);
            }
            // Descend whichever side stands higher (both when level). Each descent loads before
            // it moves, and if the second fails after the first succeeded, the next step finds
            // the sides at different levels and descends the other: the same walk either way.
            let top = from_level.max(to_level);
            if top > 0 {
                for (cursor, level) in [(&mut self.from, from_level), (&mut self.to, to_level)] {
                    if let Some(cursor) = cursor.as_mut().filter(|_| level == top) {
                        cursor.descend(reader)?;
                    }
                }
                continue;
            }
            let from_entry = self.from.as_ref().and_then(Cursor::entry);
            let to_entry = self.to.as_ref().and_then(Cursor::entry);
            let order = match (from_entry, to_entry) {
                (Some((a, _)), Some((b, _))) => a.cmp(b),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => unreachable!("cursors on leaves stand on entries"),
            };
            let change = match order {
                Ordering::Less => {
                    let (key, old) = from_entry.expect("from is behind");
                    let change =
                        RawChange { key: key.to_vec(), old: Some(old.to_vec()), new: None };
                    step(&mut self.from);
                    change
                }
                Ordering::Greater => {
                    let (key, new) = to_entry.expect("to is behind");
                    let change =
                        RawChange { key: key.to_vec(), old: None, new: Some(new.to_vec()) };
                    step(&mut self.to);
                    change
                }
                Ordering::Equal => {
                    let ((key, old), (_, new)) = (from_entry.unwrap(), to_entry.unwrap());
                    if old == new {
                        skip_equal_run(&mut self.from, &mut self.to);
                        continue;
                    }
                    let change = RawChange {
                        key: key.to_vec(),
                        old: Some(old.to_vec()),
                        new: Some(new.to_vec()),
                    };
                    step(&mut self.from);
                    step(&mut self.to);
                    change
                }
            };
            return Ok(Some(change));
        }
    }
}

/// Steps both cursors past the equal entry they stand on and every equal entry after it in
/// their current leaves at once: changes spread thinly over many leaves leave long runs of
/// equal entries between them.
fn skip_equal_run(from: &mut Option<Cursor>, to: &mut Option<Cursor>) {
    let (Some(a), Some(b)) = (from.as_mut(), to.as_mut()) else {
        unreachable!("both stand on entries")
    };
    let (fa, fb) = (a.frames.last_mut().expect("frame"), b.frames.last_mut().expect("frame"));
    let run = fa.node.equal_run(fa.index, &fb.node, fb.index);
    debug_assert!(run >= 1, "the entries under the cursors are equal");
    if fa.index + run < fa.node.len() && fb.index + run < fb.node.len() {
        fa.index += run;
        fb.index += run;
        return;
    }
    // A leaf ran out: stand on the last equal pair and let the ordinary step climb.
    fa.index += run - 1;
    fb.index += run - 1;
    step(from);
    step(to);
}

/// Materialises an encoded value (reading its blob, if any).
pub(crate) fn decode(
    reader: &mut Reader,
    encoded: &Option<Vec<u8>>,
) -> Result<Option<Vec<u8>>, Error> {
    encoded.as_deref().map(|e| decode_value(reader, e)).transpose()
}

/// An iterator over the differences between two maps, in key order. On `Err(Missing)` it keeps
/// its place: load the chunks and call `next` again.
pub struct Diff<'a> {
    reader: Reader<'a>,
    raw: RawDiff,
    /// A change found but not yet returned because a value still had to be loaded.
    pending: Option<RawChange>,
}

impl<'a> Diff<'a> {
    pub(crate) fn new(store: &'a dyn ChunkStore, from: Hash, to: Hash) -> Diff<'a> {
        Diff { reader: Reader::new(store), raw: RawDiff::new(from, to), pending: None }
    }

    fn step(&mut self) -> Result<Option<Change>, Error> {
        let raw = match self.pending.take() {
            Some(raw) => raw,
            None => match self.raw.next_raw(&mut self.reader)? {
                Some(raw) => raw,
                None => return Ok(None),
            },
        };
        let reader = &mut self.reader;
        match decode(reader, &raw.old).and_then(|old| Ok((old, decode(reader, &raw.new)?))) {
            Ok((old, new)) => Ok(Some(Change { key: raw.key, old, new })),
            Err(error) => {
                self.pending = Some(raw);
                Err(error)
            }
        }
    }
}

impl Iterator for Diff<'_> {
    type Item = Result<Change, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.step().transpose()
    }
}
