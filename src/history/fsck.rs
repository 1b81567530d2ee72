//! `fsck`: reads every chunk the ref map reaches and reports each one that is missing, corrupt
//! (its bytes no longer hash to its address) or malformed (it hashes correctly but does not
//! decode as what refers to it says it is), with the path that reaches it.
//!
//! It walks with garbage collection's walk, so what fsck checks is exactly what a collection
//! keeps. [`Fsck`] keeps its place across `Missing` answers: a store that loads asynchronously
//! loads the chunks one batch names and calls [`Fsck::advance`] again.

use std::collections::HashSet;
use std::fmt;

use crate::chunk::{self, Chunk, ChunkStore, Hash, Manifest};
use crate::prolly;

pub use super::walk::WALK_BATCH_CHUNKS_MAX;
use super::walk::{Visitor, Walk};
use super::Error;

/// Problems a report lists; the rest are only counted, so a badly damaged store still gives a
/// report of bounded size.
pub const FSCK_PROBLEMS_MAX: usize = 1000;

/// What is wrong with a chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// The store does not hold the chunk.
    Missing,
    /// The store's bytes for the chunk do not hash to its address.
    Corrupt,
    /// The bytes hash correctly but do not decode as what refers to them says they are.
    Malformed(String),
}

/// One chunk that is not sound, and how it was reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub hash: Hash,
    /// How the chunk was reached, such as `refs/heads/main → commit 1a2b3c4d → root → table t
    /// → rows` (the first way the walk found, when there are several).
    pub path: String,
    pub kind: ProblemKind,
}

/// What [`fsck`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FsckReport {
    /// Chunks read from the store, sound or not (missing and corrupt ones are not counted).
    pub chunks_checked: u64,
    pub bytes_checked: u64,
    /// The first [`FSCK_PROBLEMS_MAX`] problems, in the order found.
    pub problems: Vec<Problem>,
    /// Problems found beyond those listed.
    pub problems_omitted: u64,
}

impl FsckReport {
    /// Whether every reachable chunk is present and sound.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty() && self.problems_omitted == 0
    }
}

impl Visitor for FsckReport {
    fn checked(&mut self, chunk: &Chunk) {
        self.chunks_checked += 1;
        self.bytes_checked += chunk.len() as u64;
    }

    fn problem(&mut self, hash: Hash, path: &str, error: Error) -> Result<(), Error> {
        if self.problems.len() >= FSCK_PROBLEMS_MAX {
            self.problems_omitted += 1;
            return Ok(());
        }
        let kind = match error {
            Error::Store(prolly::Error::Store(chunk::Error::NotFound(_))) => ProblemKind::Missing,
            Error::Store(prolly::Error::Store(chunk::Error::Corrupt(_))) => ProblemKind::Corrupt,
            Error::Store(prolly::Error::Store(chunk::Error::Malformed { reason, .. })) => {
                ProblemKind::Malformed(reason.to_string())
            }
            // A table's schema that does not decode, for one.
            other => ProblemKind::Malformed(other.to_string()),
        };
        self.problems.push(Problem { hash, path: path.to_string(), kind });
        Ok(())
    }
}

/// A check of a whole repository that may stop for chunks to be loaded and go on after.
pub struct Fsck {
    /// `None` for a store with nothing published, which has nothing to check.
    walk: Option<Walk>,
    report: FsckReport,
}

impl Fsck {
    /// A check of what `manifest` reaches.
    pub fn new(manifest: Manifest) -> Fsck {
        Fsck { walk: manifest.root.map(Walk::new), report: FsckReport::default() }
    }

    /// Checks until done (`Ok`) or until the store answers `Missing` (load the chunks the
    /// error names with [`Error::missing`], then call again: the check goes on where it stopped,
    /// and no chunk is decoded twice). Any other store failure that is not about one chunk ends
    /// the call with its error, the check again kept where it was.
    pub fn advance(&mut self, store: &dyn ChunkStore) -> Result<(), Error> {
        match &mut self.walk {
            Some(walk) => walk.run(store, &mut self.report),
            None => Ok(()),
        }
    }

    /// The report: complete once [`Fsck::advance`] returned `Ok`.
    pub fn report(self) -> FsckReport {
        self.report
    }

    /// The report and every chunk the check reached: what a garbage collection of the checked
    /// manifest keeps, when the report is clean.
    pub fn reached(self) -> (FsckReport, HashSet<Hash>) {
        let seen = self.walk.map(Walk::into_seen).unwrap_or_default();
        (self.report, seen)
    }
}

/// Checks the repository in a store that reads synchronously (it never answers `Missing`).
pub fn fsck(store: &dyn ChunkStore) -> Result<FsckReport, Error> {
    let mut check = Fsck::new(store.manifest()?);
    check.advance(store)?;
    Ok(check.report())
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProblemKind::Missing => write!(f, "missing"),
            ProblemKind::Corrupt => write!(f, "corrupt"),
            ProblemKind::Malformed(_) => write!(f, "malformed"),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} chunk {} at {}", self.kind, self.hash, self.path)?;
        if let ProblemKind::Malformed(reason) = &self.kind {
            write!(f, ": {reason}")?;
        }
        Ok(())
    }
}

/// `n` and the noun, plural unless `n` is 1.
fn counted(n: u64, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// A byte count for people: bytes below 1000, else tenths of decimal units (`5.6 MB`).
fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let bytes = u128::from(bytes);
    let tenths = |scale: u128| (bytes * 10 + scale / 2) / scale;
    let (mut unit, mut scale) = (0, 1u128);
    // Moves up while the value, rounded to tenths, would read 1000 or more in this unit.
    while unit + 1 < UNITS.len() && tenths(scale) >= 10_000 {
        unit += 1;
        scale *= 1000;
    }
    if unit == 0 {
        return format!("{bytes} B");
    }
    format!("{}.{} {}", tenths(scale) / 10, tenths(scale) % 10, UNITS[unit])
}

impl fmt::Display for FsckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let found = self.problems.len() as u64 + self.problems_omitted;
        write!(
            f,
            "checked {} ({}): ",
            counted(self.chunks_checked, "chunk"),
            human_bytes(self.bytes_checked)
        )?;
        if found == 0 {
            return write!(f, "no problems");
        }
        write!(f, "{}", counted(found, "problem"))?;
        for problem in &self.problems {
            write!(f, "\n{problem}")?;
        }
        if self.problems_omitted > 0 {
            let more = counted(self.problems_omitted, "more problem");
            write!(f, "\n… and {more}")?;
        }
        Ok(())
    }
}
