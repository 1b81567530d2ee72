//! Copying what some refs reach from one store to another, planned without IO.
//!
//! A [`Transfer`] is the plan behind push, fetch, clone and backup. It starts from root chunks
//! (commits, tags, a whole ref map) and, step by step, says what it needs: which chunks to look
//! for at the destination ([`Step::Has`]), which to read from the source ([`Step::Get`]), and
//! which to write to the destination ([`Step::Put`]). The `db` layer performs each step on real
//! stores and hands the answers back.
//!
//! Two rules make it cheap and safe to interrupt:
//!
//! - **A chunk present at the destination brings its whole subtree.** The transfer never looks
//!   below a chunk the destination has, so a one-row commit on a large table moves the path
//!   from the root to one leaf, not the table.
//! - **Children are written before parents.** A chunk is handed to [`Step::Put`] only once
//!   every chunk it refers to is at the destination or earlier in the put order. Every store
//!   keeps a flush's chunks in order and all or nothing, so whatever prefix of a transfer
//!   arrived before it was cut off holds its subtrees too, and the first rule stays true: a
//!   transfer run again skips what arrived and sends only the rest.
//!
//! Memory: chunks are held only while a child of theirs is still on its way, which is true of
//! the inner nodes and history chunks along the walk's frontier, not of the leaves (the bulk).
//! History is a chain (each commit names its parent only once read), so a long history costs
//! a round trip per commit on its longest chain; trees are fetched level by level alongside.

use std::collections::{HashMap, VecDeque};

use crate::chunk::{self, Chunk, Hash};
use crate::history::walk::Item;
use crate::history::Error;

use super::frames::{FRAME_HEADER_BYTES, GET_HASHES_MAX, HAS_HASHES_MAX};

/// How much one step may ask or carry. The remote protocol's limits are the default; a local
/// store may take smaller batches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Hashes in one [`Step::Has`].
    pub has_hashes_max: usize,
    /// Hashes in one [`Step::Get`].
    pub get_hashes_max: usize,
    /// Bytes (with the protocol's framing) that make one [`Step::Put`] full.
    pub put_bytes_max: usize,
    /// [`Step::Get`]s handed out before the oldest is answered: more than one lets a source
    /// across a network prepare the next batches while this side takes in the last.
    pub reads_in_flight_max: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            has_hashes_max: HAS_HASHES_MAX,
            get_hashes_max: GET_HASHES_MAX,
            put_bytes_max: super::frames::CHUNKS_BODY_BYTES_MAX,
            reads_in_flight_max: 1,
        }
    }
}

/// What the transfer needs done next.
#[derive(Debug)]
pub enum Step {
    /// Ask the destination which of these it has, then call [`Transfer::present`].
    Has(Vec<Hash>),
    /// Read these from the source, then call [`Transfer::fetched`].
    Get(Vec<Hash>),
    /// Write these to the destination, in this order, before anything a later step hands out.
    Put(Vec<Chunk>),
    /// Nothing more can be planned until the oldest [`Step::Get`] under way is answered.
    Wait,
    /// Everything the roots reach is at the destination (once the puts handed out are done).
    Done,
}

/// What a transfer did, for progress reports and figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Chunks asked about at the destination, and in how many steps.
    pub asked_chunks: u64,
    pub has_steps: u64,
    /// Chunks read from the source, and in how many steps.
    pub read_chunks: u64,
    pub get_steps: u64,
    /// Chunks and bytes handed out to write, and in how many steps.
    pub written_chunks: u64,
    pub written_bytes: u64,
    pub put_steps: u64,
    /// Chunks known to be needed and not written yet: the work still ahead, as far as the walk
    /// has seen.
    pub pending_chunks: u64,
}

/// Where a chunk reached by the walk stands.
enum State {
    /// Waiting for, or in, a [`Step::Has`].
    Asking,
    /// Missing at the destination; waiting for, or in, a [`Step::Get`].
    Reading,
    /// Read; some of what it refers to is not settled yet.
    Waiting { chunk: Chunk, unsettled: u32 },
    /// At the destination, or queued to be written before anything that needs it.
    Settled,
}

/// A transfer from roots. See the module documentation.
pub struct Transfer {
    limits: Limits,
    asking: VecDeque<Item>,
    reading: VecDeque<Item>,
    states: HashMap<Hash, State>,
    /// For each chunk not settled yet, the waiting chunks that refer to it.
    parents: HashMap<Hash, Vec<Hash>>,
    /// The items of the last `Has` handed out, and of the `Get`s under way (oldest first),
    /// until answered.
    asked: Vec<Item>,
    reads: VecDeque<Vec<Item>>,
    ready: VecDeque<Chunk>,
    ready_bytes: usize,
    progress: Progress,
}

impl Transfer {
    /// A transfer of everything `roots` reach.
    pub(crate) fn new(roots: Vec<Item>, limits: Limits) -> Transfer {
        assert!(limits.has_hashes_max > 0 && limits.get_hashes_max > 0 && limits.put_bytes_max > 0);
        assert!(limits.reads_in_flight_max > 0);
        let mut transfer = Transfer {
            limits,
            asking: VecDeque::new(),
            reading: VecDeque::new(),
            states: HashMap::new(),
            parents: HashMap::new(),
            asked: Vec::new(),
            reads: VecDeque::new(),
            ready: VecDeque::new(),
            ready_bytes: 0,
            progress: Progress::default(),
        };
        for root in roots {
            transfer.reach(root);
        }
        transfer
    }

    /// A transfer of every chunk a ref map reaches: all refs, working sets and configuration,
    /// as a backup copies them.
    pub fn of_ref_map(ref_map: Hash, limits: Limits) -> Transfer {
        Transfer::new(vec![Item::ref_map(ref_map)], limits)
    }

    /// A transfer of what the refs (name and target, as in a ref map) reach.
    pub fn of_refs<'a>(
        refs: impl IntoIterator<Item = (&'a str, Hash)>,
        limits: Limits,
    ) -> Transfer {
        Transfer::new(
            refs.into_iter().map(|(name, hash)| Item::of_ref(name, hash)).collect(),
            limits,
        )
    }

    pub fn progress(&self) -> Progress {
        let mut progress = self.progress;
        progress.pending_chunks = (self.asking.len()
            + self.asked.len()
            + self.reading.len()
            + self.reads.iter().map(Vec::len).sum::<usize>()
            + self.ready.len()) as u64
            + self.parents_waiting();
        progress
    }

    fn parents_waiting(&self) -> u64 {
        self.states.values().filter(|state| matches!(state, State::Waiting { .. })).count() as u64
    }

    /// The next step. A `Has` must be answered before `step` is called again; up to
    /// [`Limits::reads_in_flight_max`] `Get`s may be under way, answered oldest first.
    pub fn step(&mut self) -> Step {
        assert!(self.asked.is_empty(), "the last Has is unanswered");
        if self.ready_bytes >= self.limits.put_bytes_max {
            return self.put();
        }
        if !self.asking.is_empty() {
            let take = self.asking.len().min(self.limits.has_hashes_max);
            self.asked = self.asking.drain(..take).collect();
            self.progress.has_steps += 1;
            self.progress.asked_chunks += take as u64;
            return Step::Has(self.asked.iter().map(|item| item.hash).collect());
        }
        if !self.reading.is_empty() && self.reads.len() < self.limits.reads_in_flight_max {
            let take = self.reading.len().min(self.limits.get_hashes_max);
            let read: Vec<Item> = self.reading.drain(..take).collect();
            let hashes = read.iter().map(|item| item.hash).collect();
            self.reads.push_back(read);
            self.progress.get_steps += 1;
            return Step::Get(hashes);
        }
        if !self.ready.is_empty() {
            return self.put();
        }
        if !self.reads.is_empty() {
            return Step::Wait;
        }
        assert!(
            self.states.values().all(|state| matches!(state, State::Settled)),
            "a transfer with nothing left to ask or read has no chunk waiting"
        );
        Step::Done
    }

    /// Hands out ready chunks up to the put limit (at least one).
    fn put(&mut self) -> Step {
        let mut chunks = Vec::new();
        let mut bytes = 0;
        while let Some(chunk) = self.ready.front() {
            let framed = FRAME_HEADER_BYTES + chunk.len();
            if !chunks.is_empty() && bytes + framed > self.limits.put_bytes_max {
                break;
            }
            bytes += framed;
            self.ready_bytes -= chunk.len();
            chunks.push(self.ready.pop_front().expect("front exists"));
        }
        self.progress.put_steps += 1;
        self.progress.written_chunks += chunks.len() as u64;
        self.progress.written_bytes += chunks.iter().map(|c| c.len() as u64).sum::<u64>();
        Step::Put(chunks)
    }

    /// Answers the last [`Step::Has`]: `present[i]` for its `i`th hash.
    pub fn present(&mut self, present: &[bool]) -> Result<(), Error> {
        let asked = std::mem::take(&mut self.asked);
        if present.len() != asked.len() {
            let message =
                format!("the destination answered {} of {} chunks", present.len(), asked.len());
            return Err(chunk::Error::Io(message).into());
        }
        for (item, &present) in asked.into_iter().zip(present) {
            if present {
                self.settle(item.hash);
            } else {
                self.states.insert(item.hash, State::Reading);
                self.reading.push_back(item);
            }
        }
        Ok(())
    }

    /// Answers the oldest [`Step::Get`] under way with the chunks read, in the order asked (`None` for one
    /// the source does not have). Chunks from outside this program must already be verified
    /// against their hashes ([`Chunk::verified`]); a chunk that does not decode as what its
    /// referrer says it is fails the transfer with the path that reached it.
    pub fn fetched(&mut self, chunks: Vec<Option<Chunk>>) -> Result<(), Error> {
        let read = self.reads.pop_front().expect("a Get under way to answer");
        if chunks.len() != read.len() {
            let message = format!("the source answered {} of {} chunks", chunks.len(), read.len());
            return Err(chunk::Error::Io(message).into());
        }
        self.progress.read_chunks += chunks.iter().flatten().count() as u64;
        for (item, chunk) in read.into_iter().zip(chunks) {
            let chunk = match chunk {
                Some(chunk) if chunk.hash() == item.hash => chunk,
                Some(_) => return Err(chunk::Error::Corrupt(item.hash).into()),
                None if item.may_be_absent() => {
                    self.settle(item.hash);
                    continue;
                }
                None => {
                    let message =
                        format!("chunk {} ({}) is missing at the source", item.hash, item.path);
                    return Err(chunk::Error::StoreCorrupt(message).into());
                }
            };
            let mut children = Vec::new();
            item.expand(&chunk, &mut |child| children.push(child)).map_err(|error| {
                Error::from(chunk::Error::StoreCorrupt(format!("{} ({error})", item.path)))
            })?;
            let mut unsettled = 0;
            for child in children {
                let child_hash = child.hash;
                let settled = self.reach(child);
                if !settled {
                    unsettled += 1;
                    self.parents.entry(child_hash).or_default().push(item.hash);
                }
            }
            if unsettled == 0 {
                self.states.insert(item.hash, State::Waiting { chunk, unsettled: 0 });
                self.settle(item.hash);
            } else {
                self.states.insert(item.hash, State::Waiting { chunk, unsettled });
            }
        }
        Ok(())
    }

    /// Adds a chunk the walk reached; whether it is settled already.
    fn reach(&mut self, item: Item) -> bool {
        match self.states.get(&item.hash) {
            Some(State::Settled) => true,
            Some(_) => false,
            None => {
                self.states.insert(item.hash, State::Asking);
                self.asking.push_back(item);
                false
            }
        }
    }

    /// Marks a chunk settled: queues it to be written if it was read, and settles the chunks
    /// that waited only for it.
    fn settle(&mut self, hash: Hash) {
        let mut settling = vec![hash];
        while let Some(hash) = settling.pop() {
            if let Some(State::Waiting { chunk, .. }) = self.states.insert(hash, State::Settled) {
                self.ready_bytes += chunk.len();
                self.ready.push_back(chunk);
            }
            for parent in self.parents.remove(&hash).unwrap_or_default() {
                let Some(State::Waiting { unsettled, .. }) = self.states.get_mut(&parent) else {
                    panic!("a chunk waited on is waiting");
                };
                *unsettled -= 1;
                if *unsettled == 0 {
                    settling.push(parent);
                }
            }
        }
    }
}
