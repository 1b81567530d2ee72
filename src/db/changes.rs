//! Change events: a database object hears that the data it reads moved under it, because
//! another object of the same database published: in this program, (IndexedDB) in another tab
//! or worker of the origin, or (files, in Node) in another process.
//!
//! Objects of one database in one program find each other through a registry keyed by where
//! the database lives (`memory/<name>`, `files/<dir>/<name>`, `indexeddb/<name>`); a publish
//! tells every other object of its key. Other tabs are heard on the IndexedDB backend's
//! BroadcastChannel, which calls each object's [`Watch::this_object`]. Other processes are
//! heard, for files in the Node build, by one watch of the database's `manifest` per program
//! ([`Watch::share_hearing`]): it tells every object of the key once per change, ignores the
//! program's own replacements of the file (their objects heard them through the registry), and
//! stops when the last object of the database closes. The native build has no such watch:
//! there, objects on files hear only each other.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use super::Storage;

/// Listeners one object may hold: enough for any program, small enough that a leak of
/// listeners (one added per render, say) is refused before it costs much.
pub const LISTENERS_MAX: usize = 64;

/// A listener, called once per change heard.
pub type Listener = Rc<dyn Fn()>;

/// What hears other programs' publishes for every object of one database (a watch of its
/// files), kept by each object of it so that the last one to close stops it.
#[cfg(target_arch = "wasm32")]
type Hearing = Rc<dyn std::any::Any>;

#[derive(Default)]
struct Listeners {
    list: RefCell<Vec<Listener>>,
    #[cfg(target_arch = "wasm32")]
    hearing: RefCell<Option<Hearing>>,
}

impl Listeners {
    fn call(&self) {
        // Called on a copy, so a listener may add or remove listeners.
        let list: Vec<Listener> = self.list.borrow().clone();
        for listener in list {
            listener();
        }
    }
}

thread_local! {
    /// The listeners of the database objects open in this program, by key. Entries of closed
    /// objects are dropped when their key is next joined.
    static OPEN: RefCell<HashMap<String, Vec<Weak<Listeners>>>> = RefCell::new(HashMap::new());
}

/// The listeners of the objects of `key` still open.
fn open_objects(key: &str) -> Vec<Rc<Listeners>> {
    OPEN.with(|open| {
        open.borrow().get(key).into_iter().flatten().filter_map(Weak::upgrade).collect()
    })
}

/// One database object's place in the registry.
pub struct Watch {
    key: String,
    listeners: Rc<Listeners>,
}

impl Watch {
    /// Joins the registry for database `name` on `storage`.
    pub fn join(name: &str, storage: &Storage) -> Watch {
        let key = match storage {
            Storage::Memory => format!("memory/{name}"),
            Storage::Files { dir } => format!("files/{}/{name}", dir.trim_end_matches('/')),
            Storage::IndexedDb => format!("indexeddb/{name}"),
        };
        let listeners = Rc::new(Listeners::default());
        OPEN.with(|open| {
            let mut open = open.borrow_mut();
            let entries = open.entry(key.clone()).or_default();
            entries.retain(|entry| entry.strong_count() > 0);
            entries.push(Rc::downgrade(&listeners));
        });
        Watch { key, listeners }
    }

    /// Adds a listener; refused (false) past [`LISTENERS_MAX`].
    pub fn listen(&self, listener: Listener) -> bool {
        let mut list = self.listeners.list.borrow_mut();
        if list.len() >= LISTENERS_MAX {
            return false;
        }
        list.push(listener);
        true
    }

    /// Removes a listener added earlier (compared by pointer); whether it was there.
    pub fn unlisten(&self, listener: &Listener) -> bool {
        let mut list = self.listeners.list.borrow_mut();
        let before = list.len();
        list.retain(|l| !Rc::ptr_eq(l, listener));
        list.len() != before
    }

    /// Tells every other object of this database in this program that this one published.
    pub fn published(&self) {
        for other in open_objects(&self.key) {
            if !Rc::ptr_eq(&other, &self.listeners) {
                other.call();
            }
        }
    }

    /// What a backend opening this object's store is given to pass on changes it hears from
    /// outside this program: the watch itself, through [`Watch::this_object`] (a change one
    /// object heard) and [`Watch::share_hearing`] (a change every object of the database hears
    /// at once). The native build hears nothing from outside and leaves it unused.
    pub fn notifier(&self) -> &Watch {
        self
    }

    /// A callback that tells this object's listeners of a change heard from elsewhere (another
    /// tab); it does nothing once the object is gone.
    #[cfg(target_arch = "wasm32")]
    pub fn this_object(&self) -> Rc<dyn Fn()> {
        let listeners = Rc::downgrade(&self.listeners);
        Rc::new(move || {
            if let Some(listeners) = listeners.upgrade() {
                listeners.call();
            }
        })
    }

    /// Makes this object keep the one hearing its database has in this program: the one
    /// another open object of it keeps, or else a new one that `start` makes, given a callback
    /// that tells every object of the database (this one included) of a change. The hearing
    /// stops when the last object keeping it closes. A failing `start` leaves the object
    /// without one.
    #[cfg(target_arch = "wasm32")]
    pub fn share_hearing<H: 'static, E>(
        &self,
        start: impl FnOnce(Rc<dyn Fn()>) -> Result<H, E>,
    ) -> Result<(), E> {
        let shared =
            open_objects(&self.key).iter().find_map(|other| other.hearing.borrow().clone());
        let hearing = match shared {
            Some(hearing) => hearing,
            None => {
                let key = self.key.clone();
                let everyone: Rc<dyn Fn()> = Rc::new(move || {
                    for object in open_objects(&key) {
                        object.call();
                    }
                });
                Rc::new(start(everyone)?)
            }
        };
        *self.listeners.hearing.borrow_mut() = Some(hearing);
        Ok(())
    }
}
