//! What the fuzz targets share: a small database (three tables with a unique and a foreign key,
//! two commits, a branch, a tag) built once per process and copied into a fresh memory store for
//! every input, so each input starts from the same state and a crash replays from its input
//! alone. `examples/seeds.rs` writes the seed corpora from the same database.

use std::sync::OnceLock;

use cambium::chunk::{Chunk, ChunkStore, Manifest, MemoryStore};
use cambium::history::Fsck;
use cambium::sql::Session;

/// The database every input starts from.
pub const DATABASE: &str = "fuzz";

/// The statements that build the database.
pub const SCHEMA: &str = "
CREATE TABLE author (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, UNIQUE KEY (name));
CREATE TABLE book (
  id INT PRIMARY KEY, author INT, title TEXT, price DECIMAL(8,2) DEFAULT 9.99,
  published DATE, cover BLOB, CHECK (price >= 0),
  FOREIGN KEY (author) REFERENCES author (id) ON DELETE CASCADE, INDEX (title)
);
CREATE TABLE note (k VARCHAR(20), n BIGINT, f DOUBLE, j JSON, PRIMARY KEY (k, n));
INSERT INTO author VALUES (1, 'Ada'), (2, 'Grace'), (3, 'Edsger');
INSERT INTO book VALUES
  (1, 1, 'Notes', 12.50, '1843-10-01', X'00ff'), (2, 2, 'Compilers', 30, '1952-05-01', NULL),
  (3, 3, 'Goto', 0, NULL, X'');
INSERT INTO note VALUES ('a', 1, 1.5, '{\"x\": [1, 2]}'), ('b', -2, -0.0, 'null');
CALL dolt_commit('-Am', 'first');
CALL dolt_branch('feature');
CALL dolt_tag('v1');
UPDATE book SET price = price + 1 WHERE id < 3;
CALL dolt_commit('-am', 'second');
";

/// The database's chunks and manifest.
struct Fixture {
    chunks: Vec<Chunk>,
    manifest: Manifest,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let mut store = MemoryStore::new();
        let mut session = Session::open(&mut store, DATABASE).expect("a new session");
        session.execute(&mut store, SCHEMA).expect("the fixture's statements");
        let manifest = store.manifest().expect("the manifest");
        let mut fsck = Fsck::new(manifest);
        fsck.advance(&store).expect("a walk of a memory store");
        let (report, reached) = fsck.reached();
        assert!(report.is_clean(), "the fixture is sound: {report}");
        let mut hashes: Vec<_> = reached.into_iter().collect();
        hashes.sort();
        let chunks = store.get_many(&hashes).expect("reached chunks").into_iter().flatten();
        Fixture { chunks: chunks.collect(), manifest }
    })
}

/// A new memory store holding the database.
pub fn database() -> MemoryStore {
    let fixture = fixture();
    let mut store = MemoryStore::new();
    for chunk in &fixture.chunks {
        store.put(chunk.clone()).expect("put");
    }
    store.flush(&Manifest::EMPTY, &fixture.manifest).expect("flush");
    store
}

/// Every chunk of the database, in hash order.
pub fn chunks() -> &'static [Chunk] {
    &fixture().chunks
}

/// The database's manifest.
pub fn manifest() -> Manifest {
    fixture().manifest
}
