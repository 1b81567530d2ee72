//! Statements read once and run many times: the parse cache keeps queries and row changes
//! translated with their `?` as parameters, and other statements parsed, translated with each
//! run's values. A cached script must run exactly as a fresh one would.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use cambium::chunk::MemoryStore;
use cambium::sql::ast::{Expr, SetExpr, Statement};
use cambium::sql::parse::ParseCache;
use cambium::sql::{Datum, ErrorKind, QueryResult, Session};

fn session() -> (MemoryStore, Session) {
    let mut store = MemoryStore::new();
    let session = Session::open(&mut store, "db").expect("open");
    (store, session)
}

fn run(store: &mut MemoryStore, session: &mut Session, sql: &str, params: &[Datum]) -> QueryResult {
    let mut results = session.execute_with(store, sql, params).expect(sql);
    results.pop().expect("one result")
}

#[test]
fn one_text_runs_with_each_call_s_values() {
    let (mut store, mut session) = session();
    run(&mut store, &mut session, "CREATE TABLE t(id INT PRIMARY KEY, v VARCHAR(10))", &[]);
    let insert = "INSERT INTO t VALUES (?, ?), (?, ?)";
    for n in 0..50i64 {
        let params = [
            Datum::Int(2 * n),
            Datum::Text(format!("a{n}")),
            Datum::Int(2 * n + 1),
            Datum::Text(format!("b{n}")),
        ];
        assert_eq!(run(&mut store, &mut session, insert, &params).rows_affected, 2);
    }
    let select = "SELECT v FROM t WHERE id = ? OR id = ? ORDER BY id";
    for n in [0i64, 17, 49] {
        let rows =
            run(&mut store, &mut session, select, &[Datum::Int(2 * n), Datum::Int(2 * n + 1)]).rows;
        assert_eq!(
            rows,
            vec![vec![Datum::Text(format!("a{n}"))], vec![Datum::Text(format!("b{n}"))]]
        );
    }
    let update = "UPDATE t SET v = ? WHERE id < ?";
    assert_eq!(
        run(&mut store, &mut session, update, &[Datum::Text("x".into()), Datum::Int(10)])
            .rows_affected,
        10
    );
    assert_eq!(
        run(&mut store, &mut session, update, &[Datum::Text("y".into()), Datum::Int(4)])
            .rows_affected,
        4
    );
    let count = "SELECT COUNT(*) FROM t WHERE v = ?";
    let counted = |store: &mut MemoryStore, session: &mut Session, v: &str| {
        run(store, session, count, &[Datum::Text(v.into())]).rows[0][0].clone()
    };
    assert_eq!(counted(&mut store, &mut session, "x"), Datum::Int(6));
    assert_eq!(counted(&mut store, &mut session, "y"), Datum::Int(4));
    let delete = "DELETE FROM t WHERE id >= ?";
    assert_eq!(run(&mut store, &mut session, delete, &[Datum::Int(90)]).rows_affected, 10);
    assert_eq!(
        run(&mut store, &mut session, "SELECT COUNT(*) FROM t", &[]).rows[0][0],
        Datum::Int(90)
    );
}

#[test]
fn queries_and_row_changes_are_kept_translated_with_parameters() {
    let mut cache = ParseCache::default();
    let bound = cache
        .parse(
            "SELECT ?; INSERT INTO t VALUES (?, ?)",
            &[Datum::Int(1), Datum::Int(2), Datum::Int(3)],
        )
        .unwrap();
    assert_eq!(bound.len(), 2);
    assert_eq!((bound[0].params.clone(), bound[1].params.clone()), (0..1, 1..3));
    let Statement::Insert { source, .. } = &*bound[1].statement else { panic!("an insert") };
    let SetExpr::Values(rows) = &source.body else { panic!("values") };
    assert_eq!(rows[0], vec![Expr::Param(0), Expr::Param(1)], "numbered within the statement");
    // The second run shares the first run's translation.
    let again = cache
        .parse(
            "SELECT ?; INSERT INTO t VALUES (?, ?)",
            &[Datum::Int(4), Datum::Int(5), Datum::Int(6)],
        )
        .unwrap();
    assert!(std::sync::Arc::ptr_eq(&bound[1].statement, &again[1].statement));
    assert_eq!(cache.len(), 1);
}

#[test]
fn other_statements_are_translated_with_each_run_s_values() {
    let (mut store, mut session) = session();
    for n in 1..=3i64 {
        run(&mut store, &mut session, "SET @x = ?", &[Datum::Int(n)]);
        assert_eq!(run(&mut store, &mut session, "SELECT @x", &[]).rows, vec![vec![Datum::Int(n)]]);
    }
    run(&mut store, &mut session, "CREATE TABLE t(id INT PRIMARY KEY)", &[]);
    for n in 0..3i64 {
        run(&mut store, &mut session, "INSERT INTO t VALUES (?)", &[Datum::Int(n)]);
        let message = format!("commit {n}");
        run(&mut store, &mut session, "CALL dolt_commit('-A', '-m', ?)", &[Datum::Text(message)]);
    }
    let log = run(&mut store, &mut session, "SELECT message FROM dolt_log LIMIT 3", &[]).rows;
    let messages: Vec<Datum> = log.into_iter().map(|mut row| row.remove(0)).collect();
    let want = ["commit 2", "commit 1", "commit 0"].map(|m| Datum::Text(m.into()));
    assert_eq!(messages, want);
}

#[test]
fn show_create_table_as_of_a_parameter_reads_each_run_s_revision() {
    let (mut store, mut session) = session();
    run(&mut store, &mut session, "CREATE TABLE t(id INT PRIMARY KEY)", &[]);
    run(&mut store, &mut session, "CALL dolt_commit('-Am', 'one column')", &[]);
    run(&mut store, &mut session, "ALTER TABLE t ADD COLUMN v INT", &[]);
    run(&mut store, &mut session, "CALL dolt_commit('-am', 'two columns')", &[]);
    let mut hash_of = |revision: &str| {
        let hashed = "SELECT dolt_hashof(?)";
        let rows = run(&mut store, &mut session, hashed, &[Datum::Text(revision.into())]).rows;
        rows[0][0].to_string()
    };
    let (first, second) = (hash_of("HEAD~1"), hash_of("HEAD"));
    let show = "SHOW CREATE TABLE t AS OF ?";
    for (revision, has_v) in [(&first, false), (&second, true), (&first, false)] {
        let rows = run(&mut store, &mut session, show, &[Datum::Text(revision.clone())]).rows;
        let text = rows[0][1].to_string();
        assert_eq!(text.contains("`v` int"), has_v, "AS OF {revision}: {text}");
    }
    // The same commit named by its hash in the database qualifier.
    let qualified = format!("SHOW CREATE TABLE `db/{first}`.t");
    let text = run(&mut store, &mut session, &qualified, &[]).rows[0][1].to_string();
    assert!(text.starts_with("CREATE TABLE `t` (") && !text.contains("`v`"), "{text}");
}

#[test]
fn a_wrong_number_of_values_is_refused_on_every_run() {
    let (mut store, mut session) = session();
    run(&mut store, &mut session, "CREATE TABLE t(id INT PRIMARY KEY)", &[]);
    for params in [&[][..], &[Datum::Int(1), Datum::Int(2)][..]] {
        let error =
            session.execute_with(&mut store, "INSERT INTO t VALUES (?)", params).unwrap_err();
        assert_eq!(error.kind, ErrorKind::Parameters, "{error}");
    }
    run(&mut store, &mut session, "INSERT INTO t VALUES (?)", &[Datum::Int(7)]);
    assert_eq!(
        run(&mut store, &mut session, "SELECT id FROM t", &[]).rows,
        vec![vec![Datum::Int(7)]]
    );
    let error =
        session.execute_with(&mut store, "SET @a = ?, @b = ?", &[Datum::Int(1)]).unwrap_err();
    assert_eq!(error.kind, ErrorKind::Parameters, "{error}");
}

#[test]
fn a_parameter_is_a_value_not_a_column_position() {
    let (mut store, mut session) = session();
    run(&mut store, &mut session, "CREATE TABLE t(a INT PRIMARY KEY, b INT)", &[]);
    run(&mut store, &mut session, "INSERT INTO t VALUES (1, 3), (2, 2), (3, 1)", &[]);
    // ORDER BY 2 sorts by the second column; ORDER BY ? sorts by a constant, as in MySQL.
    let firsts =
        |rows: Vec<Vec<Datum>>| -> Vec<Datum> { rows.into_iter().map(|r| r[0].clone()).collect() };
    let by_position = run(&mut store, &mut session, "SELECT a, b FROM t ORDER BY 2", &[]).rows;
    assert_eq!(firsts(by_position), [3, 2, 1].map(Datum::Int));
    let by_value =
        run(&mut store, &mut session, "SELECT a, b FROM t ORDER BY ?", &[Datum::Int(2)]).rows;
    assert_eq!(firsts(by_value), [1, 2, 3].map(Datum::Int));
}

#[test]
fn syntax_errors_are_not_kept_and_the_cache_stays_bounded() {
    let mut cache = ParseCache::default();
    for _ in 0..2 {
        let error = cache.parse("SELEC 1", &[]).unwrap_err();
        assert_eq!(error.kind, ErrorKind::Syntax);
    }
    assert!(cache.is_empty());
    for n in 0..ParseCache::SCRIPTS_MAX + 10 {
        cache.parse(&format!("SELECT {n}"), &[]).unwrap();
    }
    assert_eq!(cache.len(), ParseCache::SCRIPTS_MAX);
    // Large texts fill the byte budget before the count.
    let wide = |n: usize| format!("SELECT {n}{}", " ".repeat(ParseCache::SCRIPT_BYTES_MAX - 20));
    for n in 0..8 {
        cache.parse(&wide(n), &[]).unwrap();
    }
    assert!(cache.len() <= ParseCache::TEXT_BYTES_MAX / (ParseCache::SCRIPT_BYTES_MAX - 20));
    // A text over the per-script bound runs but is not kept.
    let before = cache.len();
    let huge = format!("SELECT 1{}", " ".repeat(ParseCache::SCRIPT_BYTES_MAX));
    assert_eq!(cache.parse(&huge, &[]).unwrap().len(), 1);
    assert_eq!(cache.len(), before);
}
