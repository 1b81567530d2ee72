//! Random DML against a model of MySQL's semantics. Seeded sequences of INSERT (single and
//! multi-row, IGNORE, REPLACE, ON DUPLICATE KEY UPDATE), UPDATE and DELETE (key ranges, index
//! equality, ORDER BY … LIMIT, changes of the primary key and of a unique column), TRUNCATE,
//! BEGIN / COMMIT / ROLLBACK and `SET autocommit` (a failing statement inside a transaction
//! undoes only itself) run both against Cambium and against `BTreeMap`s. One test works on a
//! table with a primary key, a unique and a secondary index; the other on a table with a
//! composite primary key and a secondary index, and on a table without a key.
//!
//! After every step the tables must hold the model's rows; a statement the model says fails
//! must fail with the same error code and change nothing (statements are atomic, and MySQL
//! checks keys row by row, so key changes visit rows in a stated order); every few steps
//! index-driven queries (`WHERE k = ?`, `WHERE u = ?`, key ranges, key prefixes) must agree with
//! the filtered model; and at the end a fresh session on another handle of the store must see
//! exactly the committed rows (an open transaction's work stays invisible until COMMIT).
//!
//! A failure names the seed, the step and the statement, with the statements before it; the
//! same seed replays the same statements.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::collections::BTreeMap;

use cambium::chunk::MemoryStore;
use cambium::sql::{Datum, Session};
use support::Rng;

const SEEDS: [u64; 8] = [1, 2, 3, 5, 8, 13, 21, 34];
/// Ids and unique values of `t` are drawn from `0..KEY_SPACE`, small enough to collide often.
const KEY_SPACE: u64 = 30;
const STEPS: usize = 1200;
/// Every this many steps the index-driven queries and the other tables are compared too.
const PROBE_EVERY: usize = 4;
/// Statements shown before the failing one.
const HISTORY_SHOWN: usize = 12;

const DUPLICATE: &str = "sql_duplicate_key";
const TOO_LONG: &str = "sql_data_too_long";
const NOT_NULL: &str = "sql_not_null";

/// `v VARCHAR(16)` in `t`, `s VARCHAR(8)` in `p`.
const V_CHARS_MAX: usize = 16;
const S_CHARS_MAX: usize = 8;

const SCHEMA: &str = "
    CREATE TABLE t (id INT PRIMARY KEY, u INT UNIQUE, k INT, v VARCHAR(16), INDEX (k));
    CREATE TABLE p (a INT, b INT, n INT NOT NULL, s VARCHAR(8), PRIMARY KEY (a, b), INDEX (n));
    CREATE TABLE bag (x INT, y INT)";

/// What a statement should do: succeed, or fail with this error code and change nothing.
type Outcome = Result<(), &'static str>;

#[derive(Clone, Debug, PartialEq)]
struct TRow {
    u: Option<i64>,
    k: Option<i64>,
    v: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
struct PRow {
    n: i64,
    s: Option<String>,
}

/// The database as MySQL would hold it.
#[derive(Clone, Debug, Default, PartialEq)]
struct Model {
    t: BTreeMap<i64, TRow>,
    p: BTreeMap<(i64, i64), PRow>,
    /// `bag` rows with their multiplicity.
    bag: BTreeMap<(i64, i64), usize>,
}

fn int(value: Option<i64>) -> String {
    value.map_or("NULL".to_string(), |v| v.to_string())
}

fn text(value: &Option<String>) -> String {
    value.as_ref().map_or("NULL".to_string(), |v| format!("'{v}'"))
}

fn shown(value: &Option<String>) -> String {
    value.clone().unwrap_or_else(|| "NULL".to_string())
}

fn too_long(value: &Option<String>, max: usize) -> bool {
    value.as_ref().is_some_and(|v| v.chars().count() > max)
}

/// `CONCAT(a, b)`: NULL if either is.
fn concat(a: &Option<String>, b: &str) -> Option<String> {
    a.as_ref().map(|a| format!("{a}{b}"))
}

impl Model {
    fn t_rows(&self) -> Vec<String> {
        self.t
            .iter()
            .map(|(id, r)| format!("{id} | {} | {} | {}", int(r.u), int(r.k), shown(&r.v)))
            .collect()
    }

    fn p_rows(&self) -> Vec<String> {
        self.p.iter().map(|((a, b), r)| format!("{a} | {b} | {} | {}", r.n, shown(&r.s))).collect()
    }

    fn bag_rows(&self) -> Vec<String> {
        self.bag
            .iter()
            .flat_map(|((x, y), count)| std::iter::repeat_n(format!("{x} | {y}"), *count))
            .collect()
    }

    /// The id of the row of `t` holding `u`, if any.
    fn holder(&self, u: Option<i64>) -> Option<i64> {
        let u = u?;
        self.t.iter().find(|(_, r)| r.u == Some(u)).map(|(id, _)| *id)
    }

    /// Puts a new row into `t` as a plain INSERT would.
    fn t_insert(&mut self, id: i64, row: TRow) -> Outcome {
        if too_long(&row.v, V_CHARS_MAX) {
            return Err(TOO_LONG);
        }
        if self.t.contains_key(&id) || self.holder(row.u).is_some() {
            return Err(DUPLICATE);
        }
        self.t.insert(id, row);
        Ok(())
    }

    /// Replaces the row `id` of `t` by `id2` / `new`, as one row of an UPDATE does.
    fn t_update(&mut self, id: i64, id2: i64, new: TRow) -> Outcome {
        if too_long(&new.v, V_CHARS_MAX) {
            return Err(TOO_LONG);
        }
        let old = &self.t[&id];
        if id2 == id && *old == new {
            return Ok(());
        }
        if id2 != id && self.t.contains_key(&id2) {
            return Err(DUPLICATE);
        }
        if self.holder(new.u).is_some_and(|holder| holder != id) {
            return Err(DUPLICATE);
        }
        self.t.remove(&id);
        self.t.insert(id2, new);
        Ok(())
    }
}

/// The model's side of a WHERE clause over `t`: whether the row `id` matches.
type RowTest = Box<dyn Fn(i64, &TRow) -> bool>;

/// A WHERE clause over `t` and the test it stands for.
struct Filter {
    sql: String,
    test: RowTest,
}

/// Which rows of `t` an UPDATE or DELETE takes, in which order.
struct Selection {
    filter: Option<Filter>,
    /// `ORDER BY …` text and whether it is by id (else by k, then id), descending.
    order: Option<(String, bool, bool)>,
    limit: Option<usize>,
}

impl Selection {
    fn sql(&self) -> String {
        let mut out = String::new();
        if let Some(f) = &self.filter {
            out.push_str(&format!(" WHERE {}", f.sql));
        }
        if let Some((text, _, _)) = &self.order {
            out.push_str(&format!(" ORDER BY {text}"));
        }
        if let Some(n) = self.limit {
            out.push_str(&format!(" LIMIT {n}"));
        }
        out
    }

    /// The ids of the chosen rows, in the order the statement visits them.
    fn ids(&self, model: &Model) -> Vec<i64> {
        let mut rows: Vec<(i64, &TRow)> = model
            .t
            .iter()
            .filter(|(id, r)| self.filter.as_ref().is_none_or(|f| (f.test)(**id, r)))
            .map(|(id, r)| (*id, r))
            .collect();
        if let Some((_, by_id, descending)) = &self.order {
            if !by_id {
                // NULL sorts first, as in MySQL; the id breaks ties.
                rows.sort_by_key(|(id, r)| (r.k, *id));
            }
            if *descending {
                rows.reverse();
            }
        }
        let mut ids: Vec<i64> = rows.into_iter().map(|(id, _)| id).collect();
        if let Some(n) = self.limit {
            ids.truncate(n);
        }
        ids
    }
}

/// One UPDATE assignment over `t`.
enum Assign {
    K(Option<i64>),
    KPlus,
    V(Option<String>),
    VConcat(String),
    U(Option<i64>),
    UPlus(i64),
    IdPlus(i64),
}

impl Assign {
    fn sql(&self) -> String {
        match self {
            Assign::K(k) => format!("k = {}", int(*k)),
            Assign::KPlus => "k = k + 1".to_string(),
            Assign::V(v) => format!("v = {}", text(v)),
            Assign::VConcat(s) => format!("v = CONCAT(v, '{s}')"),
            Assign::U(u) => format!("u = {}", int(*u)),
            Assign::UPlus(d) => format!("u = u + {d}"),
            Assign::IdPlus(d) => format!("id = id + {d}"),
        }
    }

    /// The column assigned. MySQL may refuse one column assigned twice, so that is avoided.
    fn column(&self) -> &'static str {
        match self {
            Assign::K(_) | Assign::KPlus => "k",
            Assign::V(_) | Assign::VConcat(_) => "v",
            Assign::U(_) | Assign::UPlus(_) => "u",
            Assign::IdPlus(_) => "id",
        }
    }

    fn changes_key(&self) -> bool {
        matches!(self, Assign::U(_) | Assign::UPlus(_) | Assign::IdPlus(_))
    }

    fn apply(&self, id: &mut i64, row: &mut TRow) {
        match self {
            Assign::K(k) => row.k = *k,
            Assign::KPlus => row.k = row.k.map(|k| k + 1),
            Assign::V(v) => row.v = v.clone(),
            Assign::VConcat(s) => row.v = concat(&row.v, s),
            Assign::U(u) => row.u = *u,
            Assign::UPlus(d) => row.u = row.u.map(|u| u + d),
            Assign::IdPlus(d) => *id += d,
        }
    }
}

/// Random statements and what the model says they do.
struct Generator {
    rng: Rng,
}

impl Generator {
    fn chance(&mut self, percent: u64) -> bool {
        self.rng.below(100) < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.below(items.len() as u64) as usize]
    }

    fn id(&mut self) -> i64 {
        self.rng.below(KEY_SPACE) as i64
    }

    fn u(&mut self) -> Option<i64> {
        if self.chance(30) {
            None
        } else {
            Some(self.rng.below(KEY_SPACE) as i64)
        }
    }

    fn k(&mut self) -> Option<i64> {
        if self.chance(15) {
            None
        } else {
            Some(self.rng.below(5) as i64)
        }
    }

    fn word(&mut self, max: usize) -> String {
        let len = 1 + self.rng.below(max as u64) as usize;
        (0..len).map(|_| self.pick(&['a', 'b', 'c', 'x', 'y', 'z'])).collect()
    }

    /// A string for a column of `max` characters: sometimes NULL, sometimes one too long.
    fn string(&mut self, max: usize, too_long_percent: u64) -> Option<String> {
        if self.chance(12) {
            None
        } else if self.chance(too_long_percent) {
            Some("q".repeat(max + 1))
        } else {
            Some(self.word(5))
        }
    }

    fn t_row(&mut self, too_long_percent: u64) -> (i64, TRow) {
        let id = self.id();
        let row = TRow { u: self.u(), k: self.k(), v: self.string(V_CHARS_MAX, too_long_percent) };
        (id, row)
    }

    fn t_values(rows: &[(i64, TRow)]) -> String {
        rows.iter()
            .map(|(id, r)| format!("({id}, {}, {}, {})", int(r.u), int(r.k), text(&r.v)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn filter(&mut self) -> Option<Filter> {
        Some(match self.rng.below(8) {
            0 => {
                let low = self.id() - 3;
                let high = low + self.rng.below(12) as i64;
                Filter {
                    sql: format!("id BETWEEN {low} AND {high}"),
                    test: Box::new(move |id, _| (low..=high).contains(&id)),
                }
            }
            1 | 2 => {
                let k = self.rng.below(5) as i64;
                Filter { sql: format!("k = {k}"), test: Box::new(move |_, r| r.k == Some(k)) }
            }
            3 => Filter { sql: "k IS NULL".to_string(), test: Box::new(|_, r| r.k.is_none()) },
            4 => {
                let u = self.rng.below(KEY_SPACE) as i64;
                Filter {
                    sql: format!("u >= {u}"),
                    test: Box::new(move |_, r| r.u.is_some_and(|x| x >= u)),
                }
            }
            5 => {
                let ids = [self.id(), self.id(), self.id()];
                Filter {
                    sql: format!("id IN ({}, {}, {})", ids[0], ids[1], ids[2]),
                    test: Box::new(move |id, _| ids.contains(&id)),
                }
            }
            6 => Filter {
                sql: "v LIKE 'a%'".to_string(),
                test: Box::new(|_, r| r.v.as_ref().is_some_and(|v| v.starts_with('a'))),
            },
            _ => {
                let id = self.id();
                Filter { sql: format!("id = {id}"), test: Box::new(move |x, _| x == id) }
            }
        })
        .filter(|_| !self.chance(5))
    }

    /// Rows for an UPDATE or DELETE. `ordered` forces a defined visiting order: MySQL checks
    /// keys row by row, so a key change's success depends on the order, and LIMIT needs one.
    fn selection(&mut self, ordered: bool) -> Selection {
        let filter = self.filter();
        let limit = if self.chance(30) { Some(1 + self.rng.below(3) as usize) } else { None };
        let order = if ordered || limit.is_some() || self.chance(30) {
            let descending = self.chance(50);
            let by_id = ordered || self.chance(60);
            let text = match (by_id, descending) {
                (true, false) => "id",
                (true, true) => "id DESC",
                (false, false) => "k, id",
                (false, true) => "k DESC, id DESC",
            };
            Some((text.to_string(), by_id, descending))
        } else {
            None
        };
        Selection { filter, order, limit }
    }

    fn assign(&mut self) -> Assign {
        match self.rng.below(10) {
            0 => Assign::K(self.k()),
            1 | 2 => Assign::KPlus,
            3 => Assign::V(self.string(V_CHARS_MAX, 10)),
            4 => Assign::VConcat(self.word(4)),
            5 => Assign::U(self.u()),
            6 | 7 => Assign::UPlus(self.pick(&[-2, -1, 1, 2])),
            _ => Assign::IdPlus(self.pick(&[-3, -1, 1, 2, 5])),
        }
    }

    /// A statement on `t`, applied to `m`.
    fn t_statement(&mut self, m: &mut Model) -> (String, Outcome) {
        match self.rng.below(20) {
            // INSERT, one or several rows; with all columns, or only some.
            0..=4 => {
                let count = 1 + self.rng.below(4) as usize;
                let mut rows: Vec<(i64, TRow)> = (0..count).map(|_| self.t_row(6)).collect();
                let sql = match self.rng.below(3) {
                    0 => format!("INSERT INTO t VALUES {}", Self::t_values(&rows)),
                    1 => {
                        for (_, r) in &mut rows {
                            r.u = None;
                            r.v = None;
                        }
                        let values: Vec<String> =
                            rows.iter().map(|(id, r)| format!("({}, {id})", int(r.k))).collect();
                        format!("INSERT INTO t (k, id) VALUES {}", values.join(", "))
                    }
                    _ => format!("INSERT INTO t (id, u, k, v) VALUES {}", Self::t_values(&rows)),
                };
                let outcome = rows.into_iter().try_for_each(|(id, r)| m.t_insert(id, r));
                (sql, outcome)
            }
            // INSERT IGNORE skips the rows whose keys are taken (values are always valid: MySQL
            // would also adjust bad values and insert them).
            5 | 6 => {
                let count = 1 + self.rng.below(4) as usize;
                let rows: Vec<(i64, TRow)> = (0..count).map(|_| self.t_row(0)).collect();
                let sql = format!("INSERT IGNORE INTO t VALUES {}", Self::t_values(&rows));
                for (id, r) in rows {
                    if !m.t.contains_key(&id) && m.holder(r.u).is_none() {
                        m.t.insert(id, r);
                    }
                }
                (sql, Ok(()))
            }
            // REPLACE deletes every row holding the new row's primary key or unique value.
            7 | 8 => {
                let count = 1 + self.rng.below(3) as usize;
                let rows: Vec<(i64, TRow)> = (0..count).map(|_| self.t_row(5)).collect();
                let sql = format!("REPLACE INTO t (id, u, k, v) VALUES {}", Self::t_values(&rows));
                let outcome = rows.into_iter().try_for_each(|(id, r)| {
                    if too_long(&r.v, V_CHARS_MAX) {
                        return Err(TOO_LONG);
                    }
                    m.t.remove(&id);
                    if let Some(holder) = m.holder(r.u) {
                        m.t.remove(&holder);
                    }
                    m.t.insert(id, r);
                    Ok(())
                });
                (sql, outcome)
            }
            // INSERT ... ON DUPLICATE KEY UPDATE: a row whose primary key or unique value is
            // taken updates the row holding it instead.
            9..=11 => {
                let count = 1 + self.rng.below(3) as usize;
                let rows: Vec<(i64, TRow)> = (0..count).map(|_| self.t_row(4)).collect();
                let clause = self.rng.below(4);
                let update = match clause {
                    0 => "k = k + 1",
                    1 => "v = VALUES(v)",
                    2 => "k = VALUES(k), v = CONCAT(v, '+')",
                    _ => "u = VALUES(u)",
                };
                let sql = format!(
                    "INSERT INTO t (id, u, k, v) VALUES {} ON DUPLICATE KEY UPDATE {update}",
                    Self::t_values(&rows)
                );
                let outcome = rows.into_iter().try_for_each(|(id, r)| {
                    if too_long(&r.v, V_CHARS_MAX) {
                        return Err(TOO_LONG);
                    }
                    let target = if m.t.contains_key(&id) { Some(id) } else { m.holder(r.u) };
                    let Some(target) = target else {
                        m.t.insert(id, r);
                        return Ok(());
                    };
                    let mut new = m.t[&target].clone();
                    match clause {
                        0 => new.k = new.k.map(|k| k + 1),
                        1 => new.v = r.v.clone(),
                        2 => {
                            new.k = r.k;
                            new.v = concat(&new.v, "+");
                        }
                        _ => new.u = r.u,
                    }
                    m.t_update(target, target, new)
                });
                (sql, outcome)
            }
            // UPDATE.
            12..=15 => {
                let mut assigns = vec![self.assign()];
                if self.chance(30) {
                    let second = self.assign();
                    if second.column() != assigns[0].column() {
                        assigns.push(second);
                    }
                }
                let keyed = assigns.iter().any(Assign::changes_key);
                let selection = self.selection(keyed);
                let set: Vec<String> = assigns.iter().map(Assign::sql).collect();
                let sql = format!("UPDATE t SET {}{}", set.join(", "), selection.sql());
                let outcome = selection.ids(m).into_iter().try_for_each(|id| {
                    let (mut id2, mut new) = (id, m.t[&id].clone());
                    for assign in &assigns {
                        assign.apply(&mut id2, &mut new);
                    }
                    m.t_update(id, id2, new)
                });
                (sql, outcome)
            }
            // DELETE.
            16..=18 => {
                let selection = self.selection(false);
                let sql = format!("DELETE FROM t{}", selection.sql());
                for id in selection.ids(m) {
                    m.t.remove(&id);
                }
                (sql, Ok(()))
            }
            _ => {
                // A statement that must fail without a trace: a good row, then a bad one.
                let (id, row) = self.t_row(0);
                let taken = m.t.keys().next().copied().unwrap_or(id);
                let sql = format!(
                    "INSERT INTO t VALUES {}, ({taken}, NULL, 0, 'dup')",
                    Self::t_values(&[(id, row.clone())])
                );
                let outcome = m.t_insert(id, row).and_then(|()| {
                    m.t_insert(taken, TRow { u: None, k: Some(0), v: Some("dup".into()) })
                });
                (sql, outcome)
            }
        }
    }

    fn p_row(&mut self) -> ((Option<i64>, i64), Option<i64>, Option<String>) {
        let a = if self.chance(3) { None } else { Some(self.rng.below(5) as i64) };
        let b = self.rng.below(5) as i64;
        let n = if self.chance(5) { None } else { Some(self.rng.below(4) as i64) };
        ((a, b), n, self.string(S_CHARS_MAX, 5))
    }

    /// Checks a row of `p` in column order, as the engines coerce it.
    fn p_check(
        a: Option<i64>,
        n: Option<i64>,
        s: &Option<String>,
    ) -> Result<(i64, i64), &'static str> {
        let a = a.ok_or(NOT_NULL)?;
        let n = n.ok_or(NOT_NULL)?;
        if too_long(s, S_CHARS_MAX) {
            return Err(TOO_LONG);
        }
        Ok((a, n))
    }

    /// A statement on `p`, applied to `m`.
    fn p_statement(&mut self, m: &mut Model) -> (String, Outcome) {
        match self.rng.below(10) {
            0..=4 => {
                let count = 1 + self.rng.below(3) as usize;
                let rows: Vec<_> = (0..count).map(|_| self.p_row()).collect();
                let values: Vec<String> = rows
                    .iter()
                    .map(|((a, b), n, s)| format!("({}, {b}, {}, {})", int(*a), int(*n), text(s)))
                    .collect();
                let kind = self.rng.below(3);
                let sql = match kind {
                    0 => format!("INSERT INTO p VALUES {}", values.join(", ")),
                    1 => format!("REPLACE INTO p VALUES {}", values.join(", ")),
                    _ => format!(
                        "INSERT INTO p VALUES {} ON DUPLICATE KEY UPDATE n = n + VALUES(n), s = VALUES(s)",
                        values.join(", ")
                    ),
                };
                let outcome = rows.into_iter().try_for_each(|((a, b), n, s)| {
                    let (a, n) = Self::p_check(a, n, &s)?;
                    match (kind, m.p.get_mut(&(a, b))) {
                        (0, Some(_)) => return Err(DUPLICATE),
                        (2, Some(old)) => {
                            old.n += n;
                            old.s = s;
                            return Ok(());
                        }
                        _ => {}
                    }
                    m.p.insert((a, b), PRow { n, s });
                    Ok(())
                });
                (sql, outcome)
            }
            5..=7 => {
                let c = self.rng.below(5) as i64;
                let descending = self.chance(50);
                let order = if descending { "a DESC, b DESC" } else { "a, b" };
                type Test = Box<dyn Fn(&(i64, i64), &PRow) -> bool>;
                type Change = Box<dyn Fn(&mut (i64, i64), &mut PRow)>;
                let (sql, test, change): (String, Test, Change) = match self.rng.below(4) {
                    // Key changes visit rows in a stated order: keys are checked row by row.
                    0 => {
                        let d = self.pick(&[-1, 1, 2]);
                        (
                            format!("UPDATE p SET b = b + {d} WHERE a = {c} ORDER BY {order}"),
                            Box::new(move |key, _| key.0 == c),
                            Box::new(move |key, _| key.1 += d),
                        )
                    }
                    1 => (
                        format!("UPDATE p SET a = a + 1 WHERE b = {c} ORDER BY {order}"),
                        Box::new(move |key, _| key.1 == c),
                        Box::new(|key, _| key.0 += 1),
                    ),
                    2 => (
                        format!("UPDATE p SET n = n + 1 WHERE a >= {c}"),
                        Box::new(move |key, _| key.0 >= c),
                        Box::new(|_, r| r.n += 1),
                    ),
                    _ => {
                        let s = self.string(S_CHARS_MAX, 10);
                        let n = c % 4;
                        (
                            format!("UPDATE p SET s = {} WHERE n = {n}", text(&s)),
                            Box::new(move |_, r| r.n == n),
                            Box::new(move |_, r| r.s = s.clone()),
                        )
                    }
                };
                let mut keys: Vec<(i64, i64)> =
                    m.p.iter().filter(|(key, r)| test(key, r)).map(|(key, _)| *key).collect();
                if descending && sql.contains("ORDER BY") {
                    keys.reverse();
                }
                let outcome = keys.into_iter().try_for_each(|key| {
                    let (mut key2, mut new) = (key, m.p[&key].clone());
                    change(&mut key2, &mut new);
                    if too_long(&new.s, S_CHARS_MAX) {
                        return Err(TOO_LONG);
                    }
                    if key2 != key && m.p.contains_key(&key2) {
                        return Err(DUPLICATE);
                    }
                    m.p.remove(&key);
                    m.p.insert(key2, new);
                    Ok(())
                });
                (sql, outcome)
            }
            _ => {
                let a = self.rng.below(5) as i64;
                let b = self.rng.below(5) as i64;
                if self.chance(50) {
                    m.p.retain(|(ka, kb), _| !(*ka == a && *kb >= b));
                    (format!("DELETE FROM p WHERE a = {a} AND b >= {b}"), Ok(()))
                } else {
                    let n = a % 4;
                    let first = m.p.iter().find(|(_, r)| r.n == n).map(|(key, _)| *key);
                    if let Some(key) = first {
                        m.p.remove(&key);
                    }
                    (format!("DELETE FROM p WHERE n = {n} ORDER BY a, b LIMIT 1"), Ok(()))
                }
            }
        }
    }

    /// A statement on `bag`, applied to `m`. Rows that tie in the ORDER BY are equal rows, so
    /// which of them LIMIT takes does not show.
    fn bag_statement(&mut self, m: &mut Model) -> (String, Outcome) {
        let x = self.rng.below(3) as i64;
        let limit = if self.chance(50) { Some(1 + self.rng.below(3) as usize) } else { None };
        let limit_sql = limit.map_or(String::new(), |n| format!(" LIMIT {n}"));
        let descending = self.chance(50);
        let order = if descending { "y DESC" } else { "y" };
        let mut chosen: Vec<(i64, i64)> = m
            .bag
            .iter()
            .filter(|((bx, _), _)| *bx == x)
            .flat_map(|(key, count)| std::iter::repeat_n(*key, *count))
            .collect();
        if descending {
            chosen.reverse();
        }
        chosen.truncate(limit.unwrap_or(usize::MAX));
        let take = |m: &mut Model, key: (i64, i64)| {
            let count = m.bag.get_mut(&key).expect("chosen from the bag");
            *count -= 1;
            if *count == 0 {
                m.bag.remove(&key);
            }
        };
        match self.rng.below(3) {
            0 => {
                let count = 1 + self.rng.below(3) as usize;
                let rows: Vec<(i64, i64)> = (0..count)
                    .map(|_| (self.rng.below(3) as i64, self.rng.below(4) as i64))
                    .collect();
                let values: Vec<String> = rows.iter().map(|(x, y)| format!("({x}, {y})")).collect();
                for row in rows {
                    *m.bag.entry(row).or_default() += 1;
                }
                (format!("INSERT INTO bag VALUES {}", values.join(", ")), Ok(()))
            }
            1 => {
                for key in chosen {
                    take(m, key);
                }
                (format!("DELETE FROM bag WHERE x = {x} ORDER BY {order}{limit_sql}"), Ok(()))
            }
            _ => {
                for key in chosen {
                    take(m, key);
                    *m.bag.entry((key.0, key.1 + 1)).or_default() += 1;
                }
                (
                    format!("UPDATE bag SET y = y + 1 WHERE x = {x} ORDER BY {order}{limit_sql}"),
                    Ok(()),
                )
            }
        }
    }
}

fn render(row: &[Datum]) -> String {
    row.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(" | ")
}

/// The rows of the last result of `sql`, or the error's code and message.
fn query(
    session: &mut Session,
    store: &mut MemoryStore,
    sql: &str,
    params: &[Datum],
) -> Result<Vec<String>, String> {
    match session.execute_with(store, sql, params) {
        Ok(results) => Ok(results
            .last()
            .map(|r| r.rows.iter().map(|row| render(row)).collect())
            .unwrap_or_default()),
        Err(e) => Err(format!("{}: {}", e.code(), e.message)),
    }
}

/// Compares a query against the rows the model gives for it.
fn compare(
    session: &mut Session,
    store: &mut MemoryStore,
    sql: &str,
    params: &[Datum],
    expected: Vec<String>,
) -> Result<(), String> {
    let got = query(session, store, sql, params)?;
    if got == expected {
        return Ok(());
    }
    Err(format!("{sql} {params:?}\n    expected {expected:?}\n    got      {got:?}"))
}

fn compare_tables(session: &mut Session, store: &mut MemoryStore, m: &Model) -> Result<(), String> {
    compare(session, store, "SELECT * FROM t ORDER BY id", &[], m.t_rows())?;
    compare(session, store, "SELECT a, b, n, s FROM p ORDER BY a, b", &[], m.p_rows())?;
    compare(session, store, "SELECT x, y FROM bag ORDER BY x, y", &[], m.bag_rows())
}

/// Queries the secondary indexes, the unique index, key ranges and key prefixes can answer.
fn probe(
    g: &mut Generator,
    session: &mut Session,
    store: &mut MemoryStore,
    m: &Model,
) -> Result<(), String> {
    let k = g.rng.below(5) as i64;
    let expected: Vec<String> =
        m.t.iter().filter(|(_, r)| r.k == Some(k)).map(|(id, _)| id.to_string()).collect();
    compare(
        session,
        store,
        "SELECT id FROM t WHERE k = ? ORDER BY id",
        &[Datum::Int(k)],
        expected,
    )?;

    let u = g.rng.below(KEY_SPACE) as i64;
    let expected: Vec<String> =
        m.t.iter()
            .filter(|(_, r)| r.u == Some(u))
            .map(|(id, r)| format!("{id} | {}", int(r.k)))
            .collect();
    compare(session, store, "SELECT id, k FROM t WHERE u = ?", &[Datum::Int(u)], expected)?;

    let low = g.rng.below(KEY_SPACE) as i64 - 2;
    let high = low + g.rng.below(10) as i64;
    let expected: Vec<String> =
        m.t.range(low..high).rev().map(|(id, r)| format!("{id} | {}", int(r.u))).collect();
    compare(
        session,
        store,
        "SELECT id, u FROM t WHERE id >= ? AND id < ? ORDER BY id DESC",
        &[Datum::Int(low), Datum::Int(high)],
        expected,
    )?;

    let mut above: Vec<(i64, i64)> =
        m.t.iter().filter_map(|(id, r)| r.u.filter(|x| *x > u).map(|x| (x, *id))).collect();
    above.sort();
    let expected: Vec<String> = above.iter().take(3).map(|(_, id)| id.to_string()).collect();
    compare(
        session,
        store,
        "SELECT id FROM t WHERE u > ? ORDER BY u LIMIT 3",
        &[Datum::Int(u)],
        expected,
    )?;

    let expected: Vec<String> =
        m.t.iter().filter(|(_, r)| r.k.is_none()).map(|(id, _)| id.to_string()).collect();
    compare(session, store, "SELECT id FROM t WHERE k IS NULL ORDER BY id", &[], expected)?;

    let mut groups: BTreeMap<Option<i64>, usize> = BTreeMap::new();
    for r in m.t.values() {
        *groups.entry(r.k).or_default() += 1;
    }
    let expected: Vec<String> = groups.iter().map(|(k, n)| format!("{} | {n}", int(*k))).collect();
    compare(session, store, "SELECT k, COUNT(*) FROM t GROUP BY k ORDER BY k", &[], expected)?;

    let a = g.rng.below(5) as i64;
    let expected: Vec<String> =
        m.p.range((a, i64::MIN)..=(a, i64::MAX)).map(|((_, b), _)| b.to_string()).collect();
    compare(session, store, "SELECT b FROM p WHERE a = ? ORDER BY b", &[Datum::Int(a)], expected)?;

    let b = g.rng.below(5) as i64;
    let expected: Vec<String> =
        m.p.range((a, b)..=(a, i64::MAX))
            .map(|((a, b), r)| format!("{a} | {b} | {}", r.n))
            .collect();
    compare(
        session,
        store,
        "SELECT a, b, n FROM p WHERE a = ? AND b >= ? ORDER BY a, b",
        &[Datum::Int(a), Datum::Int(b)],
        expected,
    )?;

    let n = g.rng.below(4) as i64;
    let expected: Vec<String> =
        m.p.iter().filter(|(_, r)| r.n == n).map(|((a, b), _)| format!("{a} | {b}")).collect();
    compare(
        session,
        store,
        "SELECT a, b FROM p WHERE n = ? ORDER BY a, b",
        &[Datum::Int(n)],
        expected,
    )
}

/// Runs one seed; the first disagreement, described.
/// Which tables a run's statements change.
#[derive(Clone, Copy, PartialEq)]
enum Tables {
    /// `t`: primary key, unique index, secondary index.
    Unique,
    /// `p` (composite primary key, secondary index) and `bag` (no key).
    CompositeAndKeyless,
}

/// Runs one seed; the first disagreement, described.
fn run(seed: u64, tables: Tables) -> Result<(), String> {
    let mut store = MemoryStore::new();
    let mut session = Session::open(&mut store, "cambium").map_err(|e| e.to_string())?;
    session.set_time(1_700_000_000_000);
    session.execute(&mut store, SCHEMA).map_err(|e| e.to_string())?;
    let mut g = Generator { rng: Rng::new(seed) };
    let mut model = Model::default();
    // The committed state while a transaction (explicit, or implicit with autocommit off) is
    // open.
    let mut committed: Option<Model> = None;
    let mut autocommit = true;
    let mut history: Vec<String> = Vec::new();
    let fail = |history: &[String], step: usize, what: String| {
        let start = history.len().saturating_sub(HISTORY_SHOWN + 1);
        let before = history[start..history.len().saturating_sub(1)].join(";\n    ");
        let sql = history.last().cloned().unwrap_or_default();
        format!("seed {seed}, step {step}: {sql}\n  {what}\n  statements before it:\n    {before}")
    };
    for step in 0..STEPS {
        let roll = g.rng.below(100);
        let (sql, outcome, next) = if roll < 4 {
            let sql = if committed.is_some() { "COMMIT" } else { "BEGIN" };
            committed = if committed.is_some() { None } else { Some(model.clone()) };
            (sql.to_string(), Ok(()), model.clone())
        } else if roll < 7 {
            // Without a transaction, ROLLBACK does nothing.
            let before = committed.take().unwrap_or_else(|| model.clone());
            ("ROLLBACK".to_string(), Ok(()), before)
        } else if roll < 8 {
            // BEGIN inside a transaction commits it first.
            committed = Some(model.clone());
            ("START TRANSACTION".to_string(), Ok(()), model.clone())
        } else if roll < 9 {
            // TRUNCATE is DDL: it commits the open transaction and then itself.
            committed = None;
            let mut next = model.clone();
            let sql = if tables == Tables::Unique {
                next.t.clear();
                "TRUNCATE t"
            } else {
                next.bag.clear();
                "TRUNCATE bag"
            };
            (sql.to_string(), Ok(()), next)
        } else if roll < 11 {
            // Turning autocommit on (from off) commits the open transaction, explicit or not;
            // setting it to the value it has changes nothing.
            let on = g.chance(50);
            if on && !autocommit {
                committed = None;
            }
            autocommit = on;
            (format!("SET autocommit = {}", i32::from(on)), Ok(()), model.clone())
        } else {
            // With autocommit off, a statement outside a transaction starts one.
            if !autocommit && committed.is_none() {
                committed = Some(model.clone());
            }
            let mut next = model.clone();
            let (sql, outcome) = match (tables, roll) {
                (Tables::Unique, _) => g.t_statement(&mut next),
                (Tables::CompositeAndKeyless, 11..=69) => g.p_statement(&mut next),
                (Tables::CompositeAndKeyless, _) => g.bag_statement(&mut next),
            };
            (sql, outcome, next)
        };
        history.push(sql.clone());
        let got = session.execute(&mut store, &sql);
        match (&outcome, &got) {
            (Ok(()), Ok(_)) => model = next,
            (Err(code), Err(e)) if e.code() == *code => {}
            _ => {
                let got = match got {
                    Ok(_) => "success".to_string(),
                    Err(e) => format!("{}: {}", e.code(), e.message),
                };
                let wanted = match outcome {
                    Ok(()) => "success".to_string(),
                    Err(code) => format!("error {code}"),
                };
                return Err(fail(&history, step, format!("expected {wanted}, got {got}")));
            }
        }
        let checked = if step % PROBE_EVERY == 0 {
            compare_tables(&mut session, &mut store, &model)
                .and_then(|()| probe(&mut g, &mut session, &mut store, &model))
        } else {
            compare(&mut session, &mut store, "SELECT * FROM t ORDER BY id", &[], model.t_rows())
        };
        checked.map_err(|what| fail(&history, step, what))?;
    }
    // Another connection sees only what was committed.
    let mut other = store.handle();
    let mut fresh = Session::open(&mut other, "cambium").map_err(|e| e.to_string())?;
    let visible = committed.clone().unwrap_or_else(|| model.clone());
    history.push("-- a fresh session on another handle".to_string());
    compare_tables(&mut fresh, &mut other, &visible).map_err(|what| fail(&history, STEPS, what))?;
    if committed.is_some() {
        history.push("COMMIT".to_string());
        session.execute(&mut store, "COMMIT").map_err(|e| fail(&history, STEPS, e.to_string()))?;
        compare_tables(&mut fresh, &mut other, &model)
            .map_err(|what| fail(&history, STEPS, what))?;
    }
    let mut last = store.handle();
    let mut reopened = Session::open(&mut last, "cambium").map_err(|e| e.to_string())?;
    history.push("-- a session opened after the last commit".to_string());
    compare_tables(&mut reopened, &mut last, &model).map_err(|what| fail(&history, STEPS, what))
}

fn check_seeds(tables: Tables) {
    let failures: Vec<String> = SEEDS.iter().filter_map(|&seed| run(seed, tables).err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} seeds disagree with the model:\n\n{}",
        failures.len(),
        SEEDS.len(),
        failures.join("\n\n")
    );
}

/// INSERT / IGNORE / REPLACE / ON DUPLICATE KEY UPDATE, UPDATE and DELETE on a table whose rows
/// collide on the primary key and on a unique index.
#[test]
fn random_dml_on_a_table_with_a_unique_index_matches_the_model() {
    check_seeds(Tables::Unique);
}

/// The same kinds of statements on a composite primary key and on a table without a key.
#[test]
fn random_dml_on_composite_and_keyless_tables_matches_the_model() {
    check_seeds(Tables::CompositeAndKeyless);
}
