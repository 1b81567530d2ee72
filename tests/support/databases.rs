//! Databases in temporary directories for the tests that open them natively: a directory
//! removed when dropped, options with a fixed clock, and statements run to their rows as
//! text.

use std::path::{Path, PathBuf};

use cambium::db::{ready, Backend, Database, Options, Storage};

/// A directory of its own under the temporary directory, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// `suite` keeps test files apart, `name` tests within one.
    pub fn new(suite: &str, name: &str) -> TempDir {
        let unique = format!("cambium-{suite}-{}-{name}", std::process::id());
        let path = std::env::temp_dir().join(unique);
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create the test directory");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Files storage in the subdirectory `sub` (the directory itself when empty).
    pub fn storage(&self, sub: &str) -> Storage {
        Storage::Files { dir: self.0.join(sub).to_string_lossy().into_owned() }
    }

    /// The `file://` URL of the remote database `database` in this directory.
    pub fn url(&self, database: &str) -> String {
        format!("file://{}", self.0.join("remote").join(database).to_string_lossy())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Options with a fixed clock, so commit hashes do not depend on when a test runs.
pub fn options(storage: Storage) -> Options {
    let mut options = Options::new(storage);
    options.clock = Box::new(|| 1_700_000_000_000);
    options
}

pub fn open(name: &str, storage: Storage) -> Database {
    ready(Database::open(name, options(storage))).unwrap_or_else(|e| panic!("open {name}: {e}"))
}

/// The rows of the last statement of `sql`, each cell as text.
pub fn rows<B: Backend>(db: &mut Database<B>, sql: &str) -> Vec<Vec<String>> {
    let results = ready(db.execute(sql, &[])).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let last = results.last().expect("a result");
    last.rows.iter().map(|row| row.iter().map(|d| d.to_string()).collect()).collect()
}

/// The error `sql` fails with: its code and message.
pub fn fails<B: Backend>(db: &mut Database<B>, sql: &str) -> (String, String) {
    let error = ready(db.execute(sql, &[])).expect_err(sql);
    (error.code().to_string(), error.message().to_string())
}
