//! Writes the seed corpora under `fuzz/corpus/<target>/seed-*`: statements for `sql`; every
//! chunk of the fixture database for each decoder of `chunk_decode`, with keys, cells, schemas
//! and a file store's files; and a request to every endpoint for `remote_request`, with the
//! fixture's real hashes and the auth file's tokens. Run it from `fuzz/` with
//! `cargo run --example seeds` after the fixture or a format changes.

use std::path::Path;

use cambium::chunk::{Chunk, ChunkStore, Hash, Manifest};
use cambium::history::{Commit, Table};
use cambium::platform::files::{FileStore, NativeFiles};
use cambium::row::{encode_cells, encode_key, Value};
use cambium::sync::{encode_chunks, encode_hashes, encode_pack_request, encode_swap, PackRequest};

const STATEMENTS: &[&str] = &[
    "SELECT a.name, COUNT(*), SUM(b.price) FROM author a JOIN book b ON b.author = a.id GROUP BY a.name HAVING COUNT(*) > 0 ORDER BY 2 DESC LIMIT 2",
    "SELECT id, -price * 2 + 1, CASE WHEN price > 10 THEN 'dear' ELSE 'cheap' END, title LIKE 'N%' FROM book WHERE published BETWEEN '1800-01-01' AND '2000-01-01'",
    "SELECT CAST(n AS CHAR), f / 0, j->'$.x[1]', CONCAT(k, '!'), COALESCE(NULL, k) FROM note WHERE k IN ('a', 'b')",
    "SELECT * FROM book WHERE author IN (SELECT id FROM author WHERE name <> 'Ada') UNION SELECT * FROM book WHERE id = 1",
    "INSERT INTO author VALUES (4, 'Barbara') ON DUPLICATE KEY UPDATE name = VALUES(name); UPDATE book SET price = price * 1.1 WHERE author = 4",
    "DELETE FROM author WHERE id = 1; SELECT COUNT(*) FROM book",
    "BEGIN; INSERT INTO note VALUES ('c', 3, 2.5, '[]'); ROLLBACK; SELECT * FROM note",
    "ALTER TABLE note ADD COLUMN extra INT DEFAULT 7; CREATE INDEX by_f ON note (f); SELECT * FROM note",
    "CALL dolt_checkout('-b', 'work'); INSERT INTO author VALUES (9, 'Niklaus'); CALL dolt_commit('-am', 'w'); CALL dolt_checkout('main'); CALL dolt_merge('work')",
    "SELECT * FROM dolt_log; SELECT * FROM dolt_diff_book; SELECT * FROM book AS OF 'v1'; SELECT * FROM dolt_status",
    "SET @x = 5; SELECT @x + 1, @@autocommit, NOW(), DATE_ADD('2020-01-31', INTERVAL 1 MONTH)",
    "CREATE TABLE t2 (a INT PRIMARY KEY AUTO_INCREMENT, b VARCHAR(10) UNIQUE, CHECK (a < 100)); INSERT INTO t2 (b) VALUES ('x'), ('y'); SELECT LAST_INSERT_ID()",
    "SHOW TABLES; SHOW CREATE TABLE book; DESCRIBE note; SELECT DATABASE()",
];

const WRITER: &str = "Bearer writer-token-0123456789";
const READER: &str = "Bearer reader-token-0123456789";

fn write(target: &str, name: String, bytes: &[u8]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(target);
    std::fs::create_dir_all(&dir).expect("the corpus directory");
    std::fs::write(dir.join(format!("seed-{name}")), bytes).expect("a seed");
}

fn prefixed(prefix: &[u8], bytes: &[u8]) -> Vec<u8> {
    [prefix, bytes].concat()
}

fn request(mode: u8, method: &str, path: &str, authorization: &str, body: &[u8]) -> Vec<u8> {
    prefixed(&[mode], &prefixed(format!("{method}\n{path}\n\n{authorization}\n").as_bytes(), body))
}

fn main() {
    for (i, statement) in STATEMENTS.iter().enumerate() {
        write("sql", format!("{i:02}"), statement.as_bytes());
    }

    let chunks = cambium_fuzz::chunks();
    let store = cambium_fuzz::database();
    let mut commits = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        let at = u8::try_from(i).expect("the fixture has fewer than 256 chunks");
        write("chunk_decode", format!("database-{i:02}"), &prefixed(&[7, at], chunk.data()));
        write("chunk_decode", format!("map-{i:02}"), &prefixed(&[0], chunk.data()));
        write("chunk_decode", format!("object-{i:02}"), &prefixed(&[4], chunk.data()));
        if let Ok(table) = Table::read(&store, chunk.hash()) {
            let schema = table.schema.encode().expect("a schema encodes");
            write("chunk_decode", format!("schema-{i:02}"), &prefixed(&[3], &schema));
        }
        if Commit::read(&store, chunk.hash()).is_ok() {
            commits.push(chunk.hash());
        }
    }
    let key =
        encode_key(&[Value::Int(-7), Value::Text("ab\0c".into()), Value::Null]).expect("a key");
    write("chunk_decode", "key".into(), &prefixed(&[1], &key));
    let cells =
        encode_cells(&[(1, Value::Float(2.5)), (4, Value::Bytes(vec![0, 255]))]).expect("cells");
    write("chunk_decode", "cells".into(), &prefixed(&[2], &cells));
    write("chunk_decode", "files".into(), &prefixed(&[6], &file_store(&chunks[..3])));

    let manifest = cambium_fuzz::manifest();
    let hashes: Vec<Hash> = chunks.iter().take(4).map(Chunk::hash).collect();
    let next = Manifest { epoch: manifest.epoch + 1, ..manifest };
    let pack = PackRequest { wants: vec![(false, commits[0])], haves: commits[1..].to_vec() };
    let new = Chunk::new(b"a new chunk".to_vec());
    let requests = [
        ("manifest", request(0, "GET", "/fuzz/manifest", "", b"")),
        ("refs", request(0, "GET", "/fuzz/refs", "", b"")),
        ("has", request(0, "POST", "/fuzz/has", "", &encode_hashes(&hashes))),
        ("get", request(0, "POST", "/fuzz/get", "", &encode_hashes(&hashes))),
        ("put", request(0, "POST", "/fuzz/put", "", &encode_chunks(std::slice::from_ref(&new)))),
        ("swap", request(0, "POST", "/fuzz/manifest", "", &encode_swap(&manifest, &next))),
        ("pack", request(0, "POST", "/fuzz/pack", "", &encode_pack_request(&pack))),
        ("events", request(0, "GET", "/fuzz/events", "", b"")),
        ("server-put", request(2, "POST", "/shop/put", WRITER, &encode_chunks(&[new]))),
        ("server-read", request(2, "GET", "/shop/manifest", READER, b"")),
        (
            "server-swap",
            request(2, "POST", "/shop/manifest", WRITER, &encode_swap(&Manifest::EMPTY, &next)),
        ),
        (
            "auth",
            request(
                3,
                "",
                "notes",
                WRITER,
                br#"{"tokens": [{"token": "writer-token-0123456789", "database": "notes", "scope": "write"}]}"#,
            ),
        ),
    ];
    for (name, bytes) in requests {
        write("remote_request", name.into(), &bytes);
    }
}

/// The manifest file and journal of a file store holding `chunks`, as `chunk_decode` reads them.
fn file_store(chunks: &[Chunk]) -> Vec<u8> {
    let dir = std::env::temp_dir().join(format!("cambium-fuzz-seeds-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut store = FileStore::open(NativeFiles::open(&dir).expect("a directory")).expect("open");
    for chunk in chunks {
        store.put(chunk.clone()).expect("put");
    }
    let manifest = Manifest { root: Some(chunks[0].hash()), epoch: 0 };
    store.flush(&Manifest::EMPTY, &manifest).expect("flush");
    drop(store);
    let read = |name: &str| std::fs::read(dir.join(name)).expect("a store file");
    let bytes = [read("manifest"), read("journal-0000000000000001")].concat();
    let _ = std::fs::remove_dir_all(&dir);
    bytes
}
