//! What a session works on — the database's name, the branch it reads and writes, and whom its
//! commits name — and how a transaction's working root lands on a branch: three-way merged with
//! what other sessions committed meanwhile (as Dolt does), published by compare-and-swap, and
//! retried when another writer won the race.

use crate::chunk::{ChunkStore, Hash};
use crate::history::{self, CommitOptions, Repo, RootValue, Signature};

use super::error::{Error, ErrorKind};

/// Times a publish starts over after losing the race to another writer.
const PUBLISH_RETRIES_MAX: usize = 8;

/// One session's place in the database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workspace {
    /// The database's name, as `DATABASE()` and `@@<database>_head` spell it.
    pub database: String,
    /// The branch the session reads and writes.
    pub branch: String,
    /// Who the session's commits name as author, unless a call says otherwise.
    pub user_name: String,
    pub user_email: String,
}

impl Workspace {
    pub fn new(database: &str, branch: &str) -> Workspace {
        Workspace {
            database: database.to_string(),
            branch: branch.to_string(),
            user_name: "root".to_string(),
            user_email: "root@localhost".to_string(),
        }
    }

    /// The session user's signature at `time_ms`.
    pub fn signature(&self, time_ms: i64) -> Signature {
        Signature::new(&self.user_name, &self.user_email, time_ms)
    }
}

/// Opens the repository, lets `change` edit it and publishes, starting over from a fresh
/// read when another writer published first. When every attempt lost the race it fails with a
/// retryable serialization error saying `lost`. Returns what the last `change` returned.
pub(super) fn publish_retrying<T>(
    store: &mut dyn ChunkStore,
    lost: &str,
    mut change: impl FnMut(&mut Repo) -> Result<T, Error>,
) -> Result<T, Error> {
    for _ in 0..PUBLISH_RETRIES_MAX {
        let mut repo = Repo::open(store)?;
        let value = change(&mut repo)?;
        match repo.publish() {
            Ok(()) => return Ok(value),
            Err(history::Error::Store(crate::prolly::Error::Store(
                crate::chunk::Error::Conflict { .. },
            ))) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::new(ErrorKind::SerializationFailure, lost))
}

/// Makes `ours` (a transaction's root, begun from `base`) the branch's working root, merging
/// it with whatever other transactions committed to the branch since `base`; with
/// `dolt_commit`, also stages and commits every change on the branch in the same publish
/// (`dolt_transaction_commit`), unless that leaves nothing to commit.
pub(super) fn publish_working_root(
    store: &mut dyn ChunkStore,
    branch: &str,
    base: &RootValue,
    ours: &RootValue,
    gc_marker: Option<Hash>,
    dolt_commit: Option<&CommitOptions>,
) -> Result<(), Error> {
    if ours == base {
        return Ok(());
    }
    publish_retrying(
        store,
        "the branch kept moving while committing; the transaction was rolled back, retry it",
        |repo| {
            if repo.gc_marker() != gc_marker {
                return Err(Error::new(
                    ErrorKind::SerializationFailure,
                    "the database was garbage-collected while this transaction was open; it was rolled back, retry it",
                ));
            }
            let current = repo.working_root(branch)?;
            let merged = if current == *base {
                ours.clone()
            } else {
                let merge = history::merge_roots(repo.store_mut(), base, &current, ours)?;
                if !merge.conflicts.is_empty() {
                    let tables: Vec<&String> = merge.conflicts.keys().collect();
                    return Err(Error::new(
                        ErrorKind::SerializationFailure,
                        format!(
                            "this transaction conflicts with a committed transaction on table(s) {tables:?}; it was rolled back, retry it"
                        ),
                    ));
                }
                merge.root
            };
            repo.set_working_root(branch, &merged)?;
            if let Some(options) = dolt_commit {
                repo.add(branch, None)?;
                match repo.commit_staged(branch, options) {
                    Ok(_) | Err(history::Error::NothingToCommit) => {}
                    Err(error) => return Err(error.into()),
                }
            }
            Ok(())
        },
    )
}
