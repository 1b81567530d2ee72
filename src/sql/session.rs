//! Sessions: what one connection holds between statements (current branch, variables, the open
//! transaction and its snapshot), and the statement loop that parses, plans and executes.

use crate::chunk::ChunkStore;

use super::error::Error;
use super::types::Datum;

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
    pub warnings: u32,
}

/// One connection's state.
pub struct Session {
    now_ms: i64,
}

impl Session {
    /// A session on the current branch of the repository in `store`; an empty store is
    /// initialised first (branch `main`, one commit).
    pub fn open(store: &mut dyn ChunkStore) -> Result<Session, Error> {
        let _ = store;
        todo!()
    }

    /// Sets the clock reading (milliseconds since the epoch) that NOW(), commits and
    /// timestamps use from the next statement on.
    pub fn set_time(&mut self, now_ms: i64) {
        self.now_ms = now_ms;
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
        let _ = (store, sql, params);
        todo!()
    }
}
