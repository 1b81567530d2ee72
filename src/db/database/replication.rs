//! Replication around each statement, with Dolt's system variables (DESIGN.md "Replication"):
//! a read replica pulls its heads before a transaction begins, and a primary pushes every
//! branch and tag a statement moved once the statement is published. The settings are read
//! from the session before every statement, so a change takes effect at once.
//!
//! A primary's push is synchronous: the statement answers after the remote took the refs.
//! Its remote is checked before the statement runs, so a primary whose remote is missing
//! refuses the statement and changes nothing (Dolt: `remote not found: 'broken'`); a push that
//! fails after the statement was published reports the failure, and the refs go with the next
//! push. With `@@dolt_skip_replication_errors` both become warnings.

use crate::history::remotes::{self, Primary as Standing};
use crate::history::{RefMap, Repo, ResetMode};
use crate::sql::ast::{Expr, Statement};
use crate::sql::{self, ConflictPolicy, Datum, Heads, QueryResult};

use super::super::remote::RemoteStore;
use super::super::{Backend, Durability, Error, Store};
use super::live::not_a_replica;
use super::network::{copy, fenced, published_refs, status, Destination, Report};
use super::Database;
use crate::sync::Transfer;

/// Times a writer whose push was refused as non-fast-forward merges the remote's branch and
/// pushes again, before it gives up: each round loses only to a writer that pushed meanwhile.
const MERGE_ROUNDS_MAX: u32 = 4;

/// The procedures that can move a branch or a tag, whose remote a primary checks before
/// they run. The others (`dolt_remote` among them, which may be fixing the remote) run.
const HEAD_MOVERS: &[&str] = &[
    "dolt_commit",
    "dolt_merge",
    "dolt_branch",
    "dolt_tag",
    "dolt_reset",
    "dolt_revert",
    "dolt_cherry_pick",
    "dolt_checkout",
    "dolt_pull",
];

/// Times a promotion tries to bump the remote's epoch while others keep swapping it.
const PROMOTE_SWAPS_MAX: u32 = 8;

/// What a statement of a primary remembers for [`Database::replicate`]: the remote and the
/// refs as they were before it ran.
pub(super) struct Primary {
    remote: String,
    before: RefMap,
}

impl<B: Backend> Database<B> {
    /// Before a statement: a read replica pulls when the statement begins a transaction, and
    /// a primary checks its remote and remembers its refs. Failures that the settings say to
    /// skip become warnings in `warnings`.
    pub(super) async fn before_statement(
        &mut self,
        statement: &Statement,
        warnings: &mut Vec<String>,
    ) -> Result<Option<Primary>, Error> {
        let settings = self.session.replication();
        let replica = settings.read_replica_remote.as_ref().filter(|_| !settings.allow_writes);
        let mut read_only = replica.map(|remote| {
            format!(
                "this database is a read replica of remote '{remote}': it refuses writes (SET @@GLOBAL.dolt_read_replica_allow_writes = 1 allows them)"
            )
        });
        if let Some(remote) = &settings.to_remote {
            if let Some(Standing { epoch, fenced: true }) = self.standing(remote).await? {
                read_only = Some(fenced(remote, epoch + 1, epoch).message().to_string());
            }
        }
        self.session.set_read_only(read_only);
        // A live replica is kept current by its remote's events (see `Database::set_live`).
        let replica = settings.read_replica_remote.is_some() && !self.live;
        if replica && !self.session.transaction_open() && reads_data(statement) {
            let pulled = self.pull_replica().await;
            skip_or_fail(pulled, settings.skip_errors, warnings)?;
        }
        let Some(remote) = settings.to_remote else { return Ok(None) };
        if !may_move_heads(statement) {
            return Ok(None);
        }
        // A procedure's remote is checked before it runs, so that with a missing remote a
        // commit is refused instead of made and left unpushed; for other statements the push
        // finds out, after.
        if matches!(statement, Statement::Call { name, .. } if HEAD_MOVERS.contains(&name.to_ascii_lowercase().as_str()))
        {
            let checked = self.configured_url(false, &remote).await.map(|_| ());
            if skip_or_fail(checked, settings.skip_errors, warnings)?.is_none() {
                return Ok(None);
            }
        }
        let before = self.published_refs().await?;
        Ok(Some(Primary { remote, before }))
    }

    /// After a statement of a primary: pushes the branches and tags it moved, or with
    /// `@@dolt_async_replication` puts them in the outbox for [`Database::replicate_outbox`].
    pub(super) async fn replicate(
        &mut self,
        primary: Primary,
        warnings: &mut Vec<String>,
    ) -> Result<(), Error> {
        let settings = self.session.replication();
        let after = self.published_refs().await?;
        let moved = sql::moved_refs(&primary.before, &after);
        if moved.is_empty() {
            return Ok(());
        }
        if settings.async_push {
            self.engine
                .drive(&mut (), |_, cache| {
                    let mut repo = Repo::open(cache)?;
                    remotes::set_outbox(&mut repo, &primary.remote, &moved, true)?;
                    repo.publish().map_err(sql::Error::from)
                })
                .await?;
            self.outbox_waiting = true;
            return Ok(());
        }
        match self.push_moves(&primary.remote, &moved).await {
            // Being fenced is no failure to carry on past: this database is no longer primary.
            Err(error) if error.code() == "fenced" => Err(error),
            pushed => skip_or_fail(pushed, settings.skip_errors, warnings).map(|_| ()),
        }
    }

    /// Whether refs wait in the outbox of an asynchronous primary (see
    /// [`Database::replicate_outbox`]).
    pub fn outbox_waiting(&self) -> bool {
        self.outbox_waiting
    }

    /// Pushes the refs waiting in the outbox, oldest remote first, each as the database holds
    /// it now, and takes them out once the remote has them. Answers whether refs still wait;
    /// on a failure they stay, durably, for the next call (the JS `Database` calls this after
    /// an asynchronous commit, with backoff after failures, and on close).
    pub async fn replicate_outbox(&mut self) -> Result<bool, Error> {
        let remotes = self.outbox(None).await?;
        for remote in remotes {
            let names = self.outbox(Some(&remote)).await?;
            self.push_moves(&remote, &names).await?;
            self.engine
                .drive(&mut (), |_, cache| {
                    let mut repo = Repo::open(cache)?;
                    remotes::set_outbox(&mut repo, &remote, &names, false)?;
                    repo.publish().map_err(sql::Error::from)
                })
                .await?;
        }
        self.outbox_waiting = !self.outbox(None).await?.is_empty();
        Ok(self.outbox_waiting)
    }

    /// The remotes with refs in the outbox (`None`), or the refs waiting for `remote`.
    async fn outbox(&mut self, remote: Option<&str>) -> Result<Vec<String>, Error> {
        self.engine
            .drive(&mut (), |_, cache| {
                remotes::outbox(&Repo::open(cache)?, remote).map_err(sql::Error::from)
            })
            .await
    }

    /// Pushes the refs `names` to `remote` as they stand. A push refused because another writer
    /// moved the remote branch first is a merge away from succeeding: the writer fetches,
    /// merges the remote branch into its own (conflicts follow `@@dolt_replication_conflicts`)
    /// and pushes again, at most [`MERGE_ROUNDS_MAX`] times.
    async fn push_moves(&mut self, remote: &str, names: &[String]) -> Result<(), Error> {
        let policy = self.session.replication().conflicts;
        for _ in 0..MERGE_ROUNDS_MAX {
            let plan = self
                .engine
                .drive(&mut (), |_, cache| {
                    sql::replication_plan(&Repo::open(cache)?, remote, names)
                })
                .await?;
            let Some(plan) = plan else { return Ok(()) };
            let standing = self.standing(remote).await?;
            let held = standing.map(|standing| standing.epoch);
            match self.push_plan(&plan, false, held).await {
                Err(error) if error.code() == "non_fast_forward" => {
                    self.merge_remote(remote, policy).await?;
                }
                Err(error) if error.code() == "fenced" => {
                    let standing = Standing { epoch: held.unwrap_or_default(), fenced: true };
                    self.set_standing(remote, standing).await?;
                    return Err(error);
                }
                Err(error) => return Err(error),
                Ok(epoch) => {
                    if held != Some(epoch) {
                        let standing = Standing { epoch, fenced: false };
                        self.set_standing(remote, standing).await?;
                    }
                    return Ok(());
                }
            }
        }
        Err(Error::new(
            "busy",
            format!(
                "remote '{}': other writers kept pushing first; the commit is kept here and goes with the next push",
                remote
            ),
        ))
    }

    /// Merges the remote's head of the current branch into it after a refused push: a
    /// fast-forward or a merge commit. Conflicts are resolved as `policy` says, or kept for the
    /// application, in which case the push waits for the commit that resolves them.
    async fn merge_remote(&mut self, remote: &str, policy: ConflictPolicy) -> Result<(), Error> {
        let branch = self.session.branch().to_string();
        self.fetch(remote, &[], false).await?;
        let tracking = format!("{remote}/{branch}");
        // The merge keeps its conflicts instead of rolling back, so that they can be resolved
        // here or by the application.
        let allowed = self.run("SELECT @@SESSION.dolt_allow_commit_conflicts").await?;
        let allowed = allowed.rows[0][0].to_i64().ok().flatten().unwrap_or(0);
        self.run("SET @@SESSION.dolt_allow_commit_conflicts = 1").await?;
        let merged = self.call("dolt_merge", &[&tracking]).await;
        self.run(&format!("SET @@SESSION.dolt_allow_commit_conflicts = {allowed}")).await?;
        let merged = merged?;
        let conflicts = merged
            .columns
            .iter()
            .position(|column| column == "conflicts")
            .and_then(|at| merged.rows.first()?.get(at)?.to_i64().ok()?)
            .unwrap_or(0);
        if conflicts == 0 {
            return Ok(());
        }
        let side = match policy {
            ConflictPolicy::Keep => {
                return Err(Error::new(
                    "replication_conflicts",
                    format!(
                        "remote '{remote}' moved branch '{branch}' and merging it here conflicts: the conflicts wait in the dolt_conflicts tables; resolve them and commit, and the commit is pushed"
                    ),
                ))
            }
            ConflictPolicy::Ours => "--ours",
            ConflictPolicy::Theirs => "--theirs",
        };
        self.call("dolt_conflicts_resolve", &[side, "."]).await?;
        let message = format!("Merge branch '{tracking}' into {branch}");
        self.call("dolt_commit", &["-Am", &message]).await?;
        Ok(())
    }

    /// Runs one statement of SQL text as a statement of this session.
    async fn run(&mut self, sql: &str) -> Result<QueryResult, Error> {
        let bound = self.session.parse(sql, &[])?;
        let [bound] = bound.as_slice() else { unreachable!("one statement: {sql}") };
        self.statement(&bound.statement.clone(), &[], false).await
    }

    /// Runs `CALL name(args...)` as a statement of this session.
    async fn call(&mut self, name: &str, args: &[&str]) -> Result<QueryResult, Error> {
        let args = args.iter().map(|arg| Expr::Literal(Datum::Text(arg.to_string()))).collect();
        self.statement(&Statement::Call { name: name.into(), args }, &[], false).await
    }

    /// A read replica's pull, the one each transaction begins with unless the replica is live:
    /// a fetch (one conditional request when the remote did not change), then the configured
    /// branches follow their remote-tracking branches. Answers whether a ref moved here;
    /// refused with `not_a_replica` unless `@@dolt_read_replica_remote` names a remote.
    pub async fn pull_replica(&mut self) -> Result<bool, Error> {
        let settings = self.session.replication();
        let Some(remote) = &settings.read_replica_remote else {
            return Err(not_a_replica(&self.name));
        };
        if settings.heads == Heads::None {
            return Err(Error::new(
                    "replication",
                    format!(
                        "@@dolt_read_replica_remote is '{remote}' but neither @@dolt_replicate_heads nor @@dolt_replicate_all_heads says which branches to pull"
                    ),
                ));
        }
        let (_, remote_refs) = self.fetch(remote, &[], false).await?;
        let current = self.session.branch().to_string();
        let force = settings.force_pull;
        self.engine
            .drive(&mut (), |_, cache| {
                let mut repo = Repo::open(cache)?;
                let before = repo.refs().clone();
                sql::apply_replica(
                    &mut repo,
                    remote,
                    &settings.heads,
                    force,
                    &current,
                    remote_refs.as_ref(),
                )?;
                let moved = *repo.refs() != before;
                if moved {
                    repo.publish()?;
                }
                Ok::<_, sql::Error>(moved)
            })
            .await
    }

    /// `dolt_promote`: this database becomes the primary replicating to `remote`. It bumps
    /// the remote's epoch by compare-and-swap, which fences off the primary before it (its
    /// next push expects the old epoch and is refused), then catches up with everything the
    /// remote holds (every branch and tag, reset to the remote's), records the new epoch, and
    /// turns from read replica into primary: `@@dolt_read_replica_remote` is cleared and
    /// `@@dolt_replicate_to_remote` names the remote.
    pub(super) async fn promote(
        &mut self,
        remote: &str,
        backup: Option<&str>,
    ) -> Result<QueryResult, Error> {
        let url = self.configured_url(false, remote).await?;
        // The backup is looked up before anything changes, so a wrong name changes nothing.
        let backup_url = match backup {
            Some(backup) => Some(self.configured_url(true, backup).await?),
            None => None,
        };
        let mut store = RemoteStore::open(&url, self.token(&url))?;
        let mut epoch = None;
        for _ in 0..PROMOTE_SWAPS_MAX {
            let current = store.manifest().await?;
            if current.root.is_none() {
                return Err(Error::new(
                    "remote_empty",
                    format!("remote '{remote}' at {url} holds no database yet"),
                ));
            }
            let next = crate::chunk::Manifest { root: current.root, epoch: current.epoch + 1 };
            match store.flush(&current, &next, Durability::Strict).await {
                Ok(()) => {
                    epoch = Some(next.epoch);
                    break;
                }
                Err(crate::chunk::Error::Conflict { .. } | crate::chunk::Error::Fenced { .. }) => {
                    continue
                }
                Err(error) => return Err(error.into()),
            }
        }
        let Some(epoch) = epoch else {
            return Err(Error::new(
                "busy",
                format!("remote '{remote}' kept moving while its epoch was bumped; retry"),
            ));
        };
        let (_, remote_refs) = self.fetch(remote, &[], false).await?;
        let current = self.session.branch().to_string();
        self.engine
            .drive(&mut (), |_, cache| {
                let mut repo = Repo::open(cache)?;
                sql::apply_replica(
                    &mut repo,
                    remote,
                    &Heads::All,
                    true,
                    &current,
                    remote_refs.as_ref(),
                )?;
                // The branch checked out follows the remote too, uncommitted changes dropped:
                // the new primary starts from exactly what the remote holds.
                let tracking = repo
                    .remote_branches()
                    .into_iter()
                    .find(|(name, _)| *name == format!("remotes/{remote}/{current}"));
                if let Some((_, head)) = tracking {
                    repo.reset(&current, head, ResetMode::Hard)?;
                }
                remotes::set_primary(&mut repo, remote, Standing { epoch, fenced: false })?;
                repo.publish().map_err(sql::Error::from)
            })
            .await?;
        if let Some(backup_url) = backup_url {
            let moved = self.adopt_backup(&backup_url).await?;
            self.push_moves(remote, &moved).await?;
        }
        self.run("SET PERSIST @@GLOBAL.dolt_read_replica_remote = ''").await?;
        self.run(&format!("SET PERSIST @@GLOBAL.dolt_replicate_to_remote = '{remote}'")).await?;
        self.session.set_read_only(None);
        Ok(status(format!("promoted to primary of remote '{remote}' at epoch {epoch}")))
    }

    /// Copies what the branches of the backup at `url` reach and moves this database's
    /// branches forward to them where the backup is ahead: the commits an old primary backed up
    /// but never pushed. Answers the branches moved, for the new primary to push.
    async fn adopt_backup(&mut self, url: &str) -> Result<Vec<String>, Error> {
        let store = RemoteStore::open(url, self.token(url))?;
        let (_, refs) = published_refs(&store, url).await?;
        let heads = refs.refs.iter().filter(|(name, _)| name.starts_with("refs/heads/"));
        let transfer = Transfer::of_refs(
            heads.map(|(name, hash)| (name.as_str(), *hash)),
            store.read_limits(),
        );
        let report = Report { listener: self.progress.as_ref(), operation: "fetch" };
        let mut dest = self.engine.backend.handle();
        copy(transfer, &store, &mut dest, Destination::Local, &report).await?;
        self.engine.cache.chunks_arrived();
        self.engine
            .drive(&mut (), |_, cache| {
                let mut repo = Repo::open(cache)?;
                let moved = sql::adopt_backup(&mut repo, &refs)?;
                repo.publish()?;
                Ok::<_, sql::Error>(moved)
            })
            .await
    }

    /// This database's standing as the primary replicating to `remote`, if recorded.
    async fn standing(&mut self, remote: &str) -> Result<Option<Standing>, Error> {
        self.engine
            .drive(&mut (), |_, cache| {
                remotes::primary(&Repo::open(cache)?, remote).map_err(sql::Error::from)
            })
            .await
    }

    async fn set_standing(&mut self, remote: &str, standing: Standing) -> Result<(), Error> {
        self.engine
            .drive(&mut (), |_, cache| {
                let mut repo = Repo::open(cache)?;
                remotes::set_primary(&mut repo, remote, standing)?;
                repo.publish().map_err(sql::Error::from)
            })
            .await
    }

    /// The ref map as published.
    async fn published_refs(&mut self) -> Result<RefMap, Error> {
        self.engine
            .drive(&mut (), |_, cache| Ok::<_, sql::Error>(Repo::open(cache)?.refs().clone()))
            .await
    }
}

/// Whether a statement can move a branch or a tag: everything but the statements that only
/// read or change the session.
fn may_move_heads(statement: &Statement) -> bool {
    !matches!(
        statement,
        Statement::Explain(_)
            | Statement::Show { .. }
            | Statement::ShowCreateTable { .. }
            | Statement::Describe(_)
            | Statement::Use(_)
            | Statement::Rollback
            | Statement::SetVariables(_)
    )
}

/// Whether a statement reads the database, so that a replica pulls before it: every
/// statement but those that only set variables or choose the database.
fn reads_data(statement: &Statement) -> bool {
    !matches!(statement, Statement::SetVariables(_) | Statement::Use(_))
}

/// `outcome`, or with `skip` a warning in its place (`None`).
fn skip_or_fail<T>(
    outcome: Result<T, Error>,
    skip: bool,
    warnings: &mut Vec<String>,
) -> Result<Option<T>, Error> {
    match outcome {
        Ok(value) => Ok(Some(value)),
        Err(error) if skip => {
            warnings.push(error.message().to_string());
            Ok(None)
        }
        Err(error) => Err(error),
    }
}
