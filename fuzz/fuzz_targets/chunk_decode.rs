//! Chunk bytes from outside (a damaged disk, a faulty or hostile peer) decoded by every decoder
//! of the formats: prolly map nodes, row keys and cells, schemas, manifests, the history objects,
//! the client's reading of protocol answers, and the file store's journal and manifest file.
//! Every decoder must refuse bad bytes with an error, never panic, and the row and schema
//! decoders accept only what their encoders write, so decoding and encoding again gives the same
//! bytes. The strongest case puts the bytes in place of one chunk of the fixture database (its
//! parents rewritten to name the new chunk, up to a new manifest), then runs fsck and statements
//! that read and write every table and the history over it.
//!
//! The first byte chooses the decoder; for the database case the second chooses the chunk.

#![no_main]

use cambium::chunk::{Chunk, ChunkStore, Hash, Manifest, MemoryStore};
use cambium::history::{fsck, Commit, RefMap, RootValue, Table, Tag, WorkingSet};
use cambium::platform::files::{FileStore, NativeFiles, MANIFEST_FILE, MANIFEST_FILE_BYTES};
use cambium::prolly::Map;
use cambium::row::{decode_cells, decode_key, encode_cells, encode_key, Schema};
use cambium::sql::Session;
use cambium::sync::{decode_presence, decode_refs};
use libfuzzer_sys::fuzz_target;

/// Entries a map walk reads at most: nodes are bounded, but a tree of them need not be.
const ENTRIES_READ_MAX: usize = 10_000;

/// Statements run over a database holding the damaged chunk: reads of every table, the history
/// and its diffs, and writes that edit the damaged trees.
const STATEMENTS: &[&str] = &[
    "SELECT * FROM author",
    "SELECT * FROM book WHERE title > 'A' ORDER BY price",
    "SELECT * FROM note",
    "SELECT * FROM dolt_log",
    "SELECT * FROM dolt_branches",
    "SELECT * FROM dolt_tags",
    "SELECT * FROM dolt_status",
    "SELECT * FROM dolt_diff_book",
    "SELECT * FROM book AS OF 'feature'",
    "INSERT INTO author VALUES (4, 'Barbara')",
    "UPDATE book SET price = 1 WHERE id = 2",
    "DELETE FROM author WHERE id = 1",
    "CALL dolt_merge('feature')",
    "CALL dolt_commit('-Am', 'after damage')",
];

fuzz_target!(|data: &[u8]| {
    let Some((&choice, bytes)) = data.split_first() else { return };
    match choice % 8 {
        0 => map(bytes),
        1 => {
            if let Ok(values) = decode_key(bytes) {
                assert_eq!(encode_key(&values).expect("a decoded key encodes"), bytes);
            }
        }
        2 => {
            if let Ok(cells) = decode_cells(bytes) {
                assert_eq!(encode_cells(&cells).expect("decoded cells encode"), bytes);
            }
        }
        3 => {
            if let Ok(schema) = Schema::decode(bytes) {
                assert_eq!(schema.encode().expect("a decoded schema encodes"), bytes);
            }
        }
        4 => objects(bytes),
        5 => protocol_answers(bytes),
        6 => file_store(bytes),
        _ => database(bytes),
    }
});

/// A store holding the fixture database and `bytes` as one more chunk, and that chunk's hash.
fn with_chunk(bytes: &[u8]) -> (MemoryStore, Hash) {
    let mut store = cambium_fuzz::database();
    let chunk = Chunk::new(bytes.to_vec());
    let hash = chunk.hash();
    store.put(chunk).expect("put");
    let manifest = store.manifest().expect("manifest");
    store.flush(&manifest, &manifest).expect("flush");
    (store, hash)
}

/// The bytes as the root of a prolly map, its children looked up among the fixture's chunks.
fn map(bytes: &[u8]) {
    let (store, hash) = with_chunk(bytes);
    let map = Map::from_root(hash);
    let mut first = None;
    for entry in map.iter(&store).take(ENTRIES_READ_MAX) {
        match entry {
            Ok((key, _)) => first = first.or(Some(key)),
            Err(_) => break,
        }
    }
    let _ = map.count(&store);
    let _ = map.get(&store, first.as_deref().unwrap_or(bytes));
    let _ = map.chunk_hashes(&store);
}

/// The bytes as each kind of history object.
fn objects(bytes: &[u8]) {
    let (store, hash) = with_chunk(bytes);
    let _ = Commit::read(&store, hash);
    let _ = RootValue::read(&store, hash);
    let _ = Table::read(&store, hash);
    let _ = WorkingSet::read(&store, hash);
    let _ = Tag::read(&store, hash);
    let _ = RefMap::read(&store, hash);
    let _ = Manifest::decode(bytes);
}

/// The bytes as a server's answers, which a client reads.
fn protocol_answers(bytes: &[u8]) {
    let _ = decode_refs(bytes);
    let count = bytes.first().map_or(0, |&n| usize::from(n));
    let _ = decode_presence(bytes.get(1..).unwrap_or_default(), count);
}

/// The bytes as a file store's files: the first `MANIFEST_FILE_BYTES` its manifest file, the
/// rest its first journal. Opening and reading must refuse damage, never panic.
fn file_store(bytes: &[u8]) {
    let (manifest, journal) = bytes.split_at(bytes.len().min(MANIFEST_FILE_BYTES));
    let dir = std::env::temp_dir().join(format!("cambium-fuzz-files-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    std::fs::write(dir.join(MANIFEST_FILE), manifest).expect("write the manifest file");
    std::fs::write(dir.join("journal-0000000000000001"), journal).expect("write the journal");
    if let Ok(store) = NativeFiles::open(&dir).and_then(FileStore::open) {
        let _ = fsck(&store);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The bytes in place of one chunk of the fixture database.
fn database(data: &[u8]) {
    let Some((&at, bytes)) = data.split_first() else { return };
    let chunks = cambium_fuzz::chunks();
    let mut store = replaced(chunks, usize::from(at) % chunks.len(), bytes);
    let _ = fsck(&store);
    let Ok(mut session) = Session::open(&mut store, cambium_fuzz::DATABASE) else { return };
    for statement in STATEMENTS {
        if let Err(error) = session.execute(&mut store, statement) {
            assert!(!error.code().is_empty(), "an error without a code: {error:?}");
        }
    }
}

/// A store holding `chunks` with the one at `at` replaced by `bytes`, every chunk that named it
/// (directly or through others) rewritten to name its replacement, and the manifest moved to
/// the rewritten root. Hashes are 20 bytes of BLAKE3, so a hash's bytes inside a chunk are a
/// reference to it.
fn replaced(chunks: &[Chunk], at: usize, bytes: &[u8]) -> MemoryStore {
    let mut data: Vec<Vec<u8>> = chunks.iter().map(|chunk| chunk.data().to_vec()).collect();
    let mut hashes: Vec<Hash> = chunks.iter().map(Chunk::hash).collect();
    data[at] = bytes.to_vec();
    let mut changed = vec![(hashes[at], Hash::of(bytes))];
    hashes[at] = Hash::of(bytes);
    let mut root = cambium_fuzz::manifest().root;
    // Only the original chunks are rewritten, and they form a DAG, so this ends.
    while let Some((old, new)) = changed.pop() {
        if root == Some(old) {
            root = Some(new);
        }
        for i in (0..data.len()).filter(|&i| i != at) {
            if replace_all(&mut data[i], old.as_bytes(), new.as_bytes()) {
                let hash = Hash::of(&data[i]);
                changed.push((hashes[i], hash));
                hashes[i] = hash;
            }
        }
    }
    let mut store = MemoryStore::new();
    for bytes in data {
        store.put(Chunk::new(bytes)).expect("put");
    }
    let manifest = Manifest { root, epoch: 0 };
    store.flush(&Manifest::EMPTY, &manifest).expect("flush");
    store
}

/// Replaces every occurrence of `old` in `bytes` with `new` (of the same length); whether any.
fn replace_all(bytes: &mut [u8], old: &[u8], new: &[u8]) -> bool {
    let mut found = false;
    let mut i = 0;
    while i + old.len() <= bytes.len() {
        if &bytes[i..i + old.len()] == old {
            bytes[i..i + old.len()].copy_from_slice(new);
            found = true;
            i += old.len();
        } else {
            i += 1;
        }
    }
    found
}
