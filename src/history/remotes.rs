//! The remotes and backups a database knows by name, and the upstream each branch tracks: kept
//! as configuration documents in the database's ref map, so they persist with it on every
//! storage and a backup carries them.
//!
//! Each list is one chunk of text, one entry per line, fields separated by tabs: `name`, `url`
//! for remotes and backups, and for a remote the manifest its last complete fetch saw (so the
//! next fetch asks "anything new?" with one conditional request); `branch`, `remote`, `remote
//! branch` for upstreams; `remote`, `epoch`, `state` for the remotes this database replicates
//! to as a primary (see [`Primary`]); `remote:ref` for each ref an asynchronous primary moved
//! and has not pushed yet (the outbox). Names follow
//! the ref name rules and URLs are `http://`, `https://` or `file://`, so neither holds a tab
//! or a line break.

use crate::chunk::Chunk;
use crate::history::{self, validate_ref_name, Repo};

/// The configuration document of each list.
pub const REMOTES_DOCUMENT: &str = "remotes";
pub const BACKUPS_DOCUMENT: &str = "backups";
pub const UPSTREAMS_DOCUMENT: &str = "upstreams";
pub const PRIMARIES_DOCUMENT: &str = "primaries";
pub const OUTBOX_DOCUMENT: &str = "outbox";

/// Entries one list holds at most.
pub const ENTRIES_MAX: usize = 256;
/// Longest URL, in bytes.
pub const URL_BYTES_MAX: usize = 2048;

/// Why a list cannot be changed as asked, or a stored one cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// The name is taken (`what` is "remote" or "backup").
    Exists {
        what: &'static str,
        name: String,
    },
    NotFound {
        what: &'static str,
        name: String,
    },
    BadUrl(String),
    BadName(String),
    TooMany {
        what: &'static str,
    },
    /// The stored document is not a list this module wrote.
    Malformed(&'static str),
    History(history::Error),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Exists { what, name } => write!(f, "{what} '{name}' already exists"),
            Error::NotFound { what, name } => write!(f, "{what} not found: '{name}'"),
            Error::BadUrl(message) | Error::BadName(message) => f.write_str(message),
            Error::TooMany { what } => write!(f, "a database holds at most {ENTRIES_MAX} {what}s"),
            Error::Malformed(reason) => write!(f, "the stored list is malformed: {reason}"),
            Error::History(error) => error.fmt(f),
        }
    }
}

impl From<history::Error> for Error {
    fn from(error: history::Error) -> Error {
        Error::History(error)
    }
}

/// Checks a remote's URL: a scheme Cambium speaks and nothing that would break the list.
pub fn validate_url(url: &str) -> Result<(), Error> {
    let schemes = ["http://", "https://", "file://"];
    if !schemes.iter().any(|scheme| url.starts_with(scheme)) {
        return Err(Error::BadUrl(format!(
            "'{url}' is not a remote URL Cambium can reach: use http://, https:// or file://"
        )));
    }
    if url.len() > URL_BYTES_MAX {
        return Err(Error::BadUrl(format!("a remote URL is at most {URL_BYTES_MAX} bytes")));
    }
    if url.chars().any(char::is_control) || url.contains(' ') {
        return Err(Error::BadUrl(format!("the URL '{url}' holds spaces or control characters")));
    }
    Ok(())
}

/// One list: entries of tab-separated fields, kept sorted by their first field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct List {
    entries: Vec<Vec<String>>,
}

impl List {
    /// Reads the list `document` of a repository; empty when it was never written.
    pub fn read(repo: &Repo, document: &str) -> Result<List, Error> {
        let Some(hash) = repo.config_ref(document) else { return Ok(List::default()) };
        let chunk = repo.store().get(hash).map_err(history::Error::from)?;
        let text = std::str::from_utf8(chunk.data()).map_err(|_| Error::Malformed("not UTF-8"))?;
        let entries: Vec<Vec<String>> =
            text.lines().map(|line| line.split('\t').map(str::to_string).collect()).collect();
        if entries.len() > ENTRIES_MAX {
            return Err(Error::Malformed("too many entries"));
        }
        Ok(List { entries })
    }

    /// Stores the list as `document` of the repository (to be published by the caller).
    pub fn write(&self, repo: &mut Repo, document: &str) -> Result<(), Error> {
        if self.entries.is_empty() {
            repo.set_config_ref(document, None);
            return Ok(());
        }
        let text: String = self.entries.iter().map(|fields| fields.join("\t") + "\n").collect();
        let chunk = Chunk::new(text.into_bytes());
        let hash = chunk.hash();
        repo.store_mut().put(chunk).map_err(history::Error::from)?;
        repo.set_config_ref(document, Some(hash));
        Ok(())
    }

    pub fn entries(&self) -> impl Iterator<Item = &[String]> {
        self.entries.iter().map(Vec::as_slice)
    }

    /// The fields after the name of entry `name`.
    pub fn get(&self, name: &str) -> Option<&[String]> {
        self.entries.iter().find(|fields| fields[0] == name).map(|fields| &fields[1..])
    }

    /// Adds or replaces the entry `fields[0]`.
    pub fn set(&mut self, fields: Vec<String>, what: &'static str) -> Result<(), Error> {
        let at = self.entries.partition_point(|entry| entry[0] < fields[0]);
        if self.entries.get(at).is_some_and(|entry| entry[0] == fields[0]) {
            self.entries[at] = fields;
        } else if self.entries.len() == ENTRIES_MAX {
            return Err(Error::TooMany { what });
        } else {
            self.entries.insert(at, fields);
        }
        Ok(())
    }

    /// Removes the entry `name`; whether it was there.
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.entries.len();
        self.entries.retain(|entry| entry[0] != name);
        self.entries.len() != before
    }
}

/// Adds the remote (or backup: `document` says which) `name` at `url`.
pub fn add(repo: &mut Repo, document: &str, name: &str, url: &str) -> Result<(), Error> {
    let what = what_of(document);
    validate_ref_name(what, name).map_err(|error| Error::BadName(error.to_string()))?;
    validate_url(url)?;
    let mut list = List::read(repo, document)?;
    if list.get(name).is_some() {
        return Err(Error::Exists { what, name: name.to_string() });
    }
    list.set(vec![name.to_string(), url.to_string()], what)?;
    list.write(repo, document)
}

/// Removes the remote (or backup) `name`. Removing a remote also removes its remote-tracking
/// branches and the upstreams that named it, as Dolt does.
pub fn remove(repo: &mut Repo, document: &str, name: &str) -> Result<(), Error> {
    let what = what_of(document);
    let mut list = List::read(repo, document)?;
    if !list.remove(name) {
        return Err(Error::NotFound { what, name: name.to_string() });
    }
    list.write(repo, document)?;
    if document == REMOTES_DOCUMENT {
        let tracking: Vec<String> = repo
            .remote_branches()
            .into_iter()
            .filter_map(|(full, _)| {
                let rest = full.strip_prefix("remotes/")?;
                let (remote, branch) = rest.split_once('/')?;
                (remote == name).then(|| branch.to_string())
            })
            .collect();
        for branch in tracking {
            repo.set_remote_ref(name, &branch, None)?;
        }
        let mut upstreams = List::read(repo, UPSTREAMS_DOCUMENT)?;
        let kept: Vec<Vec<String>> =
            upstreams.entries.iter().filter(|entry| entry[1] != name).cloned().collect();
        upstreams.entries = kept;
        upstreams.write(repo, UPSTREAMS_DOCUMENT)?;
    }
    Ok(())
}

/// The URL of the remote (or backup) `name`.
pub fn url(repo: &Repo, document: &str, name: &str) -> Result<String, Error> {
    let list = List::read(repo, document)?;
    match list.get(name) {
        Some([url, ..]) => Ok(url.clone()),
        _ => Err(Error::NotFound { what: what_of(document), name: name.to_string() }),
    }
}

/// The remote manifest (as hex) that the last fetch of every branch of `name` saw.
pub fn seen(repo: &Repo, name: &str) -> Result<Option<String>, Error> {
    let list = List::read(repo, REMOTES_DOCUMENT)?;
    Ok(match list.get(name) {
        Some([_, seen]) => Some(seen.clone()),
        _ => None,
    })
}

/// Records that a fetch of every branch of remote `name` saw the manifest `hex`.
pub fn set_seen(repo: &mut Repo, name: &str, hex: &str) -> Result<(), Error> {
    let mut list = List::read(repo, REMOTES_DOCUMENT)?;
    let Some([url, ..]) = list.get(name) else {
        return Err(Error::NotFound { what: "remote", name: name.to_string() });
    };
    let fields = vec![name.to_string(), url.clone(), hex.to_string()];
    list.set(fields, "remote")?;
    list.write(repo, REMOTES_DOCUMENT)
}

/// The remote and remote branch `branch` tracks, if any.
pub fn upstream(repo: &Repo, branch: &str) -> Result<Option<(String, String)>, Error> {
    Ok(upstream_in(&List::read(repo, UPSTREAMS_DOCUMENT)?, branch))
}

/// The upstream of `branch` in the upstreams document `list`, read once for many branches.
pub fn upstream_in(list: &List, branch: &str) -> Option<(String, String)> {
    match list.get(branch) {
        Some([remote, remote_branch]) => Some((remote.clone(), remote_branch.clone())),
        _ => None,
    }
}

/// Makes `branch` track `remote_branch` of `remote` (`push --set-upstream`).
pub fn set_upstream(
    repo: &mut Repo,
    branch: &str,
    remote: &str,
    remote_branch: &str,
) -> Result<(), Error> {
    let mut list = List::read(repo, UPSTREAMS_DOCUMENT)?;
    let fields = vec![branch.to_string(), remote.to_string(), remote_branch.to_string()];
    list.set(fields, "upstream")?;
    list.write(repo, UPSTREAMS_DOCUMENT)
}

fn what_of(document: &str) -> &'static str {
    if document == BACKUPS_DOCUMENT {
        "backup"
    } else {
        "remote"
    }
}

/// This database's standing as the primary that replicates to a remote: the remote's epoch it
/// writes at, and whether a newer primary has fenced it off (its pushes expect an epoch the
/// remote has left behind, so the remote refuses them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Primary {
    pub epoch: u64,
    pub fenced: bool,
}

/// The standing recorded for remote `name`, if this database ever replicated to it.
pub fn primary(repo: &Repo, name: &str) -> Result<Option<Primary>, Error> {
    let list = List::read(repo, PRIMARIES_DOCUMENT)?;
    let Some([epoch, state]) = list.get(name) else { return Ok(None) };
    let epoch = epoch.parse().map_err(|_| Error::Malformed("a primary's epoch is not a number"))?;
    match state.as_str() {
        "primary" => Ok(Some(Primary { epoch, fenced: false })),
        "fenced" => Ok(Some(Primary { epoch, fenced: true })),
        _ => Err(Error::Malformed("a primary's state is neither primary nor fenced")),
    }
}

/// Records this database's standing as the primary replicating to remote `name`.
pub fn set_primary(repo: &mut Repo, name: &str, primary: Primary) -> Result<(), Error> {
    let mut list = List::read(repo, PRIMARIES_DOCUMENT)?;
    let state = if primary.fenced { "fenced" } else { "primary" };
    list.set(vec![name.to_string(), primary.epoch.to_string(), state.to_string()], "primary")?;
    list.write(repo, PRIMARIES_DOCUMENT)
}

/// The refs (full names) waiting in the outbox to be pushed to remote `name`, or, for `None`,
/// the remotes that have refs waiting.
pub fn outbox(repo: &Repo, name: Option<&str>) -> Result<Vec<String>, Error> {
    let list = List::read(repo, OUTBOX_DOCUMENT)?;
    let keys = list.entries().filter_map(|fields| fields[0].split_once(':'));
    let mut found: Vec<String> = match name {
        Some(name) => keys.filter(|(remote, _)| *remote == name).map(|(_, r)| r.into()).collect(),
        None => keys.map(|(remote, _)| remote.to_string()).collect(),
    };
    found.dedup();
    Ok(found)
}

/// Puts `refs` in the outbox of remote `name` (a ref already waiting waits once), or with
/// `waiting` false takes them out.
pub fn set_outbox(
    repo: &mut Repo,
    name: &str,
    refs: &[String],
    waiting: bool,
) -> Result<(), Error> {
    let mut list = List::read(repo, OUTBOX_DOCUMENT)?;
    for full in refs {
        let key = format!("{name}:{full}");
        if waiting {
            list.set(vec![key], "ref waiting to be pushed")?;
        } else {
            list.remove(&key);
        }
    }
    list.write(repo, OUTBOX_DOCUMENT)
}
