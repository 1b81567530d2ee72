//! Replication's side of the SQL core. The `db` layer does the pushing and pulling; here are the
//! system variables that configure it (Dolt's `dolt_replicate_to_remote`,
//! `dolt_read_replica_remote`, `dolt_replicate_heads`, ... and Cambium's few more), checked when
//! they are set and read together as one [`Replication`]; and which statements a read-only
//! session (a replica, or a primary that lost its place) refuses, decided from the statement
//! alone before it runs.

use std::collections::BTreeMap;

use crate::history::validate_ref_name;

use super::ast::{Expr, Query, Revision, SelectItem, SetExpr, Statement, TableRef};
use super::error::{Error, ErrorKind};
use super::types::Datum;

/// The remote a primary pushes every head move to.
pub const TO_REMOTE: &str = "dolt_replicate_to_remote";
/// The remote a replica pulls from at every transaction start.
pub const READ_REPLICA_REMOTE: &str = "dolt_read_replica_remote";
/// The branches a replica pulls: a comma list of names with `*` wildcards.
pub const HEADS: &str = "dolt_replicate_heads";
/// A replica pulls every branch and tag.
pub const ALL_HEADS: &str = "dolt_replicate_all_heads";
pub const ASYNC: &str = "dolt_async_replication";
pub const SKIP_ERRORS: &str = "dolt_skip_replication_errors";
/// A replica takes the remote's branch even when its own has moved elsewhere.
pub const FORCE_PULL: &str = "dolt_read_replica_force_pull";
/// A replica accepts writes (it refuses them otherwise).
pub const ALLOW_WRITES: &str = "dolt_read_replica_allow_writes";
/// What a writer whose push was rejected does with the conflicts of the merge it makes.
pub const CONFLICTS: &str = "dolt_replication_conflicts";

/// The replication variables Cambium adds to Dolt's, with their defaults.
pub(super) fn default_variables() -> [(&'static str, Datum); 3] {
    [
        (FORCE_PULL, Datum::Int(1)),
        (ALLOW_WRITES, Datum::Int(0)),
        (CONFLICTS, Datum::Text(ConflictPolicy::Keep.as_str().to_string())),
    ]
}

/// The replication variables that are switches (ON/OFF, 1/0).
pub(super) const SWITCHES: &[&str] = &[ALL_HEADS, ASYNC, SKIP_ERRORS, FORCE_PULL, ALLOW_WRITES];

/// Which branches a read replica pulls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Heads {
    /// None configured: the replica pulls nothing.
    None,
    /// Branches matching any of these patterns (`*` matches any run of characters).
    List(Vec<String>),
    /// Every branch and tag; refs gone from the remote are removed.
    All,
}

impl Heads {
    /// Whether the replica pulls `branch`.
    pub fn includes(&self, branch: &str) -> bool {
        match self {
            Heads::None => false,
            Heads::List(patterns) => patterns.iter().any(|p| head_matches(p, branch)),
            Heads::All => true,
        }
    }
}

/// What a writer does with the conflicts of the merge it makes after a rejected push.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConflictPolicy {
    /// Conflicts stay in `dolt_conflicts_<table>` for someone to resolve.
    Keep,
    /// The writer's own rows win.
    Ours,
    /// The remote's rows win.
    Theirs,
}

impl ConflictPolicy {
    /// The value of `dolt_replication_conflicts` that names this policy.
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictPolicy::Keep => "keep",
            ConflictPolicy::Ours => "ours",
            ConflictPolicy::Theirs => "theirs",
        }
    }

    fn parse(text: &str) -> Option<ConflictPolicy> {
        [ConflictPolicy::Keep, ConflictPolicy::Ours, ConflictPolicy::Theirs]
            .into_iter()
            .find(|policy| policy.as_str().eq_ignore_ascii_case(text))
    }
}

/// A session's replication settings, as its variables hold them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replication {
    /// The remote every head move is pushed to (a primary), if any.
    pub to_remote: Option<String>,
    /// The remote pulled from at every transaction start (a replica), if any.
    pub read_replica_remote: Option<String>,
    pub heads: Heads,
    /// Push after the operation returns instead of before.
    pub async_push: bool,
    /// A failed push is a warning, not a failure of the operation.
    pub skip_errors: bool,
    pub force_pull: bool,
    pub allow_writes: bool,
    pub conflicts: ConflictPolicy,
}

impl Replication {
    /// Reads the settings from system variables by name; a variable that is missing or holds
    /// something its check would refuse reads as its default. Were both head variables set
    /// (two writers persisting at once), all heads win: a replica with more is still correct.
    pub fn from_variables(variables: &BTreeMap<String, Datum>) -> Replication {
        let text = |name: &str| {
            variables.get(name).and_then(Datum::to_text).filter(|text| !text.is_empty())
        };
        let switch = |name: &str, default: bool| {
            variables.get(name).and_then(Datum::truth).unwrap_or(default)
        };
        let heads = if switch(ALL_HEADS, false) {
            Heads::All
        } else {
            match text(HEADS) {
                Some(list) => Heads::List(head_patterns(&list)),
                None => Heads::None,
            }
        };
        Replication {
            to_remote: text(TO_REMOTE),
            read_replica_remote: text(READ_REPLICA_REMOTE),
            heads,
            async_push: switch(ASYNC, false),
            skip_errors: switch(SKIP_ERRORS, false),
            force_pull: switch(FORCE_PULL, true),
            allow_writes: switch(ALLOW_WRITES, false),
            conflicts: text(CONFLICTS)
                .and_then(|t| ConflictPolicy::parse(&t))
                .unwrap_or(ConflictPolicy::Keep),
        }
    }
}

/// Whether `branch` matches `pattern`, where `*` matches any run of characters (`/` included)
/// and every other character itself.
pub fn head_matches(pattern: &str, branch: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let branch: Vec<char> = branch.chars().collect();
    // The classic greedy match: on a mismatch, the last `*` takes one more character.
    let (mut p, mut b) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while b < branch.len() {
        if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, b));
            p += 1;
        } else if p < pattern.len() && pattern[p] == branch[b] {
            p += 1;
            b += 1;
        } else if let Some((star_p, star_b)) = star {
            p = star_p + 1;
            b = star_b + 1;
            star = Some((star_p, star_b + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// The patterns of a `dolt_replicate_heads` list.
fn head_patterns(list: &str) -> Vec<String> {
    list.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_string).collect()
}

/// Checks a value given to replication variable `name` (a switch already reads 0 or 1) and
/// returns it as stored; other variables' values pass unchanged. `current` reads another
/// variable of the scope being set, as it stands with the statement's earlier assignments.
pub(super) fn check_variable(
    name: &str,
    value: Datum,
    current: &dyn Fn(&str) -> Option<Datum>,
) -> Result<Datum, Error> {
    let refuse = |why: String| {
        Error::new(ErrorKind::BadVariable, format!("Variable '{name}' can't be set: {why}"))
    };
    let text =
        || value.to_text().ok_or_else(|| refuse("it takes a text value, not NULL".to_string()));
    let both = || {
        Error::new(
            ErrorKind::BadVariable,
            format!(
                "Variable '{name}' can't be set: only one of {HEADS} and {ALL_HEADS} may be set at a time; unset the other first"
            ),
        )
    };
    match name {
        TO_REMOTE | READ_REPLICA_REMOTE => {
            let remote = text()?.trim().to_string();
            if !remote.is_empty() {
                validate_ref_name("remote", &remote).map_err(|e| refuse(e.to_string()))?;
            }
            Ok(Datum::Text(remote))
        }
        HEADS => {
            let list = text()?;
            let patterns = head_patterns(&list);
            if list.split(',').any(|p| p.trim().is_empty()) && !list.trim().is_empty() {
                return Err(refuse(format!("'{list}' has an empty branch name in its list")));
            }
            for pattern in &patterns {
                // A wildcard stands for characters a branch name may hold.
                validate_ref_name("branch", &pattern.replace('*', "x"))
                    .map_err(|e| refuse(e.to_string()))?;
            }
            if !patterns.is_empty() && current(ALL_HEADS).and_then(|v| v.truth()) == Some(true) {
                return Err(both());
            }
            Ok(Datum::Text(patterns.join(",")))
        }
        ALL_HEADS => {
            let others = current(HEADS).and_then(|v| v.to_text()).unwrap_or_default();
            if value.truth() == Some(true) && !head_patterns(&others).is_empty() {
                return Err(both());
            }
            Ok(value)
        }
        CONFLICTS => {
            let text = text()?;
            let policy = ConflictPolicy::parse(text.trim()).ok_or_else(|| {
                refuse(format!("'{text}' is not a conflict policy: use keep, ours or theirs"))
            })?;
            Ok(Datum::Text(policy.as_str().to_string()))
        }
        _ => Ok(value),
    }
}

/// Whether running `statement` could change the database, decided from the statement alone.
/// `call_writes` says it of one procedure or function call (name lower-cased, argument
/// expressions). Statements that only read are listed; every other kind, one added later
/// included, counts as a write, so a read-only session never runs a write it did not foresee.
pub(super) fn writes(
    statement: &Statement,
    call_writes: &mut dyn FnMut(&str, &[Expr]) -> bool,
) -> bool {
    if let Statement::Call { name, args } = statement {
        if call_writes(&name.to_ascii_lowercase(), args) {
            return true;
        }
    }
    let mut in_expr = |expr: &Expr| match expr {
        Expr::Function { name, args } => call_writes(&name.to_ascii_lowercase(), args),
        _ => false,
    };
    match statement {
        Statement::Query(query) | Statement::Explain(query) => query_any(query, &mut in_expr),
        Statement::SetVariables(assignments) => {
            assignments.iter().any(|(_, expr)| expr_any(expr, &mut in_expr))
        }
        Statement::ShowCreateTable { revision, .. } => match revision {
            Some(Revision::AsOf(expr)) => expr_any(expr, &mut in_expr),
            _ => false,
        },
        Statement::Call { args, .. } => args.iter().any(|arg| expr_any(arg, &mut in_expr)),
        Statement::Show { .. }
        | Statement::Describe(_)
        | Statement::Use(_)
        | Statement::Begin
        | Statement::Commit
        | Statement::Rollback => false,
        _ => true,
    }
}

/// Whether `predicate` holds for an expression of `query`, subqueries included.
fn query_any(query: &Query, predicate: &mut dyn FnMut(&Expr) -> bool) -> bool {
    query.with.iter().any(|(_, query)| query_any(query, predicate))
        || set_any(&query.body, predicate)
        || query.order_by.iter().any(|item| expr_any(&item.expr, predicate))
        || query.limit.iter().chain(&query.offset).any(|expr| expr_any(expr, predicate))
}

fn set_any(body: &SetExpr, predicate: &mut dyn FnMut(&Expr) -> bool) -> bool {
    match body {
        SetExpr::Select(select) => {
            select.items.iter().any(|item| match item {
                SelectItem::Expr { expr, .. } => expr_any(expr, predicate),
                SelectItem::Wildcard | SelectItem::QualifiedWildcard(_) => false,
            }) || select.from.as_ref().is_some_and(|from| table_any(from, predicate))
                || select
                    .filter
                    .iter()
                    .chain(&select.group_by)
                    .chain(&select.having)
                    .any(|expr| expr_any(expr, predicate))
        }
        SetExpr::Values(rows) => rows.iter().flatten().any(|expr| expr_any(expr, predicate)),
        SetExpr::SetOperation { left, right, .. } => {
            set_any(left, predicate) || set_any(right, predicate)
        }
        SetExpr::Query(query) => query_any(query, predicate),
    }
}

fn table_any(table: &TableRef, predicate: &mut dyn FnMut(&Expr) -> bool) -> bool {
    match table {
        TableRef::Named { revision: Some(Revision::AsOf(expr)), .. } => expr_any(expr, predicate),
        TableRef::Named { .. } => false,
        TableRef::Function { args, .. } => args.iter().any(|expr| expr_any(expr, predicate)),
        TableRef::Derived { query, .. } => query_any(query, predicate),
        TableRef::Join { left, right, on, .. } => {
            table_any(left, predicate)
                || table_any(right, predicate)
                || on.as_ref().is_some_and(|expr| expr_any(expr, predicate))
        }
    }
}

/// [`Expr::any`], looking into subqueries too.
fn expr_any(expr: &Expr, predicate: &mut dyn FnMut(&Expr) -> bool) -> bool {
    expr.any(&mut |e| {
        predicate(e)
            || match e {
                Expr::Exists { query, .. }
                | Expr::Subquery(query)
                | Expr::InSubquery { query, .. } => query_any(query, predicate),
                _ => false,
            }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_any_run_of_characters() {
        assert!(head_matches("main", "main"));
        assert!(!head_matches("main", "mainline"));
        assert!(!head_matches("main", "mai"));
        assert!(head_matches("*", "anything/at/all"));
        assert!(head_matches("*", ""));
        assert!(head_matches("feature/*", "feature/login"));
        assert!(head_matches("feature/*", "feature/"));
        assert!(!head_matches("feature/*", "features/login"));
        assert!(head_matches("*-fix", "a-b-fix"));
        assert!(!head_matches("*-fix", "a-fixed"));
        assert!(head_matches("r*l*e", "release"));
        assert!(head_matches("a**b", "ab"));
        assert!(!head_matches("Main", "main"));
        assert!(head_matches("ü*", "über"));
    }

    fn variables(pairs: &[(&str, Datum)]) -> BTreeMap<String, Datum> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }

    #[test]
    fn settings_default_to_no_replication() {
        let defaults: Vec<(&str, Datum)> = default_variables().into_iter().collect();
        let settings = Replication::from_variables(&variables(&defaults));
        assert_eq!(
            settings,
            Replication {
                to_remote: None,
                read_replica_remote: None,
                heads: Heads::None,
                async_push: false,
                skip_errors: false,
                force_pull: true,
                allow_writes: false,
                conflicts: ConflictPolicy::Keep,
            }
        );
        assert_eq!(Replication::from_variables(&BTreeMap::new()), settings);
    }

    #[test]
    fn settings_read_every_variable() {
        let text = |s: &str| Datum::Text(s.to_string());
        let settings = Replication::from_variables(&variables(&[
            (TO_REMOTE, text("origin")),
            (READ_REPLICA_REMOTE, text("upstream")),
            (HEADS, text("main, feature/*")),
            (ALL_HEADS, Datum::Int(0)),
            (ASYNC, Datum::Int(1)),
            (SKIP_ERRORS, Datum::Int(1)),
            (FORCE_PULL, Datum::Int(0)),
            (ALLOW_WRITES, Datum::Int(1)),
            (CONFLICTS, text("theirs")),
        ]));
        assert_eq!(settings.to_remote.as_deref(), Some("origin"));
        assert_eq!(settings.read_replica_remote.as_deref(), Some("upstream"));
        assert_eq!(settings.heads, Heads::List(vec!["main".into(), "feature/*".into()]));
        assert!(settings.heads.includes("feature/x"));
        assert!(!settings.heads.includes("other"));
        assert!(settings.async_push && settings.skip_errors && settings.allow_writes);
        assert!(!settings.force_pull);
        assert_eq!(settings.conflicts, ConflictPolicy::Theirs);
    }

    #[test]
    fn all_heads_win_over_a_list() {
        let settings = Replication::from_variables(&variables(&[
            (HEADS, Datum::Text("main".into())),
            (ALL_HEADS, Datum::Int(1)),
        ]));
        assert_eq!(settings.heads, Heads::All);
        assert!(settings.heads.includes("anything"));
        assert!(!Heads::None.includes("main"));
    }

    #[test]
    fn checks_refuse_bad_values_naming_the_variable() {
        let none = |_: &str| None;
        let text = |s: &str| Datum::Text(s.to_string());
        let refused = |name: &str, value: Datum, current: &dyn Fn(&str) -> Option<Datum>| {
            let error = check_variable(name, value, current).unwrap_err();
            assert_eq!(error.kind, ErrorKind::BadVariable);
            assert!(error.message.contains(name), "{}", error.message);
            error.message
        };
        assert_eq!(check_variable(TO_REMOTE, text(" origin "), &none), Ok(text("origin")));
        assert_eq!(check_variable(TO_REMOTE, text(""), &none), Ok(text("")));
        refused(TO_REMOTE, text("bad name"), &none);
        refused(READ_REPLICA_REMOTE, Datum::Null, &none);
        assert_eq!(check_variable(HEADS, text("main, f/*"), &none), Ok(text("main,f/*")));
        refused(HEADS, text("main,,dev"), &none);
        refused(HEADS, text("a..b"), &none);
        let all = |name: &str| (name == ALL_HEADS).then_some(Datum::Int(1));
        let both = refused(HEADS, text("main"), &all);
        assert!(both.contains(ALL_HEADS));
        assert_eq!(check_variable(HEADS, text(""), &all), Ok(text("")));
        let listed = |name: &str| (name == HEADS).then(|| text("main"));
        let both = refused(ALL_HEADS, Datum::Int(1), &listed);
        assert!(both.contains(HEADS));
        assert_eq!(check_variable(ALL_HEADS, Datum::Int(0), &listed), Ok(Datum::Int(0)));
        assert_eq!(check_variable(CONFLICTS, text("Ours"), &none), Ok(text("ours")));
        refused(CONFLICTS, text("mine"), &none);
    }
}
