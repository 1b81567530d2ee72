//! Rows: the key encoding against a model of SQL order, canonical cells, schema rules and round
//! trips, decoders fed random and mutated bytes, and golden bytes that pin the formats.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use std::cmp::Ordering;

use cambium::row::{
    decode_cells, decode_key, encode_cells, encode_key, CellsWriter, Check, Column, Error,
    ForeignKey, IndexDef, ReferentialAction, Schema, Tag, Value, ValueRef, CELLS_MAX,
    CONSTRAINTS_MAX, DEFINITION_BYTES_MAX, INDEXES_MAX, INDEX_COLUMNS_MAX, KEY_BYTES_MAX,
    KEY_VALUES_MAX, NAME_BYTES_MAX, ROW_BYTES_MAX, TEXT_BYTES_MAX,
};

/// SplitMix64: tiny, fast, and the same sequence on every target.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes from hex written with optional spaces between groups.
fn unhex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(|b| *b != b' ').collect();
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The model of SQL order and random values.

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Int,
    UInt,
    Float,
    Text,
    Bytes,
}

const KINDS: [Kind; 5] = [Kind::Int, Kind::UInt, Kind::Float, Kind::Text, Kind::Bytes];

/// SQL order of two values of the same kind (or NULL).
fn model_cmp(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::UInt(x), Value::UInt(y)) => x.cmp(y),
        // partial_cmp has -0.0 == 0.0, as SQL does; the generator makes no NaN.
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y).expect("no NaN"),
        (Value::Text(x), Value::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::Bytes(x), Value::Bytes(y)) => x.cmp(y),
        _ => panic!("the model compares values of one kind: {a:?} and {b:?}"),
    }
}

/// Lexicographic, with a proper prefix first.
fn model_cmp_tuple(a: &[Value], b: &[Value]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let order = model_cmp(x, y);
        if order != Ordering::Equal {
            return order;
        }
    }
    a.len().cmp(&b.len())
}

/// What a value decodes back to: itself, with -0.0 as 0.0.
fn canonical(value: &Value) -> Value {
    match value {
        Value::Float(x) if *x == 0.0 => Value::Float(0.0),
        other => other.clone(),
    }
}

/// Equality that tells -0.0 from 0.0, which `PartialEq` on `f64` does not.
fn identical(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|pair| match pair {
            (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
            (x, y) => x == y,
        })
}

const INTS: [i64; 9] = [i64::MIN, i64::MIN + 1, -256, -1, 0, 1, 255, i64::MAX - 1, i64::MAX];
const UINTS: [u64; 7] = [0, 1, 255, 256, 1 << 63, u64::MAX - 1, u64::MAX];
const FLOATS: [f64; 16] = [
    f64::NEG_INFINITY,
    f64::MIN,
    -1.5,
    -1.0,
    -f64::MIN_POSITIVE,
    -5e-324,
    -0.0,
    0.0,
    5e-324,
    f64::MIN_POSITIVE,
    1.0,
    1.5,
    2.0,
    1e300,
    f64::MAX,
    f64::INFINITY,
];
/// Characters for Text: NUL, ASCII, and multi-byte UTF-8 up to the last code point.
const CHARS: [char; 8] = ['\0', '\u{1}', 'a', 'b', '\u{7f}', 'é', '\u{ffff}', '\u{10ffff}'];
const BYTES: [u8; 6] = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];

fn random_float(rng: &mut Rng) -> f64 {
    match rng.below(3) {
        0 => *rng.pick(&FLOATS),
        1 => rng.below(7) as f64 - 3.0,
        _ => loop {
            let x = f64::from_bits(rng.next_u64());
            if !x.is_nan() {
                break x;
            }
        },
    }
}

fn random_bytes(rng: &mut Rng) -> Vec<u8> {
    let len = rng.index(5);
    (0..len).map(|_| *rng.pick(&BYTES)).collect()
}

fn random_text(rng: &mut Rng) -> String {
    let len = rng.index(5);
    (0..len).map(|_| *rng.pick(&CHARS)).collect()
}

/// A value of `kind`, or NULL one time in six.
fn random_value(rng: &mut Rng, kind: Kind) -> Value {
    if rng.chance(6) {
        return Value::Null;
    }
    match kind {
        Kind::Int => Value::Int(match rng.below(3) {
            0 => *rng.pick(&INTS),
            1 => rng.below(7) as i64 - 3,
            _ => rng.next_u64() as i64,
        }),
        Kind::UInt => Value::UInt(match rng.below(3) {
            0 => *rng.pick(&UINTS),
            1 => rng.below(4),
            _ => rng.next_u64(),
        }),
        Kind::Float => Value::Float(random_float(rng)),
        Kind::Text => Value::Text(random_text(rng)),
        Kind::Bytes => Value::Bytes(random_bytes(rng)),
    }
}

/// A value near `value`, so that compared pairs are often equal, prefixes, or one step apart.
fn nearby(rng: &mut Rng, value: &Value, kind: Kind) -> Value {
    match (value, rng.below(4)) {
        (_, 0) => value.clone(),
        (Value::Int(n), _) => Value::Int(n.wrapping_add(rng.below(3) as i64 - 1)),
        (Value::UInt(n), _) => Value::UInt(n.wrapping_add(rng.below(3).wrapping_sub(1))),
        (Value::Float(x), _) if *x == 0.0 => Value::Float(-x),
        (Value::Text(text), _) => {
            let mut text = text.clone();
            if rng.chance(2) {
                text.pop();
            } else {
                text.push(*rng.pick(&CHARS));
            }
            Value::Text(text)
        }
        (Value::Bytes(bytes), _) => {
            let mut bytes = bytes.clone();
            if rng.chance(2) {
                bytes.pop();
            } else {
                bytes.push(*rng.pick(&BYTES));
            }
            Value::Bytes(bytes)
        }
        _ => random_value(rng, kind),
    }
}

/// Two tuples of arity 1 to 3 with the same kind at each position they share.
fn random_pair(rng: &mut Rng) -> (Vec<Value>, Vec<Value>) {
    let kinds: Vec<Kind> = (0..3).map(|_| *rng.pick(&KINDS)).collect();
    let a_len = 1 + rng.index(3);
    // The same arity half the time, so that equal tuples are common.
    let b_len = if rng.chance(2) { a_len } else { 1 + rng.index(3) };
    let a: Vec<Value> = kinds[..a_len].iter().map(|&k| random_value(rng, k)).collect();
    let b: Vec<Value> = (0..b_len)
        .map(|i| match a.get(i) {
            Some(_) if rng.chance(4) => random_value(rng, kinds[i]),
            Some(value) => nearby(rng, value, kinds[i]),
            None => random_value(rng, kinds[i]),
        })
        .collect();
    (a, b)
}

// ---------------------------------------------------------------------------------------------
// Keys.

#[test]
fn key_byte_order_is_sql_order() {
    let mut rng = Rng::new(1);
    let mut orders = [0usize; 3];
    for _ in 0..20_000 {
        let (a, b) = random_pair(&mut rng);
        let ka = encode_key(&a).expect("encode a");
        let kb = encode_key(&b).expect("encode b");
        let expected = model_cmp_tuple(&a, &b);
        assert_eq!(ka.cmp(&kb), expected, "{a:?} vs {b:?}");
        orders[match expected {
            Ordering::Less => 0,
            Ordering::Equal => 1,
            Ordering::Greater => 2,
        }] += 1;
    }
    // The generator must exercise all three outcomes often, or the property says little.
    assert!(orders.iter().all(|&n| n > 1_500), "{orders:?}");
}

#[test]
fn key_round_trip_canonicalises_negative_zero() {
    let mut rng = Rng::new(2);
    for _ in 0..10_000 {
        let (a, _) = random_pair(&mut rng);
        let encoded = encode_key(&a).expect("encode");
        let decoded = decode_key(&encoded).expect("decode");
        let expected: Vec<Value> = a.iter().map(canonical).collect();
        assert!(identical(&decoded, &expected), "{a:?} -> {decoded:?}");
        assert_eq!(encode_key(&decoded).unwrap(), encoded);
    }
    let negative = encode_key(&[Value::Float(-0.0)]).unwrap();
    assert_eq!(negative, encode_key(&[Value::Float(0.0)]).unwrap());
    let decoded = decode_key(&negative).unwrap();
    assert!(matches!(decoded[..], [Value::Float(x)] if x.to_bits() == 0));
}

#[test]
fn sorting_keys_sorts_tuples() {
    let mut rng = Rng::new(3);
    for _ in 0..50 {
        let kinds: Vec<Kind> = (0..3).map(|_| *rng.pick(&KINDS)).collect();
        let mut tuples: Vec<Vec<Value>> = (0..200)
            .map(|_| {
                let len = 1 + rng.index(3);
                kinds[..len].iter().map(|&k| random_value(&mut rng, k)).collect()
            })
            .collect();
        let mut by_bytes: Vec<(Vec<u8>, Vec<Value>)> =
            tuples.iter().map(|t| (encode_key(t).unwrap(), t.clone())).collect();
        by_bytes.sort_by(|x, y| x.0.cmp(&y.0));
        tuples.sort_by(|x, y| model_cmp_tuple(x, y));
        for (sorted, (_, by_key)) in tuples.iter().zip(&by_bytes) {
            assert_eq!(model_cmp_tuple(sorted, by_key), Ordering::Equal);
        }
    }
}

#[test]
fn key_extremes_order() {
    let ascending = [
        vec![Value::Null],
        vec![Value::Int(i64::MIN)],
        vec![Value::Int(-1)],
        vec![Value::Int(0)],
        vec![Value::Int(i64::MAX)],
    ];
    for pair in ascending.windows(2) {
        assert!(encode_key(&pair[0]).unwrap() < encode_key(&pair[1]).unwrap());
    }
    let floats: Vec<Vec<u8>> = FLOATS
        .iter()
        .filter(|x| x.to_bits() != (-0.0f64).to_bits())
        .map(|&x| encode_key(&[Value::Float(x)]).unwrap())
        .collect();
    assert!(floats.windows(2).all(|pair| pair[0] < pair[1]));
    // Strings: the empty string, then NUL, then longer strings starting with NUL, then 0x01.
    let strings = [&b""[..], b"\x00", b"\x00\x00", b"\x00\xff", b"\x01", b"\xff", b"\xff\x00"];
    let keys: Vec<Vec<u8>> = strings
        .iter()
        .map(|s| encode_key(&[Value::Bytes(s.to_vec()), Value::Int(i64::MIN)]).unwrap())
        .collect();
    assert!(keys.windows(2).all(|pair| pair[0] < pair[1]));
    // A proper prefix sorts first, even before a NULL in the next position.
    let short = encode_key(&[Value::Text("a".into())]).unwrap();
    let long = encode_key(&[Value::Text("a".into()), Value::Null]).unwrap();
    assert!(short < long);
}

#[test]
fn key_limits_and_nan() {
    assert_eq!(encode_key(&[]).unwrap(), Vec::<u8>::new());
    assert_eq!(decode_key(&[]).unwrap(), Vec::<Value>::new());
    for nan in [f64::NAN, -f64::NAN] {
        let error = encode_key(&[Value::Int(1), Value::Float(nan)]).unwrap_err();
        assert_eq!(error, Error::NaN);
        assert_eq!(error.code(), "row_nan");
    }
    let widest = vec![Value::Null; KEY_VALUES_MAX];
    assert_eq!(decode_key(&encode_key(&widest).unwrap()).unwrap(), widest);
    let error = encode_key(&vec![Value::Null; KEY_VALUES_MAX + 1]).unwrap_err();
    assert_eq!(error.code(), "row_too_many");
    assert!(decode_key(&[0x01; KEY_VALUES_MAX + 1]).is_err());
    // Type byte, bytes, terminator: the largest Bytes value that fits, then one byte more.
    let largest = Value::Bytes(vec![7; KEY_BYTES_MAX - 3]);
    assert_eq!(encode_key(&[largest]).unwrap().len(), KEY_BYTES_MAX);
    let error = encode_key(&[Value::Bytes(vec![7; KEY_BYTES_MAX - 2])]).unwrap_err();
    assert_eq!(error, Error::KeyTooLarge { bytes: KEY_BYTES_MAX + 1, max: KEY_BYTES_MAX });
    assert_eq!(error.code(), "row_key_too_large");
    // Escaped zeros count: half the bytes of zeros already fill the key.
    let zeros = Value::Text("\0".repeat(KEY_BYTES_MAX / 2));
    assert!(matches!(encode_key(&[zeros]), Err(Error::KeyTooLarge { .. })));
}

#[test]
fn decode_key_refuses_bad_bytes() {
    let cases: &[(&str, &str)] = &[
        ("00", "type byte 0"),
        ("02", "unknown type byte"),
        ("13 0000000000000000", "unknown type byte"),
        ("10 00000000000000", "truncated int"),
        ("11", "uint without body"),
        ("12 7fffffffffffffff", "-0.0"),
        ("12 fff8000000000000", "NaN"),
        ("12 0007ffffffffffff", "negative NaN"),
        ("20 61", "unterminated text"),
        ("20 61 00", "text ends after escape byte"),
        ("20 61 00 01 00 00", "bad escape"),
        ("20 c3 28 00 00", "text not UTF-8"),
        ("21 00 ff 00 00 07", "trailing garbage"),
        ("10 8000000000000000 ee", "trailing garbage after an int"),
    ];
    for (bytes, what) in cases {
        let error = decode_key(&unhex(bytes)).expect_err(what);
        assert_eq!(error.code(), "row_malformed", "{what}");
    }
    assert!(decode_key(&vec![0x01; KEY_BYTES_MAX + 1]).is_err());
}

// ---------------------------------------------------------------------------------------------
// Cells.

fn random_cell_value(rng: &mut Rng) -> Value {
    let kind = *rng.pick(&KINDS);
    random_value(rng, kind)
}

/// The canonical form of a row: sorted by tag, NULLs dropped, -0.0 as 0.0.
fn canonical_cells(cells: &[(Tag, Value)]) -> Vec<(Tag, Value)> {
    let mut out: Vec<(Tag, Value)> =
        cells.iter().filter(|(_, v)| !v.is_null()).map(|(t, v)| (*t, canonical(v))).collect();
    out.sort_by_key(|(t, _)| *t);
    out
}

fn random_row(rng: &mut Rng) -> Vec<(Tag, Value)> {
    let tags: [Tag; 8] = [0, 1, 2, 127, 128, 16_383, 16_384, Tag::MAX];
    let mut cells = Vec::new();
    for &tag in &tags {
        if rng.chance(2) {
            cells.push((tag, random_cell_value(rng)));
        }
    }
    // Shuffle, so encoding sees every order.
    for i in (1..cells.len()).rev() {
        let j = rng.index(i + 1);
        cells.swap(i, j);
    }
    cells
}

#[test]
fn cells_round_trip_in_canonical_form() {
    let mut rng = Rng::new(4);
    for _ in 0..5_000 {
        let row = random_row(&mut rng);
        let encoded = encode_cells(&row).expect("encode");
        let decoded = decode_cells(&encoded).expect("decode");
        let expected = canonical_cells(&row);
        assert_eq!(decoded.len(), expected.len());
        for ((t1, v1), (t2, v2)) in decoded.iter().zip(&expected) {
            assert_eq!(t1, t2);
            assert!(
                identical(std::slice::from_ref(v1), std::slice::from_ref(v2)),
                "{v1:?} vs {v2:?}"
            );
        }
        // The canonical form encodes to the same bytes as any other order of the row.
        assert_eq!(encode_cells(&expected).unwrap(), encoded);
        let mut reversed = row.clone();
        reversed.reverse();
        assert_eq!(encode_cells(&reversed).unwrap(), encoded);
    }
}

/// The writer that encodes cells one at a time gives the bytes `encode_cells` gives, whatever
/// its starting capacity, and refuses cells out of tag order.
#[test]
fn cells_writer_matches_encode_cells() {
    let mut rng = Rng::new(5);
    for round in 0..2_000 {
        let row = canonical_cells(&random_row(&mut rng));
        let mut writer = CellsWriter::with_capacity(round % 64);
        for (tag, value) in &row {
            writer.push(*tag, value.as_ref()).expect("push");
        }
        assert_eq!(writer.finish(), encode_cells(&row).unwrap());
    }
    let mut writer = CellsWriter::with_capacity(0);
    writer.push(5, Value::Int(1).as_ref()).unwrap();
    assert_eq!(writer.push(5, Value::Null.as_ref()), Err(Error::DuplicateTag(5)));
    assert_eq!(writer.push(4, Value::Int(2).as_ref()), Err(Error::DuplicateTag(4)));
    let text = "x".repeat(TEXT_BYTES_MAX + 1);
    assert!(matches!(
        CellsWriter::with_capacity(0).push(1, ValueRef::Text(&text)),
        Err(Error::TooLarge { max: TEXT_BYTES_MAX, .. })
    ));
}

#[test]
fn cells_drop_nulls_and_canonicalise() {
    let with_nulls =
        [(3, Value::Null), (1, Value::Int(5)), (9, Value::Null), (2, Value::Float(-0.0))];
    let without = [(1, Value::Int(5)), (2, Value::Float(0.0))];
    let encoded = encode_cells(&with_nulls).unwrap();
    assert_eq!(encoded, encode_cells(&without).unwrap());
    let decoded = decode_cells(&encoded).unwrap();
    assert_eq!(decoded, without.to_vec());
    assert!(matches!(decoded[1].1, Value::Float(x) if x.to_bits() == 0));
    // An empty row and an all-NULL row are the version byte alone.
    assert_eq!(encode_cells(&[]).unwrap(), vec![0x01]);
    assert_eq!(encode_cells(&[(4, Value::Null)]).unwrap(), vec![0x01]);
    assert_eq!(decode_cells(&[0x01]).unwrap(), vec![]);
}

#[test]
fn cells_refuse_duplicates_and_nan() {
    let duplicate = [(7, Value::Int(1)), (2, Value::Null), (7, Value::Text("x".into()))];
    let error = encode_cells(&duplicate).unwrap_err();
    assert_eq!(error, Error::DuplicateTag(7));
    assert_eq!(error.code(), "row_duplicate_tag");
    // A tag given twice is a mistake even when one of the two is NULL.
    assert_eq!(encode_cells(&[(2, Value::Null), (2, Value::Int(0))]), Err(Error::DuplicateTag(2)));
    assert_eq!(encode_cells(&[(1, Value::Float(f64::NAN))]), Err(Error::NaN));
}

#[test]
fn cells_limits() {
    let widest: Vec<(Tag, Value)> = (0..CELLS_MAX as Tag).map(|t| (t, Value::UInt(1))).collect();
    let encoded = encode_cells(&widest).unwrap();
    assert_eq!(decode_cells(&encoded).unwrap(), widest);
    let mut wider = widest.clone();
    wider.push((CELLS_MAX as Tag, Value::UInt(1)));
    assert_eq!(encode_cells(&wider).unwrap_err().code(), "row_too_many");
    // NULL cells count too: the limit is on what the caller hands in.
    let mut nulls = widest;
    nulls.push((CELLS_MAX as Tag, Value::Null));
    assert!(encode_cells(&nulls).is_err());

    let huge = Value::Bytes(vec![0; TEXT_BYTES_MAX + 1]);
    assert_eq!(
        encode_cells(&[(1, huge)]),
        Err(Error::TooLarge { bytes: TEXT_BYTES_MAX + 1, max: TEXT_BYTES_MAX })
    );
    // Two cells each under the cell limit can still pass the row limit.
    let half = Value::Bytes(vec![0; ROW_BYTES_MAX / 2 + 1]);
    let error = encode_cells(&[(1, half.clone()), (2, half)]).unwrap_err();
    assert!(matches!(error, Error::TooLarge { max, .. } if max == ROW_BYTES_MAX), "{error:?}");
    assert_eq!(error.code(), "row_too_large");
}

#[test]
fn decode_cells_refuses_non_canonical_bytes() {
    let cases: &[(&str, &str)] = &[
        ("", "empty"),
        ("02", "unknown version"),
        ("00", "version zero"),
        ("01 02 10 0000000000000000 01 10 0000000000000000", "tags descending"),
        ("01 01 10 0000000000000000 01 10 0000000000000000", "tag repeated"),
        ("01 8100 10 0000000000000000", "over-long tag"),
        ("01 8080808010 10 0000000000000000", "tag over 32 bits"),
        ("01 01 01", "explicit NULL"),
        ("01 01 13 0000000000000000", "unknown type byte"),
        ("01 01 10 00000000", "truncated int"),
        ("01 01", "tag without a value"),
        ("01 01 20 8200 6869", "over-long text length"),
        ("01 01 20 03 6869", "text shorter than its length"),
        ("01 01 20 02 c328", "text not UTF-8"),
        ("01 01 12 0000000000000080", "-0.0"),
        ("01 01 12 000000000000f87f", "NaN"),
        ("01 01 21 8180808020", "length over the cell limit"),
        ("01 01 21 ffffffffffffffffff7f", "length over 64 bits"),
    ];
    for (bytes, what) in cases {
        let error = decode_cells(&unhex(bytes)).expect_err(what);
        assert_eq!(error.code(), "row_malformed", "{what}");
    }
}

// ---------------------------------------------------------------------------------------------
// Schemas.

fn column(tag: Tag, name: &str, sql_type: &str) -> Column {
    Column {
        tag,
        name: name.into(),
        sql_type: sql_type.into(),
        nullable: true,
        default: None,
        auto_increment: false,
    }
}

fn users() -> Schema {
    Schema {
        columns: vec![
            Column { nullable: false, auto_increment: true, ..column(10, "id", "BIGINT UNSIGNED") },
            column(3, "Name", "VARCHAR(20)"),
            Column { default: Some("'x'".into()), ..column(7, "email", "TEXT") },
            Column { nullable: false, default: Some(String::new()), ..column(200, "org", "INT") },
        ],
        primary_key: vec![200, 10],
        indexes: vec![
            IndexDef { name: "by_email".into(), columns: vec![7], unique: true },
            IndexDef { name: "by_name_org".into(), columns: vec![3, 200], unique: false },
        ],
        ..Schema::default()
    }
}

#[test]
fn schema_round_trip_and_lookups() {
    let schema = users();
    let encoded = schema.encode().unwrap();
    assert_eq!(Schema::decode(&encoded).unwrap(), schema);
    assert_eq!(Schema::decode(&Schema::default().encode().unwrap()).unwrap(), Schema::default());

    assert_eq!(schema.column(7).unwrap().name, "email");
    assert!(schema.column(8).is_none());
    assert_eq!(schema.column_named("NAME").unwrap().tag, 3);
    assert_eq!(schema.column_named("Id").unwrap().tag, 10);
    assert!(schema.column_named("nam").is_none());
    assert_eq!(schema.key_tags(), &[200, 10]);
    assert_eq!(schema.value_tags(), vec![3, 7]);
}

#[test]
fn schema_round_trips_random_schemas() {
    let mut rng = Rng::new(5);
    let names = ["a", "b", "c", "d", "é", "Z_9", "x y", "long_column_name"];
    let types = ["INT", "", "VARCHAR(255)", "ENUM('a','b')", "DOUBLE"];
    for _ in 0..500 {
        let count = rng.index(names.len() + 1);
        let columns: Vec<Column> = names[..count]
            .iter()
            .enumerate()
            .map(|(i, name)| Column {
                tag: (i as Tag) * 1000 + rng.below(1000) as Tag,
                name: name.to_string(),
                sql_type: rng.pick(&types).to_string(),
                nullable: rng.chance(2),
                default: rng.chance(2).then(|| rng.pick(&types).to_string()),
                auto_increment: rng.chance(4),
            })
            .collect();
        let tags: Vec<Tag> = columns.iter().map(|c| c.tag).collect();
        let subset = |rng: &mut Rng| -> Vec<Tag> {
            tags.iter().copied().filter(|_| rng.chance(3)).collect()
        };
        let primary_key = subset(&mut rng);
        let indexes = (0..rng.index(4))
            .map(|i| IndexDef {
                name: format!("idx{i}"),
                columns: subset(&mut rng),
                unique: rng.chance(2),
            })
            .filter(|index| !index.columns.is_empty())
            .collect();
        let schema = Schema { columns, primary_key, indexes, ..Schema::default() };
        let encoded = schema.encode().expect("valid schema");
        assert_eq!(Schema::decode(&encoded).unwrap(), schema);
    }
}

#[test]
fn validate_catches_each_mistake() {
    let check = |mutate: &dyn Fn(&mut Schema), expected: Error| {
        let mut schema = users();
        mutate(&mut schema);
        assert_eq!(schema.validate(), Err(expected.clone()));
        assert_eq!(schema.encode(), Err(expected));
    };
    check(&|s| s.columns[1].tag = 10, Error::DuplicateTag(10));
    check(&|s| s.columns[2].name = "NAME".into(), Error::DuplicateName("NAME".into()));
    check(&|s| s.primary_key.push(99), Error::UnknownTag(99));
    check(&|s| s.primary_key.push(10), Error::DuplicateTag(10));
    check(&|s| s.indexes[0].columns.push(98), Error::UnknownTag(98));
    check(&|s| s.indexes[1].columns.push(3), Error::DuplicateTag(3));
    check(&|s| s.indexes[1].name = "BY_EMAIL".into(), Error::DuplicateName("BY_EMAIL".into()));
    check(
        &|s| s.indexes[0].columns.clear(),
        Error::InvalidSchema("an index needs at least one column"),
    );
    check(&|s| s.columns[0].name = String::new(), Error::InvalidName(String::new()));
    let long = "n".repeat(NAME_BYTES_MAX + 1);
    check(&|s| s.columns[3].name = long.clone(), Error::InvalidName(long.clone()));
    check(&|s| s.indexes[0].name = long.clone(), Error::InvalidName(long.clone()));
    check(
        &|s| s.columns[0].sql_type = "x".repeat(DEFINITION_BYTES_MAX + 1),
        Error::TooLarge { bytes: DEFINITION_BYTES_MAX + 1, max: DEFINITION_BYTES_MAX },
    );
    check(
        &|s| s.columns[0].default = Some("x".repeat(DEFINITION_BYTES_MAX + 1)),
        Error::TooLarge { bytes: DEFINITION_BYTES_MAX + 1, max: DEFINITION_BYTES_MAX },
    );

    // Limits on counts.
    let many_columns = Schema {
        columns: (0..=CELLS_MAX as Tag).map(|t| column(t, &format!("c{t}"), "INT")).collect(),
        ..Schema::default()
    };
    assert_eq!(many_columns.validate().unwrap_err().code(), "row_too_many");
    let wide = Schema {
        columns: (0..=INDEX_COLUMNS_MAX as Tag)
            .map(|t| column(t, &format!("c{t}"), "INT"))
            .collect(),
        primary_key: (0..=INDEX_COLUMNS_MAX as Tag).collect(),
        ..Schema::default()
    };
    assert_eq!(wide.validate().unwrap_err().code(), "row_too_many");
    let mut many_indexes = users();
    many_indexes.indexes = (0..=INDEXES_MAX)
        .map(|i| IndexDef { name: format!("i{i}"), columns: vec![3], unique: false })
        .collect();
    assert_eq!(many_indexes.validate().unwrap_err().code(), "row_too_many");

    // What is allowed: names at the limit, equal names for a column and an index, no key.
    let mut fine = users();
    fine.columns[1].name = "n".repeat(NAME_BYTES_MAX);
    fine.indexes[0].name = "email".into();
    fine.primary_key.clear();
    assert_eq!(fine.validate(), Ok(()));
    assert_eq!(Schema::decode(&fine.encode().unwrap()).unwrap(), fine);
}

#[test]
fn schema_decode_refuses_bad_bytes() {
    let good = users().encode().unwrap();
    // Every proper prefix is truncated, and one byte more is trailing garbage.
    for len in 0..good.len() {
        assert!(Schema::decode(&good[..len]).is_err(), "prefix of {len}");
    }
    let mut trailing = good.clone();
    trailing.push(0);
    assert_eq!(Schema::decode(&trailing).unwrap_err().code(), "row_malformed");

    let small = Schema {
        columns: vec![column(1, "a", "INT"), column(2, "b", "INT")],
        primary_key: vec![1],
        indexes: vec![],
        ..Schema::default()
    };
    let bytes = small.encode().unwrap();
    // Offsets: 2 tag, 3 name length, 4 name, 9 flags, 10 second tag, 12 second name, 19 key tag.
    let layout = "01 02 01 01 61 03 494e54 01 02 01 62 03 494e54 01 01 01 00";
    assert_eq!(hex(&bytes), hex(&unhex(layout)));
    let patch = |at: usize, byte: u8| {
        let mut b = bytes.clone();
        b[at] = byte;
        Schema::decode(&b)
    };
    assert_eq!(patch(0, 0x02).unwrap_err().code(), "row_malformed", "version");
    assert_eq!(patch(9, 0x09).unwrap_err().code(), "row_malformed", "flag bit");
    assert_eq!(patch(9, 0x81).unwrap_err().code(), "row_malformed", "flag bit 7");
    // Bytes that parse but describe an invalid schema fail validation.
    assert_eq!(patch(10, 0x01), Err(Error::DuplicateTag(1)));
    assert_eq!(patch(12, b'A'), Err(Error::DuplicateName("A".into())));
    assert_eq!(patch(19, 0x05), Err(Error::UnknownTag(5)));
    // A name that is not UTF-8, and a count larger than the bytes that follow.
    assert_eq!(patch(4, 0xff).unwrap_err().code(), "row_malformed");
    assert_eq!(patch(1, 0x7f).unwrap_err().code(), "row_malformed");
    // An over-long LEB128 count.
    let mut long_count = vec![0x01, 0x82, 0x00];
    long_count.extend_from_slice(&bytes[2..]);
    assert_eq!(Schema::decode(&long_count).unwrap_err().code(), "row_malformed");
}

// ---------------------------------------------------------------------------------------------
// Decoders against random and mutated bytes.

/// Random bytes, biased towards the bytes that matter to the formats so that decoding gets
/// past the first byte often.
fn random_input(rng: &mut Rng) -> Vec<u8> {
    const INTERESTING: [u8; 12] =
        [0x00, 0x01, 0x02, 0x05, 0x10, 0x11, 0x12, 0x20, 0x21, 0x7f, 0x80, 0xff];
    let len = rng.index(40);
    (0..len)
        .map(|_| if rng.chance(2) { *rng.pick(&INTERESTING) } else { rng.next_u64() as u8 })
        .collect()
}

fn mutate(rng: &mut Rng, bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for _ in 0..1 + rng.index(3) {
        let at = rng.index(out.len() + 1);
        match rng.below(5) {
            0 if at < out.len() => out[at] ^= 1 << rng.below(8),
            1 if at < out.len() => out[at] = rng.next_u64() as u8,
            2 if at < out.len() => {
                out.remove(at);
            }
            3 => out.insert(at, rng.next_u64() as u8),
            _ => out.truncate(at),
        }
    }
    out
}

/// Feeds `input` to every decoder. None may panic, and whatever one accepts must be canonical:
/// encoding the result gives the input back. Returns how many decoders accepted it.
fn decode_all(input: &[u8]) -> usize {
    let mut accepted = 0;
    if let Ok(values) = decode_key(input) {
        assert_eq!(encode_key(&values).unwrap(), input, "key {}", hex(input));
        accepted += 1;
    }
    if let Ok(cells) = decode_cells(input) {
        assert_eq!(encode_cells(&cells).unwrap(), input, "cells {}", hex(input));
        accepted += 1;
    }
    if let Ok(schema) = Schema::decode(input) {
        assert_eq!(schema.encode().unwrap(), input, "schema {}", hex(input));
        accepted += 1;
    }
    accepted
}

#[test]
fn decoders_survive_random_bytes() {
    let mut rng = Rng::new(6);
    let mut accepted = 0;
    for _ in 0..20_000 {
        accepted += decode_all(&random_input(&mut rng));
    }
    // Some random inputs are valid (a few NULLs, a one-byte row); most are not.
    assert!(accepted > 100 && accepted < 20_000, "{accepted} accepted");
}

#[test]
fn decoders_survive_mutations() {
    let mut rng = Rng::new(7);
    let schema = users().encode().unwrap();
    let mut refused = 0;
    let mut total = 0;
    for _ in 0..3_000 {
        let (key, _) = random_pair(&mut rng);
        let valid = [
            encode_key(&key).unwrap(),
            encode_cells(&random_row(&mut rng)).unwrap(),
            schema.clone(),
        ];
        for bytes in &valid {
            let mutated = mutate(&mut rng, bytes);
            total += 1;
            if decode_all(&mutated) == 0 {
                refused += 1;
            }
        }
    }
    assert!(refused > total / 4, "{refused} of {total} refused");
}

// ---------------------------------------------------------------------------------------------
// Golden bytes: these pin the formats in docs/format.md. Changing them is a format change.

#[test]
fn golden_keys() {
    let cases: Vec<(Vec<Value>, &str)> = vec![
        (vec![Value::Int(-1), Value::Text("a\0b".into())], "10 7fffffffffffffff 20 6100ff62 0000"),
        (vec![Value::Null], "01"),
        (vec![Value::Int(0)], "10 8000000000000000"),
        (vec![Value::UInt(1)], "11 0000000000000001"),
        (vec![Value::Float(1.5)], "12 bff8000000000000"),
        (vec![Value::Float(-1.5)], "12 4007ffffffffffff"),
        (vec![Value::Float(-0.0)], "12 8000000000000000"),
        (vec![Value::Bytes(vec![0xff, 0x00])], "21 ff00ff 0000"),
        (vec![Value::Text(String::new()), Value::Null], "20 0000 01"),
    ];
    for (values, expected) in cases {
        let encoded = encode_key(&values).unwrap();
        assert_eq!(hex(&encoded), hex(&unhex(expected)), "{values:?}");
    }
}

#[test]
fn golden_cells() {
    let row = [
        (2, Value::Text("hi".into())),
        (1, Value::Int(-2)),
        (300, Value::Float(0.5)),
        (7, Value::Null),
        (5, Value::Bytes(vec![0])),
        (6, Value::UInt(258)),
    ];
    let expected = "01 \
        01 10 feffffffffffffff \
        02 20 02 6869 \
        05 21 01 00 \
        06 11 0201000000000000 \
        ac02 12 000000000000e03f";
    assert_eq!(hex(&encode_cells(&row).unwrap()), hex(&unhex(expected)));
}

#[test]
fn golden_schema() {
    let schema = Schema {
        columns: vec![
            Column { nullable: false, auto_increment: true, ..column(1, "id", "INT") },
            Column { default: Some("'x'".into()), ..column(2, "name", "TEXT") },
        ],
        primary_key: vec![1],
        indexes: vec![IndexDef { name: "by_name".into(), columns: vec![2], unique: true }],
        ..Schema::default()
    };
    let expected = "01 02 \
        01 02 6964 03 494e54 02 \
        02 04 6e616d65 04 54455854 05 03 277827 \
        01 01 \
        01 07 62795f6e616d65 01 01 02";
    assert_eq!(hex(&schema.encode().unwrap()), hex(&unhex(expected)));
}

/// A schema with constraints takes the second layout: the first layout's fields, then the
/// checks and the foreign keys.
#[test]
fn golden_schema_with_constraints() {
    let schema = Schema {
        columns: vec![column(1, "id", "INT"), column(2, "p", "INT")],
        primary_key: vec![1],
        checks: vec![Check { name: "c1".into(), expression: "p > 0".into() }],
        foreign_keys: vec![ForeignKey {
            name: "fk".into(),
            columns: vec![2],
            parent_table: "t".into(),
            parent_columns: vec!["id".into()],
            on_delete: ReferentialAction::Cascade,
            on_update: ReferentialAction::SetNull,
        }],
        ..Schema::default()
    };
    let expected = "02 02 \
        01 02 6964 03 494e54 01 \
        02 01 70 03 494e54 01 \
        01 01 \
        00 \
        01 02 6331 05 70203e2030 \
        01 02 666b 01 02 01 74 01 02 6964 01 02";
    let encoded = schema.encode().unwrap();
    assert_eq!(hex(&encoded), hex(&unhex(expected)));
    assert_eq!(Schema::decode(&encoded).unwrap(), schema);

    // The second layout with no constraints is not canonical, so it is refused.
    let plain = Schema { checks: Vec::new(), foreign_keys: Vec::new(), ..schema.clone() };
    let mut relabelled = plain.encode().unwrap();
    assert_eq!(relabelled[0], 0x01);
    relabelled[0] = 0x02;
    relabelled.extend([0, 0]);
    assert_eq!(Schema::decode(&relabelled).unwrap_err().code(), "row_malformed");

    // An unknown referential action is refused.
    let mut bad_action = encoded.clone();
    *bad_action.last_mut().unwrap() = 7;
    assert_eq!(Schema::decode(&bad_action).unwrap_err().code(), "row_malformed");

    // Structural rules: parent columns match columns, names are unique, columns exist.
    let mut uneven = schema.clone();
    uneven.foreign_keys[0].parent_columns.push("x".into());
    assert_eq!(uneven.encode().unwrap_err().code(), "row_schema_invalid");
    let mut twice = schema.clone();
    twice.checks.push(Check { name: "C1".into(), expression: "1".into() });
    assert_eq!(twice.encode().unwrap_err().code(), "row_duplicate_name");
    let mut unknown = schema.clone();
    unknown.foreign_keys[0].columns = vec![9];
    assert_eq!(unknown.encode().unwrap_err().code(), "row_unknown_tag");
    let mut many = schema;
    many.checks = (0..=CONSTRAINTS_MAX)
        .map(|i| Check { name: format!("c{i}"), expression: "1".into() })
        .collect();
    assert_eq!(many.encode().unwrap_err().code(), "row_too_many");
}

#[test]
fn error_codes_are_stable() {
    let cases = [
        (Error::Malformed("x"), "row_malformed"),
        (Error::TooLarge { bytes: 2, max: 1 }, "row_too_large"),
        (Error::KeyTooLarge { bytes: 2, max: 1 }, "row_key_too_large"),
        (Error::TooMany { what: "cells", count: 2, max: 1 }, "row_too_many"),
        (Error::NaN, "row_nan"),
        (Error::DuplicateTag(1), "row_duplicate_tag"),
        (Error::DuplicateName("a".into()), "row_duplicate_name"),
        (Error::UnknownTag(1), "row_unknown_tag"),
        (Error::InvalidName(String::new()), "row_invalid_name"),
        (Error::InvalidSchema("x"), "row_schema_invalid"),
    ];
    for (error, code) in cases {
        assert_eq!(error.code(), code);
        assert!(!error.to_string().is_empty());
    }
}
