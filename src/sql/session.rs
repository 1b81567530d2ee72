//! Sessions: what one connection holds between statements (current branch, variables, the open
//! transaction and its snapshot), and the statement loop that parses and executes. A
//! transaction reads the branch's working root as it was when it began; its commit writes the
//! new working root, three-way merging it with what other sessions committed meanwhile (as Dolt
//! does) or failing with a retryable serialization error on a real conflict.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use crate::chunk::{ChunkStore, Hash};
use crate::history::{self, CommitOptions, Repo, Signature};

use super::ast::{
    Expr, ReferentialAction, Revision, SelectItem, SetExpr, ShowKind, Statement, VariableScope,
    VariableTarget,
};
use super::constraints::describe_foreign_key;
use super::data::TableMeta;
use super::error::{Error, ErrorKind};
use super::exec::{like, Exec, Rows, Tx};
use super::functions::FunctionContext;
use super::parse::{Bound, ParseCache};
use super::replication::{self, Replication};
use super::types::Datum;
use super::workspace::{publish_retrying, Workspace};

/// The ref-map key under which persisted system variables are kept.
const PERSISTED_VARIABLES_TABLE: &str = "dolt_persisted_variables";

/// The message of the Dolt commit `dolt_transaction_commit` makes, as Dolt writes it.
const TRANSACTION_COMMIT_MESSAGE: &str = "Transaction commit";

/// The outcome of one statement.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueryResult {
    /// Column names of a row-returning statement; empty for others.
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Datum>>,
    /// Rows inserted, updated or deleted (MySQL's count: an upsert that updates counts 2).
    pub rows_affected: u64,
    /// The first AUTO_INCREMENT value the statement generated, or 0.
    pub last_insert_id: u64,
    /// What the statement warns of; `SHOW WARNINGS` lists the last statement's.
    pub warnings: Vec<Warning>,
}

/// A warning a statement gave, as MySQL's `SHOW WARNINGS` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub level: &'static str,
    pub code: u32,
    pub message: String,
}

/// MySQL's code for a warning without a code of its own (`ER_UNKNOWN_ERROR`).
const WARNING_CODE_GENERAL: u32 = 1105;

/// An open transaction.
#[derive(Clone)]
struct Open {
    tx: Tx,
    explicit: bool,
}

/// One connection's state. Cloning it is how a caller keeps the state before a statement, to
/// run the statement again from there (after loading missing chunks, or when a store that
/// publishes later lost the race).
#[derive(Clone)]
pub struct Session {
    now_ms: i64,
    workspace: Workspace,
    open: Option<Open>,
    user_variables: HashMap<String, Datum>,
    session_variables: BTreeMap<String, Datum>,
    global_variables: BTreeMap<String, Datum>,
    /// Variables this session SET in its own scope: they no longer follow the globals.
    pinned: BTreeSet<String>,
    /// The persisted variables as last read, and the hash of the chunk they were read from, so
    /// a transaction start can tell with one comparison whether another writer changed them.
    persisted: Persisted,
    /// While set, statements that would write are refused with this reason.
    read_only: Option<String>,
    /// The warnings of the last statement other than `SHOW WARNINGS`.
    last_warnings: Vec<Warning>,
    last_insert_id: u64,
    /// Parsed table schemas handed from one transaction to the next.
    metas: HashMap<String, TableMeta>,
    /// Counts transactions begun and ended, so a caller can tell whether a statement kept the
    /// open transaction (see [`Session::save`]).
    transactions: u64,
    /// Scripts parsed before, shared by the copies [`Session::save`] makes: parsing depends
    /// on nothing a statement changes.
    parses: Arc<Mutex<ParseCache>>,
}

/// Persisted system variables as one chunk of the ref map holds them.
#[derive(Clone, Debug, Default, PartialEq)]
struct Persisted {
    hash: Option<Hash>,
    values: BTreeMap<String, Datum>,
}

/// A session's state before a statement, to go back to if the statement must run again.
pub struct Saved {
    session: Session,
    /// For a save without the open transaction: the transaction count it was taken at.
    kept_transaction: Option<u64>,
}

/// System variables every session has, with their defaults.
fn default_variables() -> BTreeMap<String, Datum> {
    let text = |s: &str| Datum::Text(s.to_string());
    [
        ("autocommit", Datum::Int(1)),
        ("version", text("8.0.33-cambium")),
        ("version_comment", text("Cambium")),
        ("sql_mode", text("STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION")),
        ("time_zone", text("+00:00")),
        ("max_allowed_packet", Datum::Int(super::parse::SCRIPT_BYTES_MAX as i64)),
        ("transaction_isolation", text("REPEATABLE-READ")),
        ("character_set_client", text("utf8mb4")),
        ("collation_connection", text("utf8mb4_0900_bin")),
        ("div_precision_increment", Datum::Int(4)),
        ("foreign_key_checks", Datum::Int(1)),
        ("dolt_transaction_commit", Datum::Int(0)),
        ("dolt_replicate_to_remote", text("")),
        ("dolt_read_replica_remote", text("")),
        ("dolt_replicate_heads", text("")),
        ("dolt_replicate_all_heads", Datum::Int(0)),
        ("dolt_async_replication", Datum::Int(0)),
        ("dolt_skip_replication_errors", Datum::Int(0)),
        ("dolt_allow_commit_conflicts", Datum::Int(0)),
        ("dolt_force_transaction_commit", Datum::Int(0)),
    ]
    .into_iter()
    .chain(replication::default_variables())
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

const READ_ONLY_VARIABLES: &[&str] = &["version", "version_comment"];

impl Session {
    /// A session on the current branch of the repository in `store`, which holds the database
    /// called `database`; an empty store is initialised first (branch `main`, one commit).
    pub fn open(store: &mut dyn ChunkStore, database: &str) -> Result<Session, Error> {
        let author = Signature::new("root", "root@localhost", 0);
        // The first commit of a new database is made by the SQL root user.
        let initialised = store.manifest().map_err(history::Error::from)?.root.is_some();
        let branch = if initialised {
            Repo::open(store)?.current_branch().to_string()
        } else {
            let mut repo = Repo::init(store, &author)?;
            repo.publish()?;
            repo.current_branch().to_string()
        };
        let mut global_variables = default_variables();
        let persisted = read_persisted(&Repo::open(store)?)?;
        for (name, value) in &persisted.values {
            global_variables.insert(name.clone(), value.clone());
        }
        Ok(Session {
            now_ms: 0,
            workspace: Workspace::new(database, &branch),
            open: None,
            user_variables: HashMap::new(),
            session_variables: global_variables.clone(),
            global_variables,
            pinned: BTreeSet::new(),
            persisted,
            read_only: None,
            last_warnings: Vec::new(),
            last_insert_id: 0,
            metas: HashMap::new(),
            transactions: 0,
            parses: Arc::default(),
        })
    }

    /// Sets the clock reading (milliseconds since the epoch) that NOW(), commits and
    /// timestamps use from the next statement on.
    pub fn set_time(&mut self, now_ms: i64) {
        self.now_ms = now_ms;
    }

    /// The branch this session reads and writes.
    pub fn branch(&self) -> &str {
        &self.workspace.branch
    }

    /// Sets whom the session's commits name as author and committer.
    pub fn set_user(&mut self, name: &str, email: &str) {
        self.workspace.user_name = name.to_string();
        self.workspace.user_email = email.to_string();
    }

    /// Makes the session read-only (`Some(reason)`) or writable again (`None`). While read-only,
    /// every statement that would write (row changes, DDL, version-control procedures that
    /// change the database, `COMMIT()`) fails with [`ErrorKind::ReadOnly`] and `reason` as its
    /// message, decided before it runs; reads, SET (SET PERSIST included), USE, checking out an
    /// existing branch and transactions that wrote nothing go on.
    pub fn set_read_only(&mut self, reason: Option<String>) {
        self.read_only = reason;
    }

    /// Why the session is read-only, if it is.
    pub fn read_only(&self) -> Option<&str> {
        self.read_only.as_deref()
    }

    /// The replication settings the session's variables hold now.
    pub fn replication(&self) -> Replication {
        Replication::from_variables(&self.session_variables)
    }

    /// Whether a transaction is open, explicit or (with autocommit off) implicit.
    pub fn transaction_open(&self) -> bool {
        self.open.is_some()
    }

    /// Whether an explicit transaction is open.
    pub fn in_transaction(&self) -> bool {
        self.open.as_ref().is_some_and(|o| o.explicit)
    }

    /// Builds ahead the row maps of tables a bulk load inside the open explicit transaction is
    /// filling (see [`super::data::TableData::prebuild`]), writing their finished nodes to
    /// `store` without publishing anything. A caller that can write chunks while the load goes
    /// on calls this between statements; the commit then has only the last nodes left to make.
    pub fn prebuild(&mut self, store: &mut dyn ChunkStore) {
        if let Some(open) = self.open.as_mut().filter(|open| open.explicit) {
            for table in open.tx.tables.values_mut() {
                table.prebuild(store);
            }
        }
    }

    /// Saves the session's state before a statement, for [`Session::restore`]. A statement
    /// that keeps the open transaction and fails leaves the transaction as it was (its undo
    /// steps run), so `with_transaction: false` leaves the transaction's pending rows out of
    /// the copy, which a bulk load inside one transaction would otherwise copy per statement.
    pub fn save(&self, with_transaction: bool) -> Saved {
        if with_transaction || self.open.is_none() {
            return Saved { session: self.clone(), kept_transaction: None };
        }
        Saved {
            session: self.clone_outside_transaction(),
            kept_transaction: Some(self.transactions),
        }
    }

    /// Goes back to a saved state.
    ///
    /// # Panics
    ///
    /// When the state was saved without the transaction and the statement since then began or
    /// ended one: the caller promised it would not.
    pub fn restore(&mut self, saved: Saved) {
        let Some(transactions) = saved.kept_transaction else {
            *self = saved.session;
            return;
        };
        assert_eq!(
            transactions, self.transactions,
            "a statement saved without its transaction began or ended one"
        );
        let open = self.open.take();
        *self = Session { open, ..saved.session };
    }

    /// A copy of everything but the open transaction.
    fn clone_outside_transaction(&self) -> Session {
        Session {
            now_ms: self.now_ms,
            workspace: self.workspace.clone(),
            open: None,
            user_variables: self.user_variables.clone(),
            session_variables: self.session_variables.clone(),
            global_variables: self.global_variables.clone(),
            pinned: self.pinned.clone(),
            persisted: self.persisted.clone(),
            read_only: self.read_only.clone(),
            last_warnings: self.last_warnings.clone(),
            last_insert_id: self.last_insert_id,
            metas: self.metas.clone(),
            transactions: self.transactions,
            parses: Arc::clone(&self.parses),
        }
    }

    /// Runs one or more `;`-separated statements, returning one result per statement. A
    /// failing statement changes nothing and stops the script; the ones before it stand.
    pub fn execute(
        &mut self,
        store: &mut dyn ChunkStore,
        sql: &str,
    ) -> Result<Vec<QueryResult>, Error> {
        self.execute_with(store, sql, &[])
    }

    /// As [`Session::execute`], binding `params` to the `?` placeholders in order.
    pub fn execute_with(
        &mut self,
        store: &mut dyn ChunkStore,
        sql: &str,
        params: &[Datum],
    ) -> Result<Vec<QueryResult>, Error> {
        let statements = self.parse(sql, params)?;
        let mut results = Vec::with_capacity(statements.len());
        for bound in &statements {
            results.push(self.statement(store, &bound.statement, &params[bound.params.clone()])?);
        }
        Ok(results)
    }

    /// Parses a script as [`super::parse::parse_script`] does, reusing the parse of an earlier run of the
    /// same text by this session.
    pub fn parse(&self, sql: &str, params: &[Datum]) -> Result<Vec<Bound>, Error> {
        // A panic while the cache was held leaves nothing half-done in it worth refusing.
        let mut parses = self.parses.lock().unwrap_or_else(|poison| poison.into_inner());
        parses.parse(sql, params)
    }

    /// Runs one statement of those [`Session::parse`] returned, with the values of its
    /// parameters, for callers that need to act between statements (the database facade
    /// publishes and retries each one on its own).
    pub fn execute_statement(
        &mut self,
        store: &mut dyn ChunkStore,
        statement: &Statement,
        params: &[Datum],
    ) -> Result<QueryResult, Error> {
        self.statement(store, statement, params)
    }

    /// Ends a statement's result: adds `messages` to its warnings (the `db` layer's, such as
    /// a replication failure it was told to skip) and, unless the statement was `SHOW
    /// WARNINGS`, keeps them for `SHOW WARNINGS`.
    pub fn finish_statement(
        &mut self,
        statement: &Statement,
        result: &mut QueryResult,
        messages: Vec<String>,
    ) {
        result.warnings.extend(messages.into_iter().map(|message| Warning {
            level: "Warning",
            code: WARNING_CODE_GENERAL,
            message,
        }));
        if !matches!(statement, Statement::Show { kind: ShowKind::Warnings, .. }) {
            self.last_warnings = result.warnings.clone();
        }
    }

    /// The remote operation `statement` asks for when it is a `CALL` of a procedure that
    /// reaches a remote (`dolt_push`, `dolt_fetch`, ...), or its function form alone in a
    /// `SELECT` (see [`function_call`]), which the `db` layer carries out: the core does no
    /// IO. Their arguments are literals, parameters or user variables.
    pub fn network_call(
        &self,
        statement: &Statement,
        params: &[Datum],
    ) -> Result<Option<super::NetworkCall>, Error> {
        let (name, args) = match statement {
            Statement::Call { name, args } => (name, args),
            other => match function_call(other) {
                Some((name, args, _)) => (name, args),
                None => return Ok(None),
            },
        };
        let lower = name.to_ascii_lowercase();
        if !super::dolt::NETWORK_PROCEDURES.contains(&lower.as_str()) && lower != "dolt_backup" {
            return Ok(None);
        }
        let mut texts = Vec::with_capacity(args.len());
        for arg in args {
            let value = self.known_argument(arg, params).ok_or_else(|| {
                Error::new(
                    ErrorKind::Unsupported,
                    format!("{lower} takes literal arguments, parameters or user variables"),
                )
            })?;
            match value {
                Datum::Null => {
                    return Err(Error::new(
                        ErrorKind::BadValue,
                        format!("{lower}: arguments may not be NULL"),
                    ))
                }
                value => texts.push(value.to_text().unwrap_or_default()),
            }
        }
        // The procedures that reach a remote never meet the statement loop's check.
        if super::dolt::changes_repository(&lower, Some(&texts), &|_| false) {
            self.refuse_if_read_only()?;
        }
        super::dolt::network_call(&lower, &texts)
    }

    /// The value of a procedure argument known before the statement runs: a literal, a
    /// parameter or a user variable; `None` for an expression.
    fn known_argument(&self, arg: &Expr, params: &[Datum]) -> Option<Datum> {
        match arg {
            Expr::Literal(value) => Some(value.clone()),
            Expr::Param(n) => Some(params[*n].clone()),
            Expr::UserVariable(name) => Some(
                self.user_variables.get(&name.to_ascii_lowercase()).cloned().unwrap_or(Datum::Null),
            ),
            _ => None,
        }
    }

    /// Fails with the read-only reason when the session is read-only.
    fn refuse_if_read_only(&self) -> Result<(), Error> {
        match &self.read_only {
            Some(reason) => Err(Error::new(ErrorKind::ReadOnly, reason.clone())),
            None => Ok(()),
        }
    }

    /// Refuses `statement` when the session is read-only and the statement could write.
    fn check_writable(
        &self,
        store: &mut dyn ChunkStore,
        statement: &Statement,
        params: &[Datum],
    ) -> Result<(), Error> {
        if self.read_only.is_none() {
            return Ok(());
        }
        // Only a checkout asks whether a name is a branch, so the repository is read then; a
        // failed read (chunks to load first) is the statement's failure.
        let store = RefCell::new(store);
        let failure = RefCell::new(None);
        let is_branch = |name: &str| match Repo::open(&mut **store.borrow_mut()) {
            Ok(repo) => repo.branch_head(name).is_ok(),
            Err(error) => {
                *failure.borrow_mut() = Some(error);
                false
            }
        };
        let mut call_writes = |name: &str, args: &[Expr]| {
            let texts: Option<Vec<String>> = args
                .iter()
                .map(|arg| self.known_argument(arg, params).and_then(|value| value.to_text()))
                .collect();
            super::dolt::changes_repository(name, texts.as_deref(), &is_branch)
        };
        let writes = replication::writes(statement, &mut call_writes);
        if let Some(error) = failure.into_inner() {
            return Err(error.into());
        }
        if writes {
            self.refuse_if_read_only()?;
        }
        Ok(())
    }

    fn autocommit(&self) -> bool {
        self.switch_on("autocommit")
    }

    fn begin(&mut self, store: &mut dyn ChunkStore, explicit: bool) -> Result<(), Error> {
        let repo = Repo::open(store)?;
        if repo.config_ref(PERSISTED_VARIABLES_TABLE) != self.persisted.hash {
            let persisted = read_persisted(&repo)?;
            self.adopt_persisted(persisted);
        }
        let metas = std::mem::take(&mut self.metas);
        let tx = Tx::begin(&repo, &self.workspace.branch, metas)?;
        self.open = Some(Open { tx, explicit });
        self.transactions += 1;
        Ok(())
    }

    /// Takes on persisted variables another session or process wrote: each one that changed
    /// since the session last read them gets its new global value (its default when it is no
    /// longer persisted), and so does its session value unless the session SET that itself.
    fn adopt_persisted(&mut self, persisted: Persisted) {
        let defaults = default_variables();
        let gone =
            self.persisted.values.keys().filter(|name| !persisted.values.contains_key(*name));
        let changed = persisted
            .values
            .iter()
            .filter(|(name, value)| self.persisted.values.get(*name) != Some(value))
            .map(|(name, value)| (name, Some(value)));
        let updates: Vec<(String, Datum)> = gone
            .map(|name| (name, defaults.get(name)))
            .chain(changed)
            .filter_map(|(name, value)| Some((name.clone(), value?.clone())))
            .collect();
        for (name, value) in updates {
            if !self.pinned.contains(&name) {
                self.session_variables.insert(name.clone(), value.clone());
            }
            self.global_variables.insert(name, value);
        }
        self.persisted = persisted;
    }

    /// Ends the open transaction without committing it, keeping its parsed schemas.
    fn close(&mut self) -> Option<Open> {
        let mut open = self.open.take()?;
        self.transactions += 1;
        self.metas = std::mem::take(&mut open.tx.metas);
        Some(open)
    }

    /// Commits the open transaction, if any. With `dolt_transaction_commit` on, a transaction
    /// that changed the working set also makes a Dolt commit of every change on the branch, as
    /// Dolt does. A read-only session commits only transactions that wrote nothing (which one
    /// made read-only while it had writes pending may hold).
    fn commit(&mut self, store: &mut dyn ChunkStore) -> Result<(), Error> {
        if self.open.as_ref().is_some_and(|open| open.tx.root != open.tx.base || open.tx.dirty()) {
            self.refuse_if_read_only()?;
        }
        let transaction_commit = self.switch_on("dolt_transaction_commit").then(|| {
            CommitOptions::new(TRANSACTION_COMMIT_MESSAGE, self.workspace.signature(self.now_ms))
        });
        let Some(mut open) = self.close() else { return Ok(()) };
        open.tx.commit(store, &self.workspace.branch, transaction_commit.as_ref())
    }

    /// Whether a switch among the session's variables is on.
    fn switch_on(&self, name: &str) -> bool {
        self.session_variables.get(name).and_then(Datum::truth) == Some(true)
    }

    fn statement(
        &mut self,
        store: &mut dyn ChunkStore,
        statement: &Statement,
        params: &[Datum],
    ) -> Result<QueryResult, Error> {
        self.check_writable(store, statement, params)?;
        match statement {
            Statement::Show { kind: ShowKind::Warnings, .. } => {
                let rows = self.last_warnings.iter().map(|warning| {
                    vec![
                        Datum::Text(warning.level.to_string()),
                        Datum::Int(i64::from(warning.code)),
                        Datum::Text(warning.message.clone()),
                    ]
                });
                return Ok(text_rows(&["Level", "Code", "Message"], rows.collect()));
            }
            Statement::Begin => {
                self.commit(store)?;
                self.begin(store, true)?;
                return Ok(QueryResult::default());
            }
            Statement::Commit => {
                self.commit(store)?;
                return Ok(QueryResult::default());
            }
            Statement::Rollback => {
                self.close();
                return Ok(QueryResult::default());
            }
            Statement::SetVariables(assignments) => return self.set_variables(store, assignments),
            Statement::Use(name) => return self.use_database(store, name),
            _ => {}
        }
        let ddl = statement.is_ddl();
        if ddl {
            // DDL commits the open transaction first and then commits itself, as in MySQL.
            self.commit(store)?;
        }
        if self.open.is_none() {
            self.begin(store, false)?;
        }
        let result = self.run(store, statement, params);
        let implicit = !self.open.as_ref().is_some_and(|o| o.explicit);
        match result {
            Ok(result) => {
                if ddl || (implicit && self.autocommit()) {
                    if let Err(e) = self.commit(store) {
                        self.close();
                        return Err(e);
                    }
                }
                Ok(result)
            }
            Err(error) => {
                // The failed statement took back its own changes; a transaction that outlives
                // statements (BEGIN, or autocommit off) goes on without them.
                if ddl || (implicit && self.autocommit()) {
                    self.close();
                }
                Err(error)
            }
        }
    }

    fn run(
        &mut self,
        store: &mut dyn ChunkStore,
        statement: &Statement,
        params: &[Datum],
    ) -> Result<QueryResult, Error> {
        let functions = FunctionContext { now_micros: self.now_ms.saturating_mul(1000) };
        let session = &self.session_variables;
        let global = &self.global_variables;
        let last_insert_id = self.last_insert_id;
        let lookup = move |name: &str, is_global: bool| -> Result<Datum, Error> {
            if name == "last_insert_id" {
                return Ok(Datum::UInt(last_insert_id));
            }
            let map = if is_global { global } else { session };
            map.get(name).cloned().ok_or_else(|| {
                Error::new(ErrorKind::UnknownVariable, format!("Unknown system variable '{name}'"))
            })
        };
        let open = self.open.as_mut().expect("begun");
        let tx_before = if statement.is_ddl() { Some(open.tx.clone()) } else { None };
        let mut exec = Exec::new(
            store,
            &mut open.tx,
            functions,
            &self.user_variables,
            &lookup,
            &mut self.workspace,
            params,
        );
        let outcome = run_statement(&mut exec, statement);
        if outcome.is_err() {
            exec.rollback_statement();
            drop(exec);
            if let Some(before) = tx_before {
                open.tx = before;
            }
        }
        let result = outcome?;
        if result.last_insert_id != 0 {
            self.last_insert_id = result.last_insert_id;
        }
        Ok(result)
    }

    fn set_variables(
        &mut self,
        store: &mut dyn ChunkStore,
        assignments: &[(VariableTarget, super::ast::Expr)],
    ) -> Result<QueryResult, Error> {
        // Values are computed and checked first, so a failing assignment changes no variable.
        // A check that looks at another variable sees the statement's earlier assignments to
        // the same scope (`global` for GLOBAL and PERSIST).
        let mut values: Vec<Datum> = Vec::with_capacity(assignments.len());
        let defaults = default_variables();
        for (index, (target, expr)) in assignments.iter().enumerate() {
            let VariableTarget::System { name, scope } = target else {
                values.push(self.evaluate(store, expr)?);
                continue;
            };
            self.check_settable(name)?;
            let value = match expr {
                expr if is_default(expr) => defaults.get(name).cloned().ok_or_else(|| {
                    Error::new(
                        ErrorKind::BadVariable,
                        format!("Variable '{name}' doesn't have a default value"),
                    )
                })?,
                expr => normalise_variable(name, self.evaluate(store, expr)?)?,
            };
            let global = *scope != VariableScope::Session;
            let current = |other: &str| {
                let earlier = assignments[..index].iter().zip(&values).rev().find(|((t, _), _)| {
                    matches!(t, VariableTarget::System { name, scope }
                        if name == other && (*scope != VariableScope::Session) == global)
                });
                match earlier {
                    Some((_, value)) => Some(value.clone()),
                    None if global => self.global_variables.get(other).cloned(),
                    None => self.session_variables.get(other).cloned(),
                }
            };
            let value = replication::check_variable(name, value, &current)?;
            values.push(value);
        }
        let mut persisted = Vec::new();
        for ((target, expr), value) in assignments.iter().zip(values) {
            let autocommit_before = self.autocommit();
            match target {
                VariableTarget::User(name) => {
                    self.user_variables.insert(name.clone(), value);
                }
                VariableTarget::System { name, .. } if self.revision_variable(name).is_some() => {
                    // Setting `@@<db>_head_ref` checks the branch out, as in Dolt.
                    let text = value.to_text().unwrap_or_default();
                    let branch = text.strip_prefix("refs/heads/").unwrap_or(&text).to_string();
                    Repo::open(store)?.branch_head(&branch)?;
                    let args = vec![super::ast::Expr::Literal(Datum::Text(branch))];
                    self.statement(
                        store,
                        &Statement::Call { name: "dolt_checkout".into(), args },
                        &[],
                    )?;
                }
                VariableTarget::System { name, scope } => {
                    let reset = is_default(expr);
                    match scope {
                        // A session value set to DEFAULT takes the global one and follows it
                        // again, as in MySQL.
                        VariableScope::Session if reset => {
                            self.pinned.remove(name);
                            self.session_variables
                                .insert(name.clone(), self.global_variables[name].clone());
                        }
                        VariableScope::Session => {
                            self.pinned.insert(name.clone());
                            self.session_variables.insert(name.clone(), value);
                        }
                        VariableScope::Global | VariableScope::Persist => {
                            self.global_variables.insert(name.clone(), value.clone());
                            if !self.pinned.contains(name) {
                                self.session_variables.insert(name.clone(), value.clone());
                            }
                            if *scope == VariableScope::Persist {
                                // Persisting DEFAULT removes the persisted value.
                                persisted.push((name.clone(), (!reset).then_some(value)));
                            }
                        }
                    }
                    if name == "autocommit" && self.autocommit() && !autocommit_before {
                        // Turning autocommit on commits the open transaction, as MySQL does.
                        self.commit(store)?;
                    }
                }
            }
        }
        if !persisted.is_empty() {
            self.persist_variables(store, &persisted)?;
        }
        Ok(QueryResult::default())
    }

    /// The value of a SET's expression, read as a one-row query.
    fn evaluate(&mut self, store: &mut dyn ChunkStore, expr: &Expr) -> Result<Datum, Error> {
        let query = super::ast::Query {
            with: Vec::new(),
            body: super::ast::SetExpr::Values(vec![vec![expr.clone()]]),
            order_by: Vec::new(),
            limit: None,
            offset: None,
        };
        let rows = self.query_rows(store, &query)?;
        Ok(rows.rows.into_iter().next().and_then(|r| r.into_iter().next()).unwrap_or(Datum::Null))
    }

    /// Refuses to set a system variable that does not exist or is read-only.
    fn check_settable(&self, name: &str) -> Result<(), Error> {
        let revision = self.revision_variable(name);
        if revision.is_some_and(|suffix| suffix != "head_ref")
            || READ_ONLY_VARIABLES.contains(&name)
        {
            return Err(Error::new(
                ErrorKind::BadVariable,
                format!("Variable '{name}' is a read only variable"),
            ));
        }
        if revision.is_none() && !self.global_variables.contains_key(name) {
            return Err(Error::new(
                ErrorKind::UnknownVariable,
                format!("Unknown system variable '{name}'"),
            ));
        }
        Ok(())
    }

    /// `USE db` (the session's own database) and `USE db/branch`, which moves the session to
    /// that branch as a checkout does.
    fn use_database(
        &mut self,
        store: &mut dyn ChunkStore,
        name: &str,
    ) -> Result<QueryResult, Error> {
        let (database, branch) = match name.split_once('/') {
            Some((database, branch)) => (database, Some(branch)),
            None => (name, None),
        };
        let unknown =
            || Error::new(ErrorKind::NoSuchDatabase, format!("Unknown database '{name}'"));
        if !database.eq_ignore_ascii_case(&self.workspace.database) {
            return Err(unknown());
        }
        let Some(branch) = branch else { return Ok(QueryResult::default()) };
        if Repo::open(store)?.branch_head(branch).is_err() {
            return Err(unknown());
        }
        let args = vec![super::ast::Expr::Literal(Datum::Text(branch.to_string()))];
        self.statement(store, &Statement::Call { name: "dolt_checkout".into(), args }, &[])?;
        Ok(QueryResult::default())
    }

    /// For `@@<database>_head` and its kin (`head_ref`, `working`, `staged`), the suffix.
    fn revision_variable(&self, name: &str) -> Option<&'static str> {
        let database = self.workspace.database.to_lowercase();
        let suffix = name.to_lowercase();
        let suffix = suffix.strip_prefix(&database)?.strip_prefix('_')?.to_string();
        ["head", "head_ref", "working", "staged"].into_iter().find(|s| *s == suffix)
    }

    fn query_rows(
        &mut self,
        store: &mut dyn ChunkStore,
        query: &super::ast::Query,
    ) -> Result<Rows, Error> {
        // Outside a transaction the query reads the branch's working root, as a statement
        // of its own would.
        let mut tx = match &self.open {
            Some(open) => open.tx.clone(),
            None => Tx::begin(&Repo::open(store)?, &self.workspace.branch, HashMap::new())?,
        };
        let functions = FunctionContext { now_micros: self.now_ms.saturating_mul(1000) };
        let session = &self.session_variables;
        let lookup = move |name: &str, _global: bool| -> Result<Datum, Error> {
            session.get(name).cloned().ok_or_else(|| {
                Error::new(ErrorKind::UnknownVariable, format!("Unknown system variable '{name}'"))
            })
        };
        let mut exec = Exec::new(
            store,
            &mut tx,
            functions,
            &self.user_variables,
            &lookup,
            &mut self.workspace,
            &[],
        );
        exec.query(query, None)
    }

    /// Writes persisted variables into the repository's ref map, so they survive reopen and
    /// reach other sessions: each name with its value, or removed for `None`. The values others
    /// persisted meanwhile are kept; this session takes them on at its next transaction, since
    /// what it last read no longer matches.
    fn persist_variables(
        &mut self,
        store: &mut dyn ChunkStore,
        changes: &[(String, Option<Datum>)],
    ) -> Result<(), Error> {
        publish_retrying(store, "the repository kept moving while persisting variables", |repo| {
            let mut values = load_persisted(repo)?;
            for (name, value) in changes {
                match value {
                    Some(value) => values.insert(name.clone(), value.clone()),
                    None => values.remove(name),
                };
            }
            let text: String = values
                .iter()
                .map(|(k, v)| {
                    format!("{k}={}\n", v.to_text().unwrap_or_default().replace('\n', " "))
                })
                .collect();
            let blob = crate::chunk::Chunk::new(text.into_bytes());
            let hash = blob.hash();
            repo.store_mut().put(blob).map_err(history::Error::from)?;
            repo.set_config_ref(PERSISTED_VARIABLES_TABLE, Some(hash));
            Ok(())
        })
    }
}

/// Whether a SET assigns `DEFAULT` (the keyword; `'DEFAULT'` quoted is a string).
fn is_default(expr: &Expr) -> bool {
    matches!(expr, Expr::Default)
}

/// The persisted variables `repo` holds, by name.
pub(super) fn load_persisted(repo: &Repo) -> Result<BTreeMap<String, Datum>, Error> {
    Ok(read_persisted(repo)?.values)
}

/// The persisted variables `repo` holds, with the hash of the chunk they were read from.
fn read_persisted(repo: &Repo) -> Result<Persisted, Error> {
    let mut values = BTreeMap::new();
    let hash = repo.config_ref(PERSISTED_VARIABLES_TABLE);
    if let Some(hash) = hash {
        let chunk = repo.store().get(hash).map_err(history::Error::from)?;
        for line in String::from_utf8_lossy(chunk.data()).lines() {
            if let Some((k, v)) = line.split_once('=') {
                let value = match v.parse::<i64>() {
                    Ok(n) => Datum::Int(n),
                    Err(_) => Datum::Text(v.to_string()),
                };
                values.insert(k.to_string(), value);
            }
        }
    }
    Ok(Persisted { hash, values })
}

/// System variables that are switches take ON/OFF/TRUE/FALSE/1/0.
fn normalise_variable(name: &str, value: Datum) -> Result<Datum, Error> {
    let switch = [
        "autocommit",
        "dolt_transaction_commit",
        "dolt_allow_commit_conflicts",
        "dolt_force_transaction_commit",
    ]
    .contains(&name)
        || replication::SWITCHES.contains(&name);
    if !switch {
        return Ok(value);
    }
    let on = match &value {
        Datum::Text(t) => match t.to_lowercase().as_str() {
            "on" | "true" | "1" => true,
            "off" | "false" | "0" => false,
            _ => {
                return Err(Error::new(
                    ErrorKind::BadVariable,
                    format!("Variable '{name}' can't be set to the value of '{t}'"),
                ))
            }
        },
        other => match other.to_i64()? {
            Some(0) => false,
            Some(1) => true,
            _ => {
                return Err(Error::new(
                    ErrorKind::BadVariable,
                    format!("Variable '{name}' can't be set to the value of '{other}'"),
                ))
            }
        },
    };
    Ok(Datum::Int(i64::from(on)))
}

fn rows_result(rows: Rows) -> QueryResult {
    QueryResult { columns: rows.columns, rows: rows.rows, ..QueryResult::default() }
}

/// A `SELECT` of one function call and nothing else (`SELECT dolt_push('origin', 'main')`):
/// the function's name, its arguments, and the column's heading.
pub fn function_call(statement: &Statement) -> Option<(&String, &Vec<Expr>, &str)> {
    let Statement::Query(query) = statement else { return None };
    let SetExpr::Select(select) = &query.body else { return None };
    let plain = query.with.is_empty()
        && query.order_by.is_empty()
        && query.limit.is_none()
        && query.offset.is_none()
        && select.from.is_none()
        && select.filter.is_none()
        && select.group_by.is_empty()
        && select.having.is_none();
    match select.items.as_slice() {
        [SelectItem::Expr { expr: Expr::Function { name, args }, alias, text }] if plain => {
            Some((name, args, alias.as_deref().unwrap_or(text.as_str())))
        }
        _ => None,
    }
}

fn text_rows(columns: &[&str], rows: Vec<Vec<Datum>>) -> QueryResult {
    QueryResult {
        columns: columns.iter().map(|c| c.to_string()).collect(),
        rows,
        ..QueryResult::default()
    }
}

fn run_statement(exec: &mut Exec, statement: &Statement) -> Result<QueryResult, Error> {
    Ok(match statement {
        Statement::Query(query) => rows_result(exec.query(query, None)?),
        Statement::Explain(query) => {
            exec.plan = Some(Vec::new());
            exec.query(query, None)?;
            let plan = exec.plan.take().unwrap_or_default();
            text_rows(&["plan"], plan.into_iter().map(|p| vec![Datum::Text(p)]).collect())
        }
        Statement::Insert { table, columns, source, on_duplicate, ignore, replace } => {
            let changed = exec.insert(table, columns, source, on_duplicate, *ignore, *replace)?;
            QueryResult {
                rows_affected: changed.rows_affected,
                last_insert_id: changed.last_insert_id,
                ..QueryResult::default()
            }
        }
        Statement::Update { table, alias, assignments, filter, order_by, limit } => {
            let changed = exec.update(
                table,
                alias.as_deref(),
                assignments,
                filter.as_ref(),
                order_by,
                limit.as_ref(),
            )?;
            QueryResult { rows_affected: changed.rows_affected, ..QueryResult::default() }
        }
        Statement::Delete { table, alias, filter, order_by, limit } => {
            let changed =
                exec.delete(table, alias.as_deref(), filter.as_ref(), order_by, limit.as_ref())?;
            QueryResult { rows_affected: changed.rows_affected, ..QueryResult::default() }
        }
        Statement::CreateTable(create) => {
            exec.create_table(create)?;
            QueryResult::default()
        }
        Statement::DropTable { names, if_exists } => {
            exec.drop_tables(names, *if_exists)?;
            QueryResult::default()
        }
        Statement::CreateIndex { table, index, if_not_exists } => {
            exec.create_index(table, index, *if_not_exists)?;
            QueryResult::default()
        }
        Statement::DropIndex { table, name } => {
            exec.drop_index(table, name)?;
            QueryResult::default()
        }
        Statement::AlterTable { table, actions } => {
            exec.alter_table(table, actions)?;
            QueryResult::default()
        }
        Statement::RenameTable(pairs) => {
            for (from, to) in pairs {
                exec.rename_table(from, to)?;
            }
            QueryResult::default()
        }
        Statement::Truncate(table) => {
            exec.truncate(table)?;
            QueryResult::default()
        }
        Statement::Show { kind: ShowKind::Tables, like: pattern } => {
            let rows = exec
                .tx
                .root
                .tables
                .keys()
                .filter(|n| pattern.as_ref().is_none_or(|p| like(n, p, '\\')))
                .map(|n| vec![Datum::Text(n.clone())])
                .collect();
            let column = format!("Tables_in_{}", exec.workspace.database);
            text_rows(&[column.as_str()], rows)
        }
        Statement::Show { kind: ShowKind::Databases, .. } => {
            text_rows(&["Database"], vec![vec![Datum::Text(exec.workspace.database.clone())]])
        }
        Statement::Show { kind: ShowKind::Warnings, .. } => {
            unreachable!("the session answers SHOW WARNINGS before a transaction begins")
        }
        Statement::Show { kind: ShowKind::Variables, like: pattern } => {
            let mut rows = Vec::new();
            for name in default_variables().keys() {
                if pattern.as_ref().is_none_or(|p| like(name, p, '\\')) {
                    let value = (exec.system_variable)(name, false)?;
                    rows.push(vec![
                        Datum::Text(name.clone()),
                        Datum::Text(value.to_text().unwrap_or_default()),
                    ]);
                }
            }
            text_rows(&["Variable_name", "Value"], rows)
        }
        Statement::ShowCreateTable { name, revision } => {
            // The session's own branch is read through the transaction, uncommitted changes
            // included, as a query of `db/<branch>`.t reads it.
            let meta = match revision {
                Some(Revision::AsOf(expr)) => {
                    let empty = super::exec::Scope::default();
                    let value = exec.eval(expr, &super::exec::Env::new(&empty, &[]))?;
                    super::dolt::meta_as_of(exec, name, &value)?
                }
                Some(revision @ Revision::Database(text))
                    if !super::dolt::is_own_branch(exec, revision) =>
                {
                    super::dolt::meta_in_revision(exec, name, text)?
                }
                _ => {
                    let store: &dyn ChunkStore = &*exec.store;
                    exec.tx.open(store, name)?.meta.clone()
                }
            };
            text_rows(
                &["Table", "Create Table"],
                vec![vec![Datum::Text(meta.name.clone()), Datum::Text(show_create(&meta))]],
            )
        }
        Statement::Describe(name) => {
            let store: &dyn ChunkStore = &*exec.store;
            let data = exec.tx.open(store, name)?;
            let meta = &data.meta;
            let rows = meta
                .schema
                .columns
                .iter()
                .enumerate()
                .map(|(p, c)| {
                    let key = if meta.key_positions.contains(&p) {
                        "PRI"
                    } else if meta
                        .schema
                        .indexes
                        .iter()
                        .any(|i| i.columns.first() == Some(&c.tag) && i.unique)
                    {
                        "UNI"
                    } else if meta.schema.indexes.iter().any(|i| i.columns.first() == Some(&c.tag))
                    {
                        "MUL"
                    } else {
                        ""
                    };
                    vec![
                        Datum::Text(c.name.clone()),
                        Datum::Text(meta.types[p].to_string()),
                        Datum::Text(if c.nullable { "YES" } else { "NO" }.into()),
                        Datum::Text(key.into()),
                        c.default.clone().map(Datum::Text).unwrap_or(Datum::Null),
                        Datum::Text(if c.auto_increment { "auto_increment" } else { "" }.into()),
                    ]
                })
                .collect();
            text_rows(&["Field", "Type", "Null", "Key", "Default", "Extra"], rows)
        }
        Statement::Begin
        | Statement::Commit
        | Statement::Rollback
        | Statement::SetVariables(_)
        | Statement::Use(_) => {
            unreachable!("handled by the session")
        }
        Statement::Call { name, args } => {
            let empty = super::exec::Scope::default();
            let env = super::exec::Env::new(&empty, &[]);
            let values = args.iter().map(|a| exec.eval(a, &env)).collect::<Result<_, _>>()?;
            rows_result(super::dolt::call(exec, name, values)?)
        }
    })
}

fn show_create(meta: &super::data::TableMeta) -> String {
    let mut lines = Vec::new();
    for (p, c) in meta.schema.columns.iter().enumerate() {
        let mut line = format!("  `{}` {}", c.name, meta.types[p]);
        if !c.nullable {
            line.push_str(" NOT NULL");
        }
        if c.auto_increment {
            line.push_str(" AUTO_INCREMENT");
        }
        if let Some(default) = &c.default {
            line.push_str(&format!(" DEFAULT {default}"));
        }
        lines.push(line);
    }
    let name_of = |tag: &u32| {
        let column = meta.schema.column(*tag).expect("valid schema");
        format!("`{}`", column.name)
    };
    if !meta.schema.primary_key.is_empty() {
        let columns: Vec<String> = meta.schema.primary_key.iter().map(name_of).collect();
        lines.push(format!("  PRIMARY KEY ({})", columns.join(",")));
    }
    for index in &meta.schema.indexes {
        let columns: Vec<String> = index.columns.iter().map(name_of).collect();
        let kind = if index.unique { "UNIQUE KEY" } else { "KEY" };
        lines.push(format!("  {kind} `{}` ({})", index.name, columns.join(",")));
    }
    for fk in &meta.schema.foreign_keys {
        let mut line = format!("  {}", describe_foreign_key(&meta.schema, fk));
        for (event, action) in [("DELETE", fk.on_delete), ("UPDATE", fk.on_update)] {
            match action {
                ReferentialAction::Restrict => {}
                ReferentialAction::Cascade => line.push_str(&format!(" ON {event} CASCADE")),
                ReferentialAction::SetNull => line.push_str(&format!(" ON {event} SET NULL")),
            }
        }
        lines.push(line);
    }
    for check in &meta.schema.checks {
        lines.push(format!("  CONSTRAINT `{}` CHECK ({})", check.name, check.expression));
    }
    format!(
        "CREATE TABLE `{}` (\n{}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_bin",
        meta.name,
        lines.join(",\n")
    )
}
