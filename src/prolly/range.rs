//! Range scans in either direction, with readahead and resumable steps.

use std::ops::Bound;

use crate::chunk::{ChunkStore, Hash};

use super::cursor::{Cursor, Reader, READAHEAD_NODES};
use super::{decode_value, Error};

/// A key and its value.
pub type Entry = (Vec<u8>, Vec<u8>);

/// Scan direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    Ascending,
    Descending,
}

enum State {
    Start,
    /// On an entry not yet yielded.
    At(Cursor),
    /// The entry under the cursor was yielded; step before the next.
    Yielded(Cursor),
    Done,
}

/// An iterator over a key range. On `Err(Missing)` it keeps its place: load the chunks and call
/// `next` again.
pub struct Range<'a> {
    reader: Reader<'a>,
    root: Hash,
    lower: Bound<Vec<u8>>,
    upper: Bound<Vec<u8>>,
    forward: bool,
    state: State,
}

impl<'a> Range<'a> {
    pub(crate) fn new(
        store: &'a dyn ChunkStore,
        root: Hash,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        order: Order,
    ) -> Range<'a> {
        Range {
            reader: Reader::with_readahead(store, READAHEAD_NODES),
            root,
            lower: lower.map(<[u8]>::to_vec),
            upper: upper.map(<[u8]>::to_vec),
            forward: order == Order::Ascending,
            state: State::Start,
        }
    }

    /// Places a cursor on the first entry in scan order, or `None` if the range is empty.
    fn position(&mut self) -> Result<Option<Cursor>, Error> {
        let root = self.reader.node(self.root)?;
        if root.len() == 0 {
            return Ok(None);
        }
        let reader = &mut self.reader;
        let (start, inclusive) = match if self.forward { &self.lower } else { &self.upper } {
            Bound::Unbounded => {
                return Ok(Some(Cursor::edge(reader, root, 0, self.forward)?));
            }
            Bound::Included(key) => (key.as_slice(), true),
            Bound::Excluded(key) => (key.as_slice(), false),
        };
        let mut cursor = Cursor::seek(reader, root, start, 0)?;
        // `seek` lands on the first key >= start; step once if that key is not in range.
        let step = match cursor.entry() {
            None => !self.forward,
            Some((key, _)) if key == start => !inclusive,
            Some(_) => !self.forward,
        };
        if step && !cursor.step_entry(reader, self.forward)? {
            return Ok(None);
        }
        Ok(cursor.entry().is_some().then_some(cursor))
    }

    fn in_range(&self, key: &[u8]) -> bool {
        let bound = if self.forward { &self.upper } else { &self.lower };
        match bound {
            Bound::Unbounded => true,
            Bound::Included(limit) if self.forward => key <= limit.as_slice(),
            Bound::Excluded(limit) if self.forward => key < limit.as_slice(),
            Bound::Included(limit) => key >= limit.as_slice(),
            Bound::Excluded(limit) => key > limit.as_slice(),
        }
    }

    fn step(&mut self) -> Result<Option<Entry>, Error> {
        loop {
            match &mut self.state {
                State::Done => return Ok(None),
                State::Start => {
                    self.state = match self.position()? {
                        Some(cursor) => State::At(cursor),
                        None => State::Done,
                    };
                }
                State::Yielded(cursor) => {
                    if cursor.step_entry(&mut self.reader, self.forward)? {
                        let State::Yielded(cursor) =
                            std::mem::replace(&mut self.state, State::Done)
                        else {
                            unreachable!()
                        };
                        self.state = State::At(cursor);
                    } else {
                        self.state = State::Done;
                    }
                }
                State::At(cursor) => {
                    let (key, encoded) = cursor.entry().expect("positioned on an entry");
                    let (key, encoded) = (key.to_vec(), encoded.to_vec());
                    if !self.in_range(&key) {
                        self.state = State::Done;
                        return Ok(None);
                    }
                    let value = decode_value(&mut self.reader, &encoded)?;
                    let State::At(cursor) = std::mem::replace(&mut self.state, State::Done) else {
                        unreachable!()
                    };
                    self.state = State::Yielded(cursor);
                    return Ok(Some((key, value)));
                }
            }
        }
    }
}

impl Iterator for Range<'_> {
    type Item = Result<Entry, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.step().transpose()
    }
}
