//! `NodeFiles`: [`Files`] on Node's synchronous `fs` calls, for the wasm build running in Node.
//!
//! The `fs` module is looked up at run time (`process.getBuiltinModule`, Node 20.16 and later),
//! never imported, so the same wasm module still loads in a browser, where opening a
//! `NodeFiles` is a clean error. Node's `*Sync` calls block, which is what lets the one
//! synchronous `FileStore` serve Node as it serves native programs.
//!
//! [`NodeFiles::watch`] is what lets a program hear another process replace a file of the
//! directory (the store's `manifest`, on every flush): `fs.watch` on the directory, with bursts
//! of events read as one, and this program's own replacements told apart by their bytes. The
//! native `Files` offers no such watch.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use js_sys::{Array, Function, Int32Array, Object, Reflect, SharedArrayBuffer, Uint8Array};
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};

use super::Files;
use crate::chunk::Error;

/// The suffix of the temporary file [`Files::replace`] writes before renaming it into place.
const REPLACE_SUFFIX: &str = ".tmp";

/// How long a watch waits after the first event of a burst before it reads the file: one
/// replacement may be reported more than once, and a writer that flushes again and again is
/// heard once per wait rather than once per event.
const CHANGE_DEBOUNCE_MS: u32 = 25;

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

/// Calls `target.<method>(args...)`.
fn call(target: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let function: Function = Reflect::get(target, &method.into())?.dyn_into()?;
    function.apply(target, &args.iter().collect::<Array>())
}

/// The whole of the file at `path`, `None` when it does not exist.
fn read_file(fs: &Object, path: &str) -> Result<Option<Vec<u8>>, JsValue> {
    match call(fs, "readFileSync", &[path.into()]) {
        Ok(bytes) => Ok(Some(Uint8Array::new(&bytes).to_vec())),
        Err(e) if has_code(&e, "ENOENT") => Ok(None),
        Err(e) => Err(e),
    }
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
        call(&self.fs, method, args)
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

    /// Writes `bytes` to a temporary file (synced when `sync`) and renames it over `name`.
    fn rename_into(&mut self, name: &str, bytes: &[u8], sync: bool) -> Result<(), Error> {
        let temporary = self.path(&format!("{name}{REPLACE_SUFFIX}"));
        self.call("writeFileSync", &[temporary.clone().into(), Uint8Array::from(bytes).into()])
            .map_err(|e| io_error("writing", name, &e))?;
        if sync {
            self.sync_path(&temporary, name)?;
        }
        self.close(name);
        self.call("renameSync", &[temporary.into(), self.path(name).into()])
            .map_err(|e| io_error("renaming into place", name, &e))?;
        Watched::replaced(&self.path(name), bytes);
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

    /// Watches the file `name` of the directory for replacements by other processes:
    /// `on_change` is called [`CHANGE_DEBOUNCE_MS`] after the first event of a burst about the
    /// file, when its bytes then differ from those this program last wrote there (through
    /// [`Files::replace`] of any `NodeFiles`) or last read. The watch keeps no Node process
    /// alive; dropping it stops it. Fails with an `io` error when Node cannot watch the
    /// directory.
    pub fn watch(&self, name: &str, on_change: Rc<dyn Fn()>) -> Result<FileWatch, Error> {
        let path = self.path(name);
        let known = read_file(&self.fs, &path).map_err(|e| io_error("reading", name, &e))?;
        let state = Rc::new(Watched { known: RefCell::new(known), timer: RefCell::new(None) });
        // Nothing the callbacks change can be left half-changed by a panic inside them.
        let check = Closure::<dyn FnMut()>::own_assert_unwind_safe({
            let (fs, path, state) = (self.fs.clone(), path.clone(), state.clone());
            move || {
                state.timer.borrow_mut().take();
                // A file that cannot be read now is read again at the next event about it.
                let Ok(bytes) = read_file(&fs, &path) else { return };
                if state.known.replace(bytes.clone()) != bytes {
                    on_change();
                }
            }
        });
        let on_event = Closure::<dyn FnMut(JsValue, JsValue)>::own_assert_unwind_safe({
            let (name, state) = (name.to_string(), state.clone());
            let check: JsValue = check.as_ref().clone();
            move |_kind: JsValue, file: JsValue| {
                // Node names the file where the platform tells it; an event without a name may
                // be about the watched file.
                let other_file = file.as_string().is_some_and(|file| file != name);
                if other_file || state.timer.borrow().is_some() {
                    return;
                }
                let arguments = [check.clone(), CHANGE_DEBOUNCE_MS.into()];
                if let Ok(timer) = call(&js_sys::global(), "setTimeout", &arguments) {
                    *state.timer.borrow_mut() = Some(timer);
                }
            }
        });
        let watcher = self
            .call("watch", &[self.dir.clone().into(), on_event.as_ref().clone()])
            .map_err(|e| io_error("watching the directory of", name, &e))?;
        let watch = FileWatch {
            path: path.clone(),
            watcher,
            state: state.clone(),
            _on_event: on_event,
            check,
        };
        // Node reports a watch that broke (its directory removed, say) as an `error` event,
        // which would be thrown without a listener. Node has closed the watcher by then; the
        // file is read once more, so a change that came with the break is still heard.
        call(&watch.watcher, "on", &["error".into(), watch.check.as_ref().clone()])
            .and_then(|_| call(&watch.watcher, "unref", &[]))
            .map_err(|e| io_error("watching the directory of", name, &e))?;
        WATCHED.with(|watched| {
            let mut watched = watched.borrow_mut();
            let entries = watched.entry(path).or_default();
            entries.retain(|entry| entry.strong_count() > 0);
            entries.push(Rc::downgrade(&state));
        });
        Ok(watch)
    }
}

/// What a [`FileWatch`] knows of its file.
struct Watched {
    /// The file's bytes as this program last wrote or read them; `None` while it is absent.
    known: RefCell<Option<Vec<u8>>>,
    /// The timer of the read that waits for a burst of events to settle.
    timer: RefCell<Option<JsValue>>,
}

thread_local! {
    /// The watches open in this program, by the path of the file they watch, so that a
    /// replacement this program makes is known to them before Node reports it.
    static WATCHED: RefCell<HashMap<String, Vec<Weak<Watched>>>> = RefCell::new(HashMap::new());
}

impl Watched {
    /// Records that this program replaced the file at `path` with `bytes`: its own write, which
    /// the watches of the file must not take for another process's.
    fn replaced(path: &str, bytes: &[u8]) {
        WATCHED.with(|watched| {
            let watched = watched.borrow();
            for state in watched.get(path).into_iter().flatten().filter_map(Weak::upgrade) {
                *state.known.borrow_mut() = Some(bytes.to_vec());
            }
        });
    }
}

/// A watch on one file, started by [`NodeFiles::watch`]. Dropping it closes Node's watcher and
/// clears a pending timer before the callbacks are freed, so Node never calls a freed closure.
pub struct FileWatch {
    path: String,
    watcher: JsValue,
    state: Rc<Watched>,
    _on_event: Closure<dyn FnMut(JsValue, JsValue)>,
    check: Closure<dyn FnMut()>,
}

impl Drop for FileWatch {
    fn drop(&mut self) {
        // A watcher that fails to close was closed by Node already, after an error.
        let _ = call(&self.watcher, "close", &[]);
        if let Some(timer) = self.state.timer.borrow_mut().take() {
            let _ = call(&js_sys::global(), "clearTimeout", &[timer]);
        }
        WATCHED.with(|watched| {
            let mut watched = watched.borrow_mut();
            if let Some(entries) = watched.get_mut(&self.path) {
                entries.retain(|entry| {
                    entry.upgrade().is_some_and(|state| !Rc::ptr_eq(&state, &self.state))
                });
                if entries.is_empty() {
                    watched.remove(&self.path);
                }
            }
        });
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
        read_file(&self.fs, &self.path(name)).map_err(|e| io_error("reading", name, &e))
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
        self.rename_into(name, bytes, true)?;
        // A rename is durable only once the directory holding it is.
        self.sync_path(&self.dir, "the directory")
    }

    fn replace_volatile(&mut self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        self.rename_into(name, bytes, false)
    }

    fn create_new(&mut self, name: &str, bytes: &[u8]) -> Result<bool, Error> {
        let fd = match self.call("openSync", &[self.path(name).into(), "wx".into()]) {
            Ok(fd) => fd.as_f64().ok_or_else(|| Error::Io(format!("creating {name}")))?,
            Err(e) if has_code(&e, "EEXIST") => return Ok(false),
            Err(e) => return Err(io_error("creating", name, &e)),
        };
        // Not synced: the lock matters only to live processes, and a crash releases it anyway.
        let written = self.write_all(fd, name, bytes);
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
