//! `NativeFiles`: [`Files`] on `std::fs`, for native programs and tests.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, ErrorKind, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::Files;
use crate::chunk::Error;

/// The suffix of the temporary file [`Files::replace`] writes before renaming it into place.
const REPLACE_SUFFIX: &str = ".tmp";

fn io_error(what: &str, name: &str, error: io::Error) -> Error {
    Error::Io(format!("{what} {name}: {error}"))
}

/// The files of one directory. Files read or appended to stay open between calls, so reading a
/// chunk costs a seek and a read, not an open.
pub struct NativeFiles {
    dir: PathBuf,
    open: HashMap<String, File>,
}

impl NativeFiles {
    /// Works on the directory `dir`, creating it (and its parents) when absent.
    pub fn open(dir: impl Into<PathBuf>) -> Result<NativeFiles, Error> {
        let dir = dir.into();
        fs::create_dir_all(&dir)
            .map_err(|e| io_error("creating the directory", &dir.display().to_string(), e))?;
        Ok(NativeFiles { dir, open: HashMap::new() })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The open file `name`, opened for reading and writing on first use, and created then if
    /// `create` (reading never creates a file).
    fn file(&mut self, name: &str, create: bool) -> Result<&mut File, Error> {
        if !self.open.contains_key(name) {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(create)
                .truncate(false)
                .open(self.path(name))
                .map_err(|e| io_error("opening", name, e))?;
            self.open.insert(name.to_string(), file);
        }
        Ok(self.open.get_mut(name).expect("inserted above"))
    }

    /// Writes `bytes` to a temporary file (synced when `sync`) and renames it over `name`.
    fn rename_into(&mut self, name: &str, bytes: &[u8], sync: bool) -> Result<(), Error> {
        let temporary = format!("{name}{REPLACE_SUFFIX}");
        let temporary_path = self.path(&temporary);
        File::create(&temporary_path)
            .and_then(|mut file| {
                file.write_all(bytes)?;
                if sync {
                    file.sync_all()?;
                }
                Ok(())
            })
            .map_err(|e| io_error("writing", &temporary, e))?;
        self.open.remove(name);
        fs::rename(&temporary_path, self.path(name)).map_err(|e| io_error("renaming", name, e))
    }

    fn sync_dir(&self) -> Result<(), Error> {
        // A rename is durable only once the directory holding it is; Unix lets a directory be
        // opened and fsynced. Elsewhere (Windows) the rename itself is what the OS offers.
        #[cfg(unix)]
        File::open(&self.dir)
            .and_then(|dir| dir.sync_all())
            .map_err(|e| io_error("syncing the directory", &self.dir.display().to_string(), e))?;
        Ok(())
    }
}

impl Files for NativeFiles {
    fn len(&mut self, name: &str) -> Result<Option<u64>, Error> {
        match fs::metadata(self.path(name)) {
            Ok(metadata) => Ok(Some(metadata.len())),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error("reading the length of", name, e)),
        }
    }

    fn read_at(&mut self, name: &str, offset: u64, len: usize) -> Result<Vec<u8>, Error> {
        let file = self.file(name, false)?;
        let mut bytes = vec![0u8; len];
        file.seek(SeekFrom::Start(offset))
            .and_then(|_| file.read_exact(&mut bytes))
            .map_err(|e| io_error("reading", name, e))?;
        Ok(bytes)
    }

    fn read_all(&mut self, name: &str) -> Result<Option<Vec<u8>>, Error> {
        // Opened afresh each time: `replace` swaps in a new file under the same name.
        match fs::read(self.path(name)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error("reading", name, e)),
        }
    }

    fn append(&mut self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        let file = self.file(name, true)?;
        file.seek(SeekFrom::End(0))
            .and_then(|_| file.write_all(bytes))
            .map_err(|e| io_error("appending to", name, e))
    }

    fn sync(&mut self, name: &str) -> Result<(), Error> {
        self.file(name, false)?.sync_all().map_err(|e| io_error("syncing", name, e))
    }

    fn truncate(&mut self, name: &str, len: u64) -> Result<(), Error> {
        self.file(name, false)?.set_len(len).map_err(|e| io_error("truncating", name, e))
    }

    fn replace(&mut self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        self.rename_into(name, bytes, true)?;
        self.sync_dir()
    }

    fn replace_volatile(&mut self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        self.rename_into(name, bytes, false)
    }

    fn create_new(&mut self, name: &str, bytes: &[u8]) -> Result<bool, Error> {
        match OpenOptions::new().write(true).create_new(true).open(self.path(name)) {
            Ok(mut file) => {
                file.write_all(bytes).map_err(|e| io_error("writing", name, e))?;
                Ok(true)
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(io_error("creating", name, e)),
        }
    }

    fn remove(&mut self, name: &str) -> Result<(), Error> {
        self.open.remove(name);
        match fs::remove_file(self.path(name)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error("removing", name, e)),
        }
    }

    fn list(&mut self) -> Result<Vec<String>, Error> {
        let dir = self.dir.display().to_string();
        let mut names = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(|e| io_error("listing", &dir, e))? {
            let entry = entry.map_err(|e| io_error("listing", &dir, e))?;
            // The store names its files in ASCII; anything else is not one of them.
            if let Ok(name) = entry.file_name().into_string() {
                names.push(name);
            }
        }
        Ok(names)
    }

    fn process_id(&self) -> u32 {
        std::process::id()
    }

    fn process_alive(&self, pid: u32) -> bool {
        if pid == std::process::id() {
            return true;
        }
        if cfg!(target_os = "linux") {
            Path::new("/proc").join(pid.to_string()).exists()
        } else {
            true
        }
    }

    fn sleep_ms(&mut self, ms: u32) {
        std::thread::sleep(std::time::Duration::from_millis(u64::from(ms)));
    }
}
