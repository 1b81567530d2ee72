//! SQL: MySQL-flavoured statements read by Cambium's own parser into its own small AST,
//! planned and executed over the history layer's root values, within sessions that hold
//! variables and transactions.

pub mod ast;
mod constraints;
mod data;
mod dml;
mod dolt;
mod error;
mod exec;
pub mod functions;
pub mod parse;
pub mod replication;
mod session;
pub mod types;
mod workspace;

pub use dolt::{
    adopt_backup, after_push, apply_fetch, apply_replica, configured_url, decide_push, fetch_roots,
    moved_refs, plan_push, pull_source, replicated_refs, replication_plan, NetworkCall, PushPlan,
    PushUpdate, Rejection, ReplicaChange,
};
pub use error::{Error, ErrorKind};
pub use replication::{head_matches, ConflictPolicy, Heads, Replication};
pub use session::{function_call, QueryResult, Saved, Session, Warning};
pub use types::{CastType, Datum, Decimal, SqlType};
pub use workspace::Workspace;
