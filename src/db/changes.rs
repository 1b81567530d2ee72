//! Change events: a database object hears that the data it reads moved under it, because
//! another object of the same database published, in this program or (for IndexedDB) in
//! another tab or worker of the origin.
//!
//! Objects of one database in one program find each other through a registry keyed by where
//! the database lives (`memory/<name>`, `files/<dir>/<name>`, `indexeddb/<name>`); a publish
//! tells every other object of its key. Other tabs are heard on the IndexedDB backend's
//! BroadcastChannel, which calls [`Watch::notifier`]. Other processes writing the same files
//! are not heard: they have no channel to speak on.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use super::Storage;

/// Listeners one object may hold: enough for any program, small enough that a leak of
/// listeners (one added per render, say) is refused before it costs much.
pub const LISTENERS_MAX: usize = 64;

/// A listener, called once per change heard.
pub type Listener = Rc<dyn Fn()>;

#[derive(Default)]
struct Listeners {
    list: RefCell<Vec<Listener>>,
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
        let others: Vec<Rc<Listeners>> = OPEN.with(|open| {
            open.borrow()
                .get(&self.key)
                .into_iter()
                .flatten()
                .filter_map(Weak::upgrade)
                .filter(|other| !Rc::ptr_eq(other, &self.listeners))
                .collect()
        });
        for other in others {
            other.call();
        }
    }

    /// A callback that tells this object's listeners of a change heard from elsewhere (another
    /// tab); it does nothing once the object is gone.
    pub fn notifier(&self) -> Rc<dyn Fn()> {
        let listeners = Rc::downgrade(&self.listeners);
        Rc::new(move || {
            if let Some(listeners) = listeners.upgrade() {
                listeners.call();
            }
        })
    }
}
