//! `FileStore`: the [`ChunkStore`] over one directory, written against [`Files`] so native and
//! Node run the same logic on the same files.
//!
//! Layout: chunks are appended to the journal file of the current generation; the `manifest`
//! file names that generation, how many journal bytes it covers and the published
//! [`Manifest`]. A flush appends its chunks and a commit record (the new manifest file's bytes)
//! and fsyncs the journal once: that fsync is the commit point. It then replaces the manifest
//! file by rename without syncing it, which is what readers in other processes look at, and
//! only then reports success. After a crash the manifest file may lag behind the journal or be
//! damaged; the next opener or writer holding `LOCK` adopts the last commit record past what
//! the file covers (or rebuilds the file from the newest journal), writes the file durably, and
//! cuts off what follows: a torn or unacknowledged tail.
//!
//! Concurrency: handles made by [`FileStore::handle`] share one index and see each other's
//! flushes at once. Several processes coordinate through the `LOCK` file, created exclusively
//! (holding the owner's process id) for the length of a flush or a collection, and compare the
//! manifest file, re-read under the lock, with the one the caller expected. Known limits: a lock
//! whose owner died is taken over only where [`Files::process_alive`] can tell (Linux `/proc`,
//! Node's `process.kill(pid, 0)`), two processes taking over the same dead lock at the same
//! instant can both win, and a process id is only meaningful on one machine, so the directory
//! must not be shared over a network file system.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};

use super::format::{
    check_journal_header, decode_record_header, encode_commit_record, encode_journal_header,
    encode_record_header, journal_generation, journal_name, ManifestFile, Record,
    JOURNAL_HEADER_BYTES, LOCK_FILE, MANIFEST_FILE, MANIFEST_FILE_BYTES, RECORD_BYTES_MAX,
    RECORD_HEADER_BYTES,
};
use super::Files;
use crate::chunk::{
    AddressMap, Chunk, ChunkBuffer, ChunkStore, Error, GcStats, Hash, Manifest, CHUNK_BYTES_MAX,
};

/// How long a flush waits for another process to release `LOCK` before failing.
pub const LOCK_WAIT_MS_MAX: u32 = 10_000;
/// The first and the longest pause between two attempts to take a held lock.
const LOCK_RETRY_MS_MIN: u32 = 1;
const LOCK_RETRY_MS_MAX: u32 = 50;
/// The most journal bytes one read of adjacent chunks covers.
const READ_SPAN_BYTES_MAX: usize = 1 << 20;
/// Journal bytes read at a time while scanning record headers at open.
const SCAN_BLOCK_BYTES: usize = 1 << 20;
/// Bytes gathered before one append, so a large flush or a collection neither issues one write
/// per chunk nor holds a second copy of everything it writes.
const APPEND_BATCH_BYTES: usize = 4 * RECORD_BYTES_MAX;

/// Where a chunk's bytes are in the current journal.
#[derive(Clone, Copy)]
struct Location {
    offset: u64,
    len: u32,
}

/// What the manifest file said when last read, and the index of the journal it covers.
struct Published {
    generation: u64,
    /// Journal bytes covered by `manifest`; 0 while no manifest file exists.
    covered: u64,
    manifest: Manifest,
    index: AddressMap<Location>,
}

/// The state every handle of one open store shares.
struct Shared<F> {
    files: F,
    published: Published,
    /// Whether chunks read are checked against their hashes; see [`FileStore::open_relay`].
    verify_reads: bool,
}

fn lock<F>(shared: &Mutex<Shared<F>>) -> MutexGuard<'_, Shared<F>> {
    // Published state is replaced only as a whole after the IO succeeded, so a panic while the
    // lock was held cannot have left it half changed.
    shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Gathers journal records and appends them in batches.
struct Appender {
    name: String,
    /// Journal length once everything gathered so far is written.
    end: u64,
    pending: Vec<u8>,
}

impl Appender {
    fn new(name: String, end: u64) -> Appender {
        Appender { name, end, pending: Vec::new() }
    }

    fn header(&mut self, generation: u64) {
        self.pending.extend_from_slice(&encode_journal_header(generation));
        self.end += JOURNAL_HEADER_BYTES as u64;
    }

    /// Adds a record for `chunk` and says where its bytes will be.
    fn record<F: Files>(&mut self, files: &mut F, chunk: &Chunk) -> Result<Location, Error> {
        encode_record_header(chunk.hash(), chunk.len(), &mut self.pending);
        self.pending.extend_from_slice(chunk.data());
        let offset = self.end + RECORD_HEADER_BYTES as u64;
        self.end = offset + chunk.len() as u64;
        if self.pending.len() >= APPEND_BATCH_BYTES {
            self.write(files)?;
        }
        // `put` refuses chunks over CHUNK_BYTES_MAX, so the length fits in a u32.
        Ok(Location { offset, len: chunk.len() as u32 })
    }

    /// Adds the commit record that publishes `manifest` and everything before it; returns
    /// what the manifest file then says.
    fn commit(&mut self, generation: u64, manifest: Manifest) -> ManifestFile {
        let covered = self.end + (RECORD_HEADER_BYTES + MANIFEST_FILE_BYTES) as u64;
        let file = ManifestFile { generation, covered, manifest };
        encode_commit_record(&file, &mut self.pending);
        self.end = covered;
        file
    }

    fn write<F: Files>(&mut self, files: &mut F) -> Result<(), Error> {
        if !self.pending.is_empty() {
            files.append(&self.name, &self.pending)?;
            self.pending.clear();
        }
        Ok(())
    }

    /// Writes what is left and fsyncs; returns the journal's length.
    fn finish<F: Files>(mut self, files: &mut F) -> Result<u64, Error> {
        self.write(files)?;
        files.sync(&self.name)?;
        Ok(self.end)
    }
}

/// Reads the record headers of journal `generation` in `[from, to)`.
fn scan<F: Files>(
    files: &mut F,
    generation: u64,
    from: u64,
    to: u64,
) -> Result<Vec<(Hash, Location)>, Error> {
    let name = journal_name(generation);
    let len = files.len(&name)?.unwrap_or(0);
    if len < to {
        return Err(Error::StoreCorrupt(format!(
            "{name} holds {len} bytes but the manifest covers {to}"
        )));
    }
    let mut position = from;
    if from == 0 {
        check_journal_header(&files.read_at(&name, 0, JOURNAL_HEADER_BYTES)?, generation)?;
        position = JOURNAL_HEADER_BYTES as u64;
    }
    let mut found = Vec::new();
    let mut window = Vec::new();
    let mut window_start = position;
    while position < to {
        let header_end = position + RECORD_HEADER_BYTES as u64;
        if header_end > to {
            return Err(Error::StoreCorrupt(format!(
                "the record at offset {position} of {name} is cut short"
            )));
        }
        if position < window_start || header_end > window_start + window.len() as u64 {
            // At least one header fits: `to - position` is at least RECORD_HEADER_BYTES here.
            let block = (to - position).min(SCAN_BLOCK_BYTES as u64) as usize;
            window = files.read_at(&name, position, block)?;
            window_start = position;
        }
        let at = (position - window_start) as usize;
        let record = decode_record_header(&window[at..at + RECORD_HEADER_BYTES], position)?;
        let len = record.body_len();
        let end = header_end + u64::from(len);
        if end > to {
            return Err(Error::StoreCorrupt(format!(
                "the record at offset {position} of {name} runs past the covered length {to}"
            )));
        }
        if let Record::Chunk { hash, .. } = record {
            found.push((hash, Location { offset: header_end, len }));
        }
        position = end;
    }
    Ok(found)
}

/// A commit record found in a journal: what it publishes, and the chunk records before it.
type FoundCommit = (ManifestFile, Vec<(Hash, Location)>);

/// The last commit record of journal `generation` in `[from, to)` that publishes exactly the
/// bytes up to its own end, with the chunk records before it; `None` when there is none. Reads
/// record by record and stops at the first one that is damaged, cut short or runs past `to`: a
/// crash leaves a journal whose end is anything, so nothing there is an error.
fn last_commit<F: Files>(
    files: &mut F,
    generation: u64,
    from: u64,
    to: u64,
) -> Result<Option<FoundCommit>, Error> {
    let name = journal_name(generation);
    let mut position = from;
    if from == 0 {
        if to < JOURNAL_HEADER_BYTES as u64
            || check_journal_header(&files.read_at(&name, 0, JOURNAL_HEADER_BYTES)?, generation)
                .is_err()
        {
            return Ok(None);
        }
        position = JOURNAL_HEADER_BYTES as u64;
    }
    let mut found = Vec::new();
    // The last sound commit, and how many of the chunk records found precede it.
    let mut last: Option<(ManifestFile, usize)> = None;
    while position + RECORD_HEADER_BYTES as u64 <= to {
        let header = files.read_at(&name, position, RECORD_HEADER_BYTES)?;
        let Ok(record) = decode_record_header(&header, position) else { break };
        let body = position + RECORD_HEADER_BYTES as u64;
        let end = body + u64::from(record.body_len());
        if end > to {
            break;
        }
        match record {
            Record::Chunk { hash, len } => found.push((hash, Location { offset: body, len })),
            Record::Commit => {
                let bytes = files.read_at(&name, body, MANIFEST_FILE_BYTES)?;
                match ManifestFile::decode(&bytes) {
                    Ok(file) if file.generation == generation && file.covered == end => {
                        last = Some((file, found.len()));
                    }
                    _ => break,
                }
            }
        }
        position = end;
    }
    Ok(last.map(|(file, chunks)| {
        found.truncate(chunks);
        (file, found)
    }))
}

impl<F: Files> Shared<F> {
    /// Brings `published` up to the manifest file, reading the journal records added since.
    /// On failure nothing changes.
    fn refresh(&mut self) -> Result<(), Error> {
        let Some(bytes) = self.files.read_all(MANIFEST_FILE)? else {
            if self.published.covered == 0 {
                return Ok(());
            }
            return Err(Error::StoreCorrupt("the manifest file disappeared".into()));
        };
        let file = ManifestFile::decode(&bytes)?;
        let current = &self.published;
        if file.generation == current.generation && file.covered == current.covered {
            self.published.manifest = file.manifest;
            return Ok(());
        }
        if file.generation == current.generation && file.covered < current.covered {
            // Within a generation the covered length only grows: the file lags behind a commit
            // this process made durable (its write of the file failed), and the journal's
            // commit record stands.
            return Ok(());
        }
        let grows = file.generation == current.generation
            && current.covered != 0
            && file.covered > current.covered;
        let from = if grows { current.covered } else { 0 };
        let found = scan(&mut self.files, file.generation, from, file.covered)?;
        let mut index =
            if grows { std::mem::take(&mut self.published.index) } else { AddressMap::default() };
        for (hash, location) in found {
            index.entry(hash).or_insert(location);
        }
        self.published = Published {
            generation: file.generation,
            covered: file.covered,
            manifest: file.manifest,
            index,
        };
        Ok(())
    }

    /// Takes the `LOCK` file, waiting for a live owner up to [`LOCK_WAIT_MS_MAX`] when `wait`;
    /// `false` when it stays held.
    fn take_lock(&mut self, wait: bool) -> Result<bool, Error> {
        let me = self.files.process_id().to_string();
        let mut waited = 0u32;
        let mut pause = LOCK_RETRY_MS_MIN;
        let mut took_over = false;
        let mut unreadable_seen = false;
        loop {
            if self.files.create_new(LOCK_FILE, me.as_bytes())? {
                return Ok(true);
            }
            let owner = self.files.read_all(LOCK_FILE)?;
            let owner = owner.as_deref().map(|bytes| {
                std::str::from_utf8(bytes).ok().and_then(|text| text.trim().parse::<u32>().ok())
            });
            // An unreadable lock may be one being created this instant; it counts as abandoned
            // only when it is still unreadable after a pause.
            let abandoned = match owner {
                Some(Some(pid)) => !self.files.process_alive(pid),
                Some(None) => std::mem::replace(&mut unreadable_seen, true),
                None => false,
            };
            if abandoned && !took_over {
                took_over = true;
                self.files.remove(LOCK_FILE)?;
                continue;
            }
            if owner.is_none() && !took_over {
                // Released between the two calls: try again at once.
                took_over = true;
                continue;
            }
            if !wait || waited >= LOCK_WAIT_MS_MAX {
                return Ok(false);
            }
            self.files.sleep_ms(pause);
            waited += pause;
            pause = (pause * 2).min(LOCK_RETRY_MS_MAX);
            took_over = false;
        }
    }

    /// Runs `step` holding `LOCK`, and releases it whatever `step` returned.
    fn locked<T>(&mut self, step: impl FnOnce(&mut Self) -> Result<T, Error>) -> Result<T, Error> {
        if !self.take_lock(true)? {
            return Err(Error::Io(format!(
                "another process held the store's {LOCK_FILE} file for {LOCK_WAIT_MS_MAX} ms"
            )));
        }
        let result = step(self);
        // A failed release cannot undo a write that is already durable, so its error is not
        // reported over the step's result; the lock's owner is this process, and the lock is
        // taken over once the process is gone.
        let _ = self.files.remove(LOCK_FILE);
        result
    }

    /// At open: reads the manifest file and, if no other process is writing (otherwise that
    /// writer does the same before it appends), recovers what a crash left: a damaged manifest
    /// file, commits past it, a torn tail, journals no manifest names.
    fn repair(&mut self) -> Result<(), Error> {
        // Repair can wait for the next writer, so a directory this process may only read (or a
        // lock it cannot take now) still opens.
        if !self.take_lock(false).unwrap_or(false) {
            return self.refresh();
        }
        let result = self.repair_locked();
        let _ = self.files.remove(LOCK_FILE);
        result
    }

    fn repair_locked(&mut self) -> Result<(), Error> {
        match self.refresh() {
            Err(Error::StoreCorrupt(why)) if self.manifest_file_damaged()? => self.rebuild(&why)?,
            refreshed => refreshed?,
        }
        self.recover_tail()?;
        self.remove_other_journals()
    }

    /// Whether the manifest file exists but does not decode: a crash after its rename became
    /// durable but before its bytes did.
    fn manifest_file_damaged(&mut self) -> Result<bool, Error> {
        Ok(self.files.read_all(MANIFEST_FILE)?.is_some_and(|b| ManifestFile::decode(&b).is_err()))
    }

    /// Rebuilds a damaged manifest file from the newest journal that holds a commit record, and
    /// writes it durably. Holding `LOCK` only.
    fn rebuild(&mut self, why: &str) -> Result<(), Error> {
        let mut generations: Vec<u64> =
            self.files.list()?.iter().filter_map(|name| journal_generation(name)).collect();
        generations.sort_unstable_by(|a, b| b.cmp(a));
        for generation in generations {
            let len = self.files.len(&journal_name(generation))?.unwrap_or(0);
            if let Some((file, found)) = last_commit(&mut self.files, generation, 0, len)? {
                self.files.replace(MANIFEST_FILE, &file.encode())?;
                let mut index = AddressMap::default();
                for (hash, location) in found {
                    index.entry(hash).or_insert(location);
                }
                let ManifestFile { generation, covered, manifest } = file;
                self.published = Published { generation, covered, manifest, index };
                return Ok(());
            }
        }
        Err(Error::StoreCorrupt(format!("{why}, and no journal holds a commit to rebuild it from")))
    }

    /// Adopts the last commit record past the covered length, if any: a flush whose journal
    /// fsync succeeded though the manifest file naming it did not reach the disk. Writes the
    /// manifest file durably then, and cuts the journal back to what is published. Holding
    /// `LOCK` only.
    fn recover_tail(&mut self) -> Result<(), Error> {
        let generation = self.published.generation;
        let name = journal_name(generation);
        let covered = self.published.covered;
        let len = match self.files.len(&name)? {
            Some(len) if len < covered => {
                return Err(Error::StoreCorrupt(format!(
                    "{name} holds {len} bytes but the manifest covers {covered}"
                )))
            }
            None if covered > 0 => {
                return Err(Error::StoreCorrupt(format!(
                    "{name}, which the manifest names, is missing"
                )))
            }
            None => return Ok(()),
            Some(len) => len,
        };
        if len == covered {
            return Ok(());
        }
        if let Some((file, found)) = last_commit(&mut self.files, generation, covered, len)? {
            self.files.replace(MANIFEST_FILE, &file.encode())?;
            for (hash, location) in found {
                self.published.index.entry(hash).or_insert(location);
            }
            self.published.covered = file.covered;
            self.published.manifest = file.manifest;
        }
        if len > self.published.covered {
            self.files.truncate(&name, self.published.covered)?;
        }
        Ok(())
    }

    /// Removes journals of other generations: leftovers of a collection. Holding `LOCK` only.
    fn remove_other_journals(&mut self) -> Result<(), Error> {
        for name in self.files.list()? {
            if journal_generation(&name).is_some_and(|g| g != self.published.generation) {
                self.files.remove(&name)?;
            }
        }
        Ok(())
    }

    /// The compare-and-swap and the write of a flush. Holding `LOCK` only.
    fn publish(
        &mut self,
        buffer: &ChunkBuffer,
        expected: &Manifest,
        new: &Manifest,
    ) -> Result<(), Error> {
        self.refresh()?;
        self.recover_tail()?;
        if self.published.manifest != *expected {
            return Err(Error::Conflict { current: self.published.manifest });
        }
        let generation = self.published.generation;
        let name = journal_name(generation);
        let before = self.published.covered;
        let mut appender = Appender::new(name.clone(), before);
        if before == 0 {
            appender.header(generation);
        }
        let mut added = Vec::new();
        let written = buffer.chunks().iter().try_for_each(|chunk| {
            if !self.published.index.contains_key(&chunk.hash()) {
                added.push((chunk.hash(), appender.record(&mut self.files, chunk)?));
            }
            Ok(())
        });
        let file = appender.commit(generation, *new);
        if let Err(error) = written.and_then(|()| appender.finish(&mut self.files).map(|_| ())) {
            // Bytes that were written but not synced must not be adopted as a commit later:
            // this flush reports failure. A failed cut leaves them to the next writer, which
            // may adopt them; the caller cannot tell either way after an IO error.
            let _ = self.files.truncate(&name, before);
            return Err(error);
        }
        // Durable from here on, whatever happens to the manifest file.
        self.published.covered = file.covered;
        self.published.manifest = *new;
        self.published.index.extend(added);
        self.files.replace_volatile(MANIFEST_FILE, &file.encode())
    }

    /// Garbage collection: copies the kept chunks into the next generation's journal, publishes
    /// a manifest naming it, then removes the old journal. Holding `LOCK` only.
    fn compact(&mut self, expected: &Manifest, keep: &HashSet<Hash>) -> Result<GcStats, Error> {
        self.refresh()?;
        self.recover_tail()?;
        if self.published.manifest != *expected {
            return Err(Error::Conflict { current: self.published.manifest });
        }
        if self.published.covered == 0 {
            return Ok(GcStats::default());
        }
        let old = journal_name(self.published.generation);
        let generation = self.published.generation.checked_add(1).ok_or_else(|| {
            Error::StoreCorrupt("the journal generation cannot grow further".into())
        })?;
        let name = journal_name(generation);
        // A collection that crashed may have left a partial journal of this generation.
        self.files.remove(&name)?;
        let mut appender = Appender::new(name, 0);
        appender.header(generation);
        // In journal order, so the old journal is read front to back.
        let mut entries: Vec<(Hash, Location)> =
            self.published.index.iter().map(|(hash, location)| (*hash, *location)).collect();
        entries.sort_by_key(|(_, location)| location.offset);
        let mut stats = GcStats::default();
        let mut index = AddressMap::default();
        for (hash, location) in entries {
            if keep.contains(&hash) {
                let data = self.files.read_at(&old, location.offset, location.len as usize)?;
                // Verified, so a collection never carries damaged bytes into the new journal.
                let chunk = Chunk::verified(hash, data)?;
                index.insert(hash, appender.record(&mut self.files, &chunk)?);
                stats.kept_chunks += 1;
            } else {
                stats.removed_chunks += 1;
                stats.removed_bytes += u64::from(location.len);
            }
        }
        let manifest = self.published.manifest;
        // The new journal ends with a commit too, so that it can rebuild a damaged manifest.
        let file = appender.commit(generation, manifest);
        let covered = appender.finish(&mut self.files)?;
        self.files.replace(MANIFEST_FILE, &file.encode())?;
        self.published = Published { generation, covered, manifest, index };
        // The collection is published; an old journal that cannot be removed now is removed by
        // the next open or collection.
        let _ = self.remove_other_journals();
        Ok(stats)
    }

    /// Reads the chunks `hashes` names (`None` for those the journal does not hold), with one
    /// read per run of records that lie next to each other in the journal: chunks written by
    /// one flush are read back in a few large reads instead of one small read each.
    fn read_many(&mut self, hashes: &[Hash]) -> Result<Vec<Option<Chunk>>, Error> {
        let mut out: Vec<Option<Chunk>> = vec![None; hashes.len()];
        let mut located: Vec<(u64, u32, usize)> = hashes
            .iter()
            .enumerate()
            .filter_map(|(at, hash)| {
                let location = self.published.index.get(hash)?;
                Some((location.offset, location.len, at))
            })
            .collect();
        located.sort_unstable();
        let name = journal_name(self.published.generation);
        let mut start = 0;
        while start < located.len() {
            let (first, _, _) = located[start];
            let mut end = start + 1;
            let mut span_end = located[start].0 + u64::from(located[start].1);
            while end < located.len() {
                let (offset, len, _) = located[end];
                let adjacent =
                    offset >= span_end && offset - span_end <= RECORD_HEADER_BYTES as u64;
                if !adjacent || offset + u64::from(len) - first > READ_SPAN_BYTES_MAX as u64 {
                    break;
                }
                span_end = offset + u64::from(len);
                end += 1;
            }
            let span = self.files.read_at(&name, first, (span_end - first) as usize)?;
            for &(offset, len, at) in &located[start..end] {
                let from = (offset - first) as usize;
                let data: Arc<[u8]> = span[from..from + len as usize].into();
                out[at] = Some(match self.verify_reads {
                    true => Chunk::verified(hashes[at], data)?,
                    false => Chunk::trusted(hashes[at], data),
                });
            }
            start = end;
        }
        Ok(out)
    }
}

/// A chunk store in a directory of files. Each handle has its own write buffer;
/// [`FileStore::handle`] opens another handle onto the same open store.
pub struct FileStore<F: Files> {
    shared: Arc<Mutex<Shared<F>>>,
    buffer: ChunkBuffer,
}

impl<F: Files> FileStore<F> {
    /// Opens the store in the directory `files` works on, creating it empty when it holds no
    /// manifest. Reads the manifest, indexes the journal records it covers, and (unless another
    /// process is writing) cuts off bytes past them: a flush that never completed.
    /// Opens a store whose chunks this program only relays to others who verify them (the
    /// remote server answering `get`): reads skip checking each chunk against its hash, which
    /// the receiver does anyway, so the check is not paid twice. Writes are checked as ever.
    pub fn open_relay(files: F) -> Result<FileStore<F>, Error> {
        let store = FileStore::open(files)?;
        store.lock().verify_reads = false;
        Ok(store)
    }

    pub fn open(files: F) -> Result<FileStore<F>, Error> {
        let published = Published {
            generation: 1,
            covered: 0,
            manifest: Manifest::EMPTY,
            index: AddressMap::default(),
        };
        let mut shared = Shared { files, published, verify_reads: true };
        shared.repair()?;
        Ok(FileStore { shared: Arc::new(Mutex::new(shared)), buffer: ChunkBuffer::default() })
    }

    /// Another handle onto the same store, with an empty write buffer of its own.
    pub fn handle(&self) -> FileStore<F> {
        FileStore { shared: self.shared.clone(), buffer: ChunkBuffer::default() }
    }

    fn lock(&self) -> MutexGuard<'_, Shared<F>> {
        lock(&self.shared)
    }
}

impl<F: Files> ChunkStore for FileStore<F> {
    fn get_many(&self, hashes: &[Hash]) -> Result<Vec<Option<Chunk>>, Error> {
        let mut shared = self.lock();
        let unbuffered: Vec<Hash> =
            hashes.iter().copied().filter(|hash| !self.buffer.contains(hash)).collect();
        let mut refreshed = false;
        if unbuffered.iter().any(|hash| !shared.published.index.contains_key(hash)) {
            // Another process may have published them since this store last looked.
            shared.refresh()?;
            refreshed = true;
        }
        let read = match shared.read_many(&unbuffered) {
            // Another process may have collected garbage into a new journal since.
            Err(Error::Io(_)) if !refreshed => {
                shared.refresh()?;
                shared.read_many(&unbuffered)
            }
            read => read,
        }?;
        let mut read = read.into_iter();
        Ok(hashes
            .iter()
            .map(|hash| match self.buffer.get(hash) {
                Some(chunk) => Some(chunk.clone()),
                None => read.next().expect("one answer per unbuffered hash"),
            })
            .collect())
    }

    fn has_many(&self, hashes: &[Hash]) -> Result<Vec<bool>, Error> {
        let mut shared = self.lock();
        // Always current: a writer that skips a chunk because the store has it must not be
        // misled by a collection another process ran since this store last looked.
        shared.refresh()?;
        let index = &shared.published.index;
        Ok(hashes
            .iter()
            .map(|hash| self.buffer.contains(hash) || index.contains_key(hash))
            .collect())
    }

    fn put(&mut self, chunk: Chunk) -> Result<(), Error> {
        if chunk.len() > CHUNK_BYTES_MAX {
            return Err(Error::TooLarge { bytes: chunk.len(), max: CHUNK_BYTES_MAX });
        }
        // Buffered even when the store seems to have it: a collection in another process may
        // remove it before the flush, which decides under the lock what to write.
        self.buffer.insert(chunk);
        Ok(())
    }

    fn manifest(&self) -> Result<Manifest, Error> {
        let mut shared = self.lock();
        shared.refresh()?;
        Ok(shared.published.manifest)
    }

    fn flush(&mut self, expected: &Manifest, new: &Manifest) -> Result<(), Error> {
        let mut shared = lock(&self.shared);
        shared.locked(|shared| shared.publish(&self.buffer, expected, new))?;
        drop(shared);
        self.buffer.clear();
        Ok(())
    }

    fn collect_garbage(
        &mut self,
        expected: &Manifest,
        keep: &HashSet<Hash>,
    ) -> Result<GcStats, Error> {
        assert!(self.buffer.is_empty(), "flush before collecting garbage");
        self.lock().locked(|shared| shared.compact(expected, keep))
    }
}
