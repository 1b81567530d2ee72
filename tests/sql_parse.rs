//! The SQL parser, data-driven: `tests/sql_parse/*.test` hold records separated by blank
//! lines (lines starting with `#` are comments), each a header line and SQL:
//!
//! ```text
//! ok                      -- the script parses
//! error CODE [TEXT]       -- it fails with this error code, the message containing TEXT
//! same                    -- the scripts above and below `----` parse to the same tree
//!                         --   (headings aside, which keep how each was written)
//! heading                 -- the unaliased select items' headings are the lines below `----`
//! round trip              -- each line is an expression: `SELECT e` gives a heading that
//!                         --   reads back as the same expression with the same heading
//! ```
//!
//! Limits and parameters, which need long or generated texts, are tested below the runner.

use cambium::sql::ast::{SelectItem, SetExpr, Statement};
use cambium::sql::parse::{
    parse_expression, parse_script, ParseCache, EXPRESSION_DEPTH_MAX, SCRIPT_BYTES_MAX,
};
use cambium::sql::{Datum, ErrorKind};

struct Record {
    line: usize,
    header: String,
    body: String,
    expected: Option<String>,
}

fn records(text: &str) -> Vec<Record> {
    let mut records = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut at = 0;
    while at < lines.len() {
        if lines[at].trim().is_empty() || lines[at].starts_with('#') {
            at += 1;
            continue;
        }
        let line = at + 1;
        let header = lines[at].trim().to_string();
        at += 1;
        let mut body = Vec::new();
        while at < lines.len() && !lines[at].trim().is_empty() && lines[at].trim() != "----" {
            body.push(lines[at]);
            at += 1;
        }
        let mut expected = None;
        if at < lines.len() && lines[at].trim() == "----" {
            at += 1;
            let mut rest = Vec::new();
            while at < lines.len() && !lines[at].trim().is_empty() {
                rest.push(lines[at]);
                at += 1;
            }
            expected = Some(rest.join("\n"));
        }
        records.push(Record { line, header, body: body.join("\n"), expected });
    }
    records
}

/// The headings of a one-query script's unaliased select items.
fn headings(sql: &str) -> Vec<String> {
    let statements = parse_script(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let [Statement::Query(query)] = statements.as_slice() else { panic!("{sql}: not one query") };
    let SetExpr::Select(select) = &query.body else { panic!("{sql}: not a SELECT") };
    select
        .items
        .iter()
        .filter_map(|item| match item {
            SelectItem::Expr { alias: None, text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// The tree's debug text without the select items' headings.
fn without_headings(statements: &[Statement]) -> String {
    let debug = format!("{statements:?}");
    let mut out = String::new();
    let mut rest = debug.as_str();
    while let Some(at) = rest.find(", text: \"") {
        out.push_str(&rest[..at]);
        let mut chars = rest[at + 9..].char_indices();
        let mut end = rest.len() - at - 9;
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => {
                    end = i + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &rest[at + 9 + end..];
    }
    out.push_str(rest);
    out
}

fn run(record: &Record) {
    let context = format!("line {}: {}", record.line, record.body);
    let header: Vec<&str> = record.header.splitn(3, ' ').collect();
    match header.as_slice() {
        ["ok"] => {
            if let Err(e) = parse_script(&record.body, &[]) {
                panic!("{context}: {e}");
            }
        }
        ["error", code, text @ ..] => {
            let error = match parse_script(&record.body, &[]) {
                Ok(statements) => panic!("{context}: parsed as {statements:?}"),
                Err(error) => error,
            };
            assert_eq!(error.code(), *code, "{context}: {}", error.message);
            if let Some(text) = text.first() {
                assert!(error.message.contains(text), "{context}: message {:?}", error.message);
            }
        }
        ["same"] => {
            let other = record.expected.as_deref().expect("a second script after ----");
            let one = parse_script(&record.body, &[]).unwrap_or_else(|e| panic!("{context}: {e}"));
            let two = parse_script(other, &[]).unwrap_or_else(|e| panic!("{context}: {e}"));
            assert_eq!(without_headings(&one), without_headings(&two), "{context}");
        }
        ["heading"] => {
            let expected: Vec<&str> =
                record.expected.as_deref().expect("headings after ----").lines().collect();
            assert_eq!(headings(&record.body), expected, "{context}");
        }
        ["round", "trip"] => {
            for expression in record.body.lines() {
                let sql = format!("SELECT {expression}");
                let first = parse_script(&sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e}"));
                let [printed] = headings(&sql).try_into().expect("one heading");
                let again = format!("SELECT {printed}");
                let second = parse_script(&again, &[]).unwrap_or_else(|e| panic!("{again}: {e}"));
                assert_eq!(
                    format!("{first:?}"),
                    format!("{second:?}"),
                    "{sql} printed as {printed}"
                );
            }
        }
        _ => panic!("line {}: unknown record header {:?}", record.line, record.header),
    }
}

#[test]
fn fixtures() {
    let directory = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sql_parse");
    let mut files: Vec<_> = std::fs::read_dir(directory)
        .expect("the fixture directory")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "test"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for file in files {
        let text = std::fs::read_to_string(&file).expect("a fixture");
        for record in records(&text) {
            run(&record);
        }
    }
}

#[test]
fn deep_nesting_is_refused_cleanly() {
    let depth = 100_000;
    for sql in [
        format!("SELECT {}1{}", "(".repeat(depth), ")".repeat(depth)),
        format!("SELECT {}1", "NOT ".repeat(depth)),
        format!("SELECT {}1", "- ".repeat(depth)),
        format!("SELECT {}1", "-".repeat(depth)),
        format!("SELECT {}1", "~".repeat(depth)),
        format!("SELECT * FROM t WHERE a IN {}SELECT 1{}", "(".repeat(depth), ")".repeat(depth)),
        format!("SELECT {}", "(SELECT ".repeat(depth)),
        format!("SELECT * FROM {}t{}", "(".repeat(depth), ")".repeat(depth)),
    ] {
        let error = parse_script(&sql, &[]).expect_err("too deep");
        assert_eq!(error.kind, ErrorKind::LimitExceeded, "{}", error.message);
    }
    let deep = |n: usize| format!("{}1{}", "(".repeat(n), ")".repeat(n));
    assert!(parse_expression(&deep(EXPRESSION_DEPTH_MAX - 1)).is_ok());
    assert_eq!(
        parse_expression(&deep(EXPRESSION_DEPTH_MAX + 1)).unwrap_err().kind,
        ErrorKind::LimitExceeded
    );
}

#[test]
fn long_flat_expressions_are_not_nesting() {
    let terms: Vec<String> = (0..10_000).map(|i| format!("a = {i}")).collect();
    let sql = format!("SELECT * FROM t WHERE {}", terms.join(" OR "));
    parse_script(&sql, &[]).expect("a long chain of OR");
    let tables: Vec<String> = (0..64).map(|i| format!("t{i}")).collect();
    parse_script(&format!("SELECT * FROM {}", tables.join(", ")), &[]).expect("64 tables");
}

#[test]
fn scripts_over_the_size_limit_are_refused() {
    let sql = format!("SELECT '{}'", "x".repeat(SCRIPT_BYTES_MAX));
    assert_eq!(parse_script(&sql, &[]).unwrap_err().kind, ErrorKind::LimitExceeded);
}

#[test]
fn syntax_errors_name_line_column_and_token() {
    let error = parse_script("SELECT a,\n  b FROM t\nWHERE a = = 1", &[]).unwrap_err();
    assert_eq!(error.kind, ErrorKind::Syntax);
    assert!(error.message.contains("line 3, column 11"), "{}", error.message);
    assert!(error.message.contains("'='"), "{}", error.message);
    let error = parse_script("SELECT 1;\nSELECT * FROM", &[]).unwrap_err();
    assert!(error.message.contains("line 2") && error.message.contains("end of the statement"));
    // A syntax error anywhere refuses the script, before what is only unsupported.
    let error = parse_script("SELECT * FROM t NATURAL JOIN u; SELECT (", &[]).unwrap_err();
    assert_eq!(error.kind, ErrorKind::Syntax);
}

#[test]
fn parameters_bind_in_order_across_statements() {
    let values = [Datum::Int(1), Datum::Text("x".into()), Datum::Int(3)];
    let statements = parse_script("SELECT ?; SET @a = ?; SELECT ? + 1", &values).expect("parses");
    assert_eq!(statements.len(), 3);
    let debug = format!("{statements:?}");
    assert!(debug.contains("Literal(Text(\"x\"))") && debug.contains("Literal(Int(3))"));
    assert_eq!(parse_script("SELECT ?", &[]).unwrap_err().kind, ErrorKind::Parameters);
    assert_eq!(parse_script("SELECT 1", &values[..1]).unwrap_err().kind, ErrorKind::Parameters);
    // The cache keeps queries prepared, their `?` numbered, and binds SET with each run's values.
    let mut cache = ParseCache::default();
    for value in [Datum::Int(5), Datum::Int(6)] {
        let bound = cache
            .parse("SELECT ? + ?; SET @b = ?", &[value.clone(), value.clone(), value.clone()])
            .unwrap();
        assert_eq!(bound[0].params, 0..2);
        assert!(format!("{:?}", bound[0].statement).contains("Param(1)"));
        assert!(format!("{:?}", bound[1].statement).contains(&format!("{value:?}")));
    }
    assert_eq!(cache.len(), 1);
}
