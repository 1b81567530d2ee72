//! `NodeFiles`: [`Files`] on Node's synchronous `fs` calls, for the wasm build running in Node.
//!
//! The `fs` module is looked up at run time (`process.getBuiltinModule`, Node 20.16 and later),
//! never imported, so the same wasm module still loads in a browser, where opening a
//! `NodeFiles` is a clean error. Node's `*Sync` calls block, which is what lets the one
//! synchronous `FileStore` serve Node as it serves native programs.

use std::collections::HashMap;

use js_sys::{Array, Function, Int32Array, Object, Reflect, SharedArrayBuffer, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use super::Files;
use crate::chunk::Error;

/// The suffix of the temporary file [`Files::replace`] writes before renaming it into place.
const REPLACE_SUFFIX: &str = ".tmp";

/// The files of one directory through Node's `fs`. Descriptors opened for reading or
/// appending stay open between calls.
pub struct NodeFiles {
    fs: Object,
    process: Object,
    dir: String,
    /// Name → descriptor opened for reading.
    readers: HashMap<String, f64>,
    /// Name → descriptor opened for appending.
    appenders: HashMap<String, f64>,
}

/// The text of a thrown JS error, and its Node error code (`ENOENT`, ...) when it has one.
fn describe(error: &JsValue) -> (String, Option<String>) {
    let field = |name: &str| Reflect::get(error, &name.into()).ok().and_then(|v| v.as_string());
    let message = field("message").unwrap_or_else(|| format!("{error:?}"));
    (message, field("code"))
}

fn io_error(what: &str, name: &str, error: &JsValue) -> Error {
    Error::Io(format!("{what} {name}: {}", describe(error).0))
}

fn has_code(error: &JsValue, code: &str) -> bool {
    describe(error).1.as_deref() == Some(code)
}

fn object(value: JsValue, what: &str) -> Result<Object, Error> {
    value.dyn_into::<Object>().map_err(|_| Error::Io(format!("{what} is not available here")))
}

impl NodeFiles {
    /// Works on the directory `dir` (created, with its parents, when absent) through Node's
    /// `fs` module. Outside Node it fails with an `io` error saying so.
    pub fn open(dir: &str) -> Result<NodeFiles, Error> {
        let unavailable = || Error::Io("Node's fs module is not available here".into());
        let process =
            Reflect::get(&js_sys::global(), &"process".into()).map_err(|_| unavailable())?;
        let process = object(process, "Node's process object")?;
        let get_builtin = Reflect::get(&process, &"getBuiltinModule".into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
            .ok_or_else(unavailable)?;
        let fs = get_builtin.call1(&process, &"fs".into()).map_err(|_| unavailable())?;
        let files = NodeFiles {
            fs: object(fs, "Node's fs module")?,
            process,
            dir: dir.trim_end_matches('/').to_string(),
            readers: HashMap::new(),
            appenders: HashMap::new(),
        };
        let options = Object::new();
        Reflect::set(&options, &"recursive".into(), &true.into()).expect("a plain object");
        files
            .call("mkdirSync", &[files.dir.clone().into(), options.into()])
            .map_err(|e| io_error("creating the directory", dir, &e))?;
        Ok(files)
    }

    /// Calls `fs.<method>(args...)`.
    fn call(&self, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
        let function: Function = Reflect::get(&self.fs, &method.into())?.dyn_into()?;
        function.apply(&self.fs, &args.iter().collect::<Array>())
    }

    fn path(&self, name: &str) -> String {
        format!("{}/{name}", self.dir)
    }

    /// The descriptor of `name` opened with `flags`, kept in `cache`.
    fn descriptor(
        fs: &NodeFiles,
        cache: &mut HashMap<String, f64>,
        name: &str,
        flags: &str,
    ) -> Result<f64, Error> {
        if let Some(fd) = cache.get(name) {
            return Ok(*fd);
        }
        let fd = fs
            .call("openSync", &[fs.path(name).into(), flags.into()])
            .map_err(|e| io_error("opening", name, &e))?
            .as_f64()
            .ok_or_else(|| Error::Io(format!("opening {name}: no descriptor")))?;
        cache.insert(name.to_string(), fd);
        Ok(fd)
    }

    fn close(&mut self, name: &str) {
        for fd in [self.readers.remove(name), self.appenders.remove(name)].into_iter().flatten() {
            // A descriptor that fails to close is gone either way.
            let _ = self.call("closeSync", &[fd.into()]);
        }
    }

    /// Writes all of `bytes` at the descriptor's position (or end, when opened to append).
    fn write_all(&self, fd: f64, name: &str, bytes: &[u8]) -> Result<(), Error> {
        let mut written = 0;
        while written < bytes.len() {
            let chunk = Uint8Array::from(&bytes[written..]);
            let n = self
                .call("writeSync", &[fd.into(), chunk.into()])
                .map_err(|e| io_error("writing", name, &e))?
                .as_f64()
                .unwrap_or(0.0) as usize;
            if n == 0 {
                return Err(Error::Io(format!("writing {name}: nothing was written")));
            }
            written += n;
        }
        Ok(())
    }

    /// Opens `path`, fsyncs it and closes it again (files and the directory alike).
    fn sync_path(&self, path: &str, what: &str) -> Result<(), Error> {
        let fd = self
            .call("openSync", &[path.into(), "r".into()])
            .map_err(|e| io_error("opening", what, &e))?;
        let synced = self
            .call("fsyncSync", std::slice::from_ref(&fd))
            .map_err(|e| io_error("syncing", what, &e));
        let _ = self.call("closeSync", &[fd]);
        synced.map(|_| ())
    }
}

impl Drop for NodeFiles {
    fn drop(&mut self) {
        let names: Vec<String> =
            self.readers.keys().chain(self.appenders.keys()).cloned().collect();
        for name in names {
            self.close(&name);
        }
    }
}

impl Files for NodeFiles {
    fn len(&mut self, name: &str) -> Result<Option<u64>, Error> {
        let options = Object::new();
        Reflect::set(&options, &"throwIfNoEntry".into(), &false.into()).expect("a plain object");
        let stats = self
            .call("statSync", &[self.path(name).into(), options.into()])
            .map_err(|e| io_error("reading the length of", name, &e))?;
        if stats.is_undefined() {
            return Ok(None);
        }
        let size = Reflect::get(&stats, &"size".into()).ok().and_then(|s| s.as_f64());
        Ok(Some(size.ok_or_else(|| Error::Io(format!("reading the length of {name}")))? as u64))
    }

    fn read_at(&mut self, name: &str, offset: u64, len: usize) -> Result<Vec<u8>, Error> {
        let mut readers = std::mem::take(&mut self.readers);
        let fd = NodeFiles::descriptor(self, &mut readers, name, "r");
        self.readers = readers;
        let fd = fd?;
        let buffer = Uint8Array::new_with_length(len as u32);
        let mut filled = 0usize;
        while filled < len {
            let n = self
                .call(
                    "readSync",
                    &[
                        fd.into(),
                        buffer.clone().into(),
                        (filled as f64).into(),
                        ((len - filled) as f64).into(),
                        ((offset + filled as u64) as f64).into(),
                    ],
                )
                .map_err(|e| io_error("reading", name, &e))?
                .as_f64()
                .unwrap_or(0.0) as usize;
            if n == 0 {
                return Err(Error::Io(format!(
                    "reading {name}: the file ends before byte {}",
                    offset + len as u64
                )));
            }
            filled += n;
        }
        Ok(buffer.to_vec())
    }

    fn read_all(&mut self, name: &str) -> Result<Option<Vec<u8>>, Error> {
        match self.call("readFileSync", &[self.path(name).into()]) {
            Ok(bytes) => Ok(Some(Uint8Array::new(&bytes).to_vec())),
            Err(e) if has_code(&e, "ENOENT") => Ok(None),
            Err(e) => Err(io_error("reading", name, &e)),
        }
    }

    fn append(&mut self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        let mut appenders = std::mem::take(&mut self.appenders);
        let fd = NodeFiles::descriptor(self, &mut appenders, name, "a");
        self.appenders = appenders;
        self.write_all(fd?, name, bytes)
    }

    fn sync(&mut self, name: &str) -> Result<(), Error> {
        match self.appenders.get(name) {
            Some(fd) => self
                .call("fsyncSync", &[(*fd).into()])
                .map(|_| ())
                .map_err(|e| io_error("syncing", name, &e)),
            None => self.sync_path(&self.path(name), name),
        }
    }

    fn truncate(&mut self, name: &str, len: u64) -> Result<(), Error> {
        self.call("truncateSync", &[self.path(name).into(), (len as f64).into()])
            .map(|_| ())
            .map_err(|e| io_error("truncating", name, &e))
    }

    fn replace(&mut self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        let temporary = self.path(&format!("{name}{REPLACE_SUFFIX}"));
        self.call("writeFileSync", &[temporary.clone().into(), Uint8Array::from(bytes).into()])
            .map_err(|e| io_error("writing", name, &e))?;
        self.sync_path(&temporary, name)?;
        self.close(name);
        self.call("renameSync", &[temporary.into(), self.path(name).into()])
            .map_err(|e| io_error("renaming into place", name, &e))?;
        // A rename is durable only once the directory holding it is.
        self.sync_path(&self.dir, "the directory")
    }

    fn create_new(&mut self, name: &str, bytes: &[u8]) -> Result<bool, Error> {
        let fd = match self.call("openSync", &[self.path(name).into(), "wx".into()]) {
            Ok(fd) => fd.as_f64().ok_or_else(|| Error::Io(format!("creating {name}")))?,
            Err(e) if has_code(&e, "EEXIST") => return Ok(false),
            Err(e) => return Err(io_error("creating", name, &e)),
        };
        let written = self.write_all(fd, name, bytes).and_then(|()| {
            self.call("fsyncSync", &[fd.into()])
                .map(|_| ())
                .map_err(|e| io_error("syncing", name, &e))
        });
        let _ = self.call("closeSync", &[fd.into()]);
        written.map(|()| true)
    }

    fn remove(&mut self, name: &str) -> Result<(), Error> {
        self.close(name);
        match self.call("unlinkSync", &[self.path(name).into()]) {
            Ok(_) => Ok(()),
            Err(e) if has_code(&e, "ENOENT") => Ok(()),
            Err(e) => Err(io_error("removing", name, &e)),
        }
    }

    fn list(&mut self) -> Result<Vec<String>, Error> {
        let names = self
            .call("readdirSync", &[self.dir.clone().into()])
            .map_err(|e| io_error("listing", &self.dir, &e))?;
        let names: Array = names.dyn_into().map_err(|_| Error::Io("listing: no array".into()))?;
        Ok(names.iter().filter_map(|n| n.as_string()).collect())
    }

    fn process_id(&self) -> u32 {
        Reflect::get(&self.process, &"pid".into()).ok().and_then(|p| p.as_f64()).unwrap_or(0.0)
            as u32
    }

    fn process_alive(&self, pid: u32) -> bool {
        let Ok(kill) =
            Reflect::get(&self.process, &"kill".into()).and_then(|k| k.dyn_into::<Function>())
        else {
            return true;
        };
        // Signal 0 checks that the process exists without disturbing it.
        match kill.call2(&self.process, &pid.into(), &0.into()) {
            Ok(_) => true,
            Err(e) => !has_code(&e, "ESRCH"),
        }
    }

    fn sleep_ms(&mut self, ms: u32) {
        // Atomics.wait on a cell no one notifies blocks the thread for the timeout, which is
        // how a synchronous caller waits in Node.
        let cell = Int32Array::new(&SharedArrayBuffer::new(4));
        let _ = js_sys::Atomics::wait_with_timeout(&cell, 0, 0, f64::from(ms));
    }
}
