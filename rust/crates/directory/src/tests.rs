//! Unit tests of the store without Python: layout, ingestion, plans, indexes, uniqueness, sorting, paging.
//!
//! Layouts, plans and sort specs are written here in a compact JSON notation, read by the helpers below
//! into the typed values the binding builds (`AttrSpec`, `PlanSpec`, `SortSpec`).

use std::sync::Arc;

use serde_json::Value;

use super::layout::AttrSpec;
use super::plan::{Literal, Op, PlanSpec};
use super::sort::SortKind;
use super::*;

/// `{"attrs": [{"ext", "name", "type", "caseExact", "multiValued", "subs"}], "indexed": [..], "unique": [..]}`.
fn layout_from_json(text: &str) -> Layout {
    fn attr(v: &Value) -> AttrSpec {
        AttrSpec {
            ext: v.get("ext").and_then(Value::as_str).map(str::to_owned),
            name: v["name"].as_str().unwrap().to_owned(),
            type_name: v["type"].as_str().unwrap().to_owned(),
            case_exact: v.get("caseExact").and_then(Value::as_bool).unwrap_or(false),
            multi: v.get("multiValued").and_then(Value::as_bool).unwrap_or(false),
            subs: v
                .get("subs")
                .and_then(Value::as_array)
                .map_or_else(Vec::new, |l| l.iter().map(attr).collect()),
        }
    }
    let v: Value = serde_json::from_str(text).unwrap();
    let slots = |key: &str| -> Vec<u16> {
        v.get(key).and_then(Value::as_array).map_or_else(Vec::new, |l| {
            l.iter().map(|s| u16::try_from(s.as_u64().unwrap()).unwrap()).collect()
        })
    };
    let attrs: Vec<AttrSpec> = v["attrs"].as_array().unwrap().iter().map(attr).collect();
    Layout::new(&attrs, &slots("indexed"), &slots("unique")).unwrap()
}

fn malformed(what: &str) -> DirError {
    DirError::Plan(format!("malformed test plan: {what}"))
}

/// `["and", [p..]]`, `["or", [p..]]`, `["not", p]`, `["const", b]`, `["cmp", slot, sub, op, literal]`,
/// `["pr", slot, sub]`, `["vp", slot, p]`; -1 for no slot / sub; literal `{"s"|"i"|"f"|"b"|"t": ..}`.
fn spec(v: &Value) -> Result<PlanSpec, DirError> {
    let items = v.as_array().ok_or_else(|| malformed("node"))?;
    let arg = |i: usize| items.get(i).ok_or_else(|| malformed("arity"));
    let index = |i: usize| -> Result<Option<u16>, DirError> {
        let n = arg(i)?.as_i64().ok_or_else(|| malformed("index"))?;
        Ok(u16::try_from(n).ok())
    };
    let terms = |i: usize| -> Result<Vec<PlanSpec>, DirError> {
        arg(i)?
            .as_array()
            .ok_or_else(|| malformed("terms"))?
            .iter()
            .map(spec)
            .collect()
    };
    Ok(
        match items.first().and_then(Value::as_str).ok_or_else(|| malformed("tag"))? {
            "const" => PlanSpec::Const(arg(1)?.as_bool().ok_or_else(|| malformed("const"))?),
            "and" => PlanSpec::And(terms(1)?),
            "or" => PlanSpec::Or(terms(1)?),
            "not" => PlanSpec::Not(Box::new(spec(arg(1)?)?)),
            "pr" => PlanSpec::Present {
                slot: index(1)?,
                sub: index(2)?,
            },
            "cmp" => PlanSpec::Compare {
                slot: index(1)?,
                sub: index(2)?,
                op: Op::from_keyword(arg(3)?.as_str().unwrap_or("")).ok_or_else(|| malformed("op"))?,
                literal: literal(arg(4)?)?,
            },
            "vp" => PlanSpec::ValuePath {
                slot: index(1)?.ok_or_else(|| malformed("slot"))?,
                filter: Box::new(spec(arg(2)?)?),
            },
            _ => return Err(malformed("tag")),
        },
    )
}

fn literal(v: &Value) -> Result<Literal, DirError> {
    let (key, v) = v
        .as_object()
        .and_then(|m| m.iter().next())
        .ok_or_else(|| malformed("literal"))?;
    let bad = || malformed("literal");
    Ok(match key.as_str() {
        "s" => Literal::Str(v.as_str().ok_or_else(bad)?.into()),
        "i" => Literal::Int(v.as_i64().ok_or_else(bad)?),
        "f" => Literal::Float(
            v[0].as_f64().ok_or_else(bad)?,
            i8::try_from(v[1].as_i64().ok_or_else(bad)?).map_err(|_| bad())?,
        ),
        "b" => Literal::Bool(v.as_bool().ok_or_else(bad)?),
        "t" => Literal::DateTime(v.as_i64().ok_or_else(bad)?),
        _ => return Err(bad()),
    })
}

fn plan_from_json(text: &str, layout: &Layout) -> Result<Plan, DirError> {
    let value: Value = serde_json::from_str(text).map_err(|e| malformed(&e.to_string()))?;
    Plan::bind(&spec(&value)?, layout)
}

/// `{"slot", "sub", "primary", "multi", "kind", "descending", "idsDescending"}` (-1 for no sub / primary).
fn sort_from_json(text: &str) -> Result<SortSpec, DirError> {
    let v: Value = serde_json::from_str(text).map_err(|e| malformed(&e.to_string()))?;
    let index = |key: &str| v.get(key).and_then(Value::as_i64).and_then(|n| u16::try_from(n).ok());
    let flag = |key: &str| v.get(key).and_then(Value::as_bool).unwrap_or(false);
    Ok(SortSpec {
        slot: index("slot").ok_or_else(|| malformed("slot"))?,
        sub: index("sub"),
        primary: index("primary"),
        multi: flag("multi"),
        kind: match v.get("kind").and_then(Value::as_str) {
            Some("text") => SortKind::Text,
            Some("number") => SortKind::Number,
            Some("bool") => SortKind::Bool,
            Some("datetime") => SortKind::DateTime,
            _ => return Err(malformed("kind")),
        },
        descending: flag("descending"),
        ids_descending: flag("idsDescending"),
    })
}

const LAYOUT: &str = r#"{"attrs": [
  {"name": "id", "type": "string", "caseExact": true},
  {"name": "userName", "type": "string"},
  {"name": "emails", "type": "complex", "multiValued": true, "subs": [
     {"name": "value", "type": "string"}, {"name": "type", "type": "string"}, {"name": "primary", "type": "boolean"}]},
  {"name": "meta", "type": "complex", "subs": [{"name": "created", "type": "dateTime"}]},
  {"name": "age", "type": "integer"},
  {"ext": "urn:x:Ext", "name": "code", "type": "string", "caseExact": true},
  {"ext": "urn:x:Ext", "name": "", "type": "extension"}
], "indexed": [0, 1], "unique": [1]}"#;

fn store() -> Store {
    let mut store = Store::new(layout_from_json(LAYOUT));
    let docs = [
        r#"{"id":"a","userName":"Straße","emails":[{"value":"A@x.org","type":"work"},{"value":"a@home.org","type":"home","primary":true}],"meta":{"created":"2020-01-01T00:00:00Z"},"age":30,"urn:x:Ext":{"code":"AbC"}}"#,
        r#"{"id":"b","userName":"bob","emails":[{"value":"b@home.org","type":"work"}],"meta":{"created":"2020-01-01T02:00:00+01:00"},"age":25.5}"#,
        r#"{"id":"c","userName":"Carol","emails":[],"age":"old"}"#,
        r#"{"id":"d","userName":"","emails":[{}]}"#,
    ];
    let batch = docs
        .iter()
        .map(|d| Prepared::parse(store.layout(), d.as_bytes()).unwrap())
        .collect();
    store.add_many(batch).unwrap();
    store
}

fn ids(store: &Store, plan: &str) -> Vec<String> {
    ids_sorted(store, plan, None, 0, None)
}

fn ids_sorted(store: &Store, plan: &str, sort: Option<&str>, start: usize, count: Option<usize>) -> Vec<String> {
    let plan = plan_from_json(plan, store.layout()).unwrap();
    let sort = sort.map(|s| sort_from_json(s).unwrap());
    let page = store.search(&plan, sort.as_ref(), start, count);
    page.resources
        .iter()
        .map(|json| {
            serde_json::from_slice::<serde_json::Value>(json).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn equality_uses_folded_text_and_the_index() {
    let s = store();
    assert_eq!(ids(&s, r#"["cmp", 1, -1, "eq", {"s": "strasse"}]"#), ["a"]);
    assert_eq!(
        ids(
            &s,
            r#"["and", [["cmp", 1, -1, "eq", {"s": "bob"}], ["cmp", 4, -1, "lt", {"i": 30}]]]"#
        ),
        ["b"]
    );
    assert_eq!(
        ids(
            &s,
            r#"["or", [["cmp", 1, -1, "eq", {"s": "bob"}], ["cmp", 1, -1, "eq", {"s": "carol"}]]]"#
        ),
        ["b", "c"]
    );
    // caseExact id: the case-insensitive index proposes "a", the plan rejects "A".
    assert!(ids(&s, r#"["cmp", 0, -1, "eq", {"s": "A"}]"#).is_empty());
    assert_eq!(ids(&s, r#"["cmp", 5, -1, "eq", {"s": "AbC"}]"#), ["a"]);
    assert!(ids(&s, r#"["cmp", 5, -1, "eq", {"s": "abc"}]"#).is_empty());
}

#[test]
fn any_value_and_value_paths() {
    let s = store();
    // emails.type eq work and emails.value ew home.org: different elements may satisfy each part.
    let split = r#"["and", [["cmp", 2, 1, "eq", {"s": "work"}], ["cmp", 2, 0, "ew", {"s": "home.org"}]]]"#;
    assert_eq!(ids(&s, split), ["a", "b"]);
    let bracket =
        r#"["vp", 2, ["and", [["cmp", -1, 1, "eq", {"s": "work"}], ["cmp", -1, 0, "ew", {"s": "home.org"}]]]]"#;
    assert_eq!(ids(&s, bracket), ["b"]);
    assert_eq!(ids(&s, r#"["not", ["cmp", 2, 1, "eq", {"s": "work"}]]"#), ["c", "d"]);
}

#[test]
fn presence_rules() {
    let s = store();
    assert_eq!(ids(&s, r#"["pr", 1, -1]"#), ["a", "b", "c"]);
    assert_eq!(ids(&s, r#"["pr", 2, -1]"#), ["a", "b"]);
    assert_eq!(ids(&s, r#"["pr", 5, -1]"#), ["a"]);
    assert_eq!(ids(&s, r#"["pr", 6, -1]"#), ["a"]);
    // emptiness is judged on the JSON shape whatever the declared type (docs/semantics.md §Evaluation): a
    // simple attribute holding `{}` is absent, one holding a non-empty object present; a multi-valued one
    // holding a scalar has no values
    let mut odd = Store::new(layout_from_json(LAYOUT));
    let empty = br#"{"id":"o","userName":{},"emails":{"value":"x@y"}}"#;
    let full = br#"{"id":"p","userName":{"a":[""," "]}}"#;
    let docs = [empty.as_slice(), full.as_slice()];
    odd.add_many(docs.iter().map(|d| Prepared::parse(odd.layout(), d).unwrap()).collect())
        .unwrap();
    assert_eq!(ids(&odd, r#"["pr", 1, -1]"#), ["p"]);
    assert!(ids(&odd, r#"["pr", 2, -1]"#).is_empty());
    assert!(ids(&odd, r#"["cmp", 2, 0, "eq", {"s": "x@y"}]"#).is_empty());
}

#[test]
fn datetimes_and_numbers() {
    let s = store();
    let t = parse_datetime("2020-01-01T01:00:00Z").unwrap();
    assert_eq!(ids(&s, &format!(r#"["cmp", 3, 0, "eq", {{"t": {t}}}]"#)), ["b"]);
    assert_eq!(ids(&s, &format!(r#"["cmp", 3, 0, "lt", {{"t": {t}}}]"#)), ["a"]);
    assert_eq!(ids(&s, r#"["cmp", 4, -1, "gt", {"f": [25.4, 0]}]"#), ["a", "b"]);
    assert_eq!(ids(&s, r#"["cmp", 4, -1, "eq", {"i": 30}]"#), ["a"]);
    // 25.5 is exact; a literal just above 25.5 (nearest float 25.5, exact value greater) excludes it.
    assert_eq!(ids(&s, r#"["cmp", 4, -1, "eq", {"f": [25.5, 0]}]"#), ["b"]);
    assert!(ids(&s, r#"["cmp", 4, -1, "eq", {"f": [25.5, -1]}]"#).is_empty());
    assert_eq!(ids(&s, r#"["cmp", 4, -1, "lt", {"f": [25.5, -1]}]"#), ["b"]);
}

#[test]
fn sorting_missing_last_and_paging() {
    let s = store();
    let all = r#"["const", true]"#;
    let asc = r#"{"slot": 4, "sub": -1, "primary": -1, "kind": "number", "descending": false}"#;
    assert_eq!(ids_sorted(&s, all, Some(asc), 0, None), ["b", "a", "c", "d"]);
    let desc = r#"{"slot": 4, "sub": -1, "primary": -1, "kind": "number", "descending": true}"#;
    assert_eq!(ids_sorted(&s, all, Some(desc), 0, None), ["c", "d", "a", "b"]);
    assert_eq!(ids_sorted(&s, all, Some(asc), 1, Some(2)), ["a", "c"]);
    let by_email = r#"{"slot": 2, "sub": 0, "primary": 2, "multi": true, "kind": "text", "descending": false}"#;
    assert_eq!(ids_sorted(&s, all, Some(by_email), 0, Some(3)), ["a", "b", "c"]);
    let page = s.search(&plan_from_json(all, s.layout()).unwrap(), None, 0, Some(0));
    assert_eq!((page.total, page.resources.len()), (4, 0));
}

#[test]
fn uniqueness_replace_delete() {
    let mut s = store();
    let dup = Prepared::parse(s.layout(), br#"{"id":"e","userName":"STRASSE"}"#).unwrap();
    assert!(matches!(s.add_many(vec![dup]), Err(DirError::Uniqueness(_))));
    let dup_id = Prepared::parse(s.layout(), br#"{"id":"a","userName":"new"}"#).unwrap();
    assert!(matches!(s.add_many(vec![dup_id]), Err(DirError::Uniqueness(_))));
    assert_eq!(s.len(), 4);
    let renamed = Prepared::parse(s.layout(), br#"{"id":"b","userName":"Robert"}"#).unwrap();
    s.replace("b", renamed).unwrap();
    assert!(ids(&s, r#"["cmp", 1, -1, "eq", {"s": "bob"}]"#).is_empty());
    assert_eq!(ids(&s, r#"["cmp", 1, -1, "eq", {"s": "robert"}]"#), ["b"]);
    let taken = Prepared::parse(s.layout(), br#"{"id":"b","userName":"carol"}"#).unwrap();
    assert!(matches!(s.replace("b", taken), Err(DirError::Uniqueness(_))));
    s.delete("a").unwrap();
    assert!(matches!(s.delete("a"), Err(DirError::NotFound(_))));
    assert_eq!(s.len(), 3);
    assert!(s.get("a").is_none());
    assert_eq!(ids(&s, r#"["const", true]"#), ["b", "c", "d"]);
}

/// Changes the `i`-th document of a batch of [`users`].
type Edit = Box<dyn Fn(usize, String) -> String>;

/// `n` users `{"id":"u<i>","userName":"User<i>"}`, with `edit(i, doc)` changing some of them.
fn users(layout: &Layout, n: usize, edit: impl Fn(usize, String) -> String) -> Vec<Prepared> {
    (0..n)
        .map(|i| {
            let doc = edit(i, format!(r#"{{"id":"u{i}","userName":"User{i}"}}"#));
            Prepared::parse(layout, doc.as_bytes()).unwrap()
        })
        .collect()
}

#[test]
fn a_conflict_in_a_batch_rejects_all_of_it() {
    // small batches fill the tables on one thread, large ones on several (PARALLEL_FILL)
    for n in [40, 20_000] {
        for threads in [1, 4] {
            let mut s = store();
            s.set_threads(threads);
            let layout = s.layout().clone();
            let last = n - 1;
            let cases: Vec<(Edit, String)> = vec![
                // within the batch: an id, a unique value differing in case only, both in one row (the id first)
                (
                    Box::new(move |i, doc| {
                        if i == last {
                            doc.replace(&format!("u{i}"), "u7")
                        } else {
                            doc
                        }
                    }),
                    r#"a resource with id "u7" already exists"#.into(),
                ),
                (
                    Box::new(move |i, doc| {
                        if i == last {
                            doc.replace(&format!("User{i}"), "USER3")
                        } else {
                            doc
                        }
                    }),
                    r#"userName "user3" is already taken by another resource"#.into(),
                ),
                (
                    Box::new(move |i, doc| {
                        if i == last {
                            r#"{"id":"u2","userName":"user2"}"#.into()
                        } else {
                            doc
                        }
                    }),
                    r#"a resource with id "u2" already exists"#.into(),
                ),
                // against the store; the first conflict in batch order is named
                (
                    Box::new(move |i, doc| match i {
                        5 => doc.replace("User5", "CAROL"),
                        9 => doc.replace("u9", "a"),
                        _ => doc,
                    }),
                    r#"userName "carol" is already taken by another resource"#.into(),
                ),
                (
                    Box::new(move |i, doc| if i == 3 { doc.replace("u3", "b") } else { doc }),
                    r#"a resource with id "b" already exists"#.into(),
                ),
                // a unique value twice in one document
                (
                    Box::new(move |i, doc| {
                        if i == last {
                            r#"{"id":"x","userName":["q","Q"]}"#.into()
                        } else {
                            doc
                        }
                    }),
                    r#"userName "q" is already taken by another resource"#.into(),
                ),
            ];
            for (edit, message) in cases {
                let batch = users(&layout, n, edit);
                assert_eq!(
                    s.add_many(batch),
                    Err(DirError::Uniqueness(message)),
                    "{n} rows, {threads} threads"
                );
                // nothing of the batch was kept: the store is as before, indexes and id map included
                assert_eq!(s.len(), 4);
                assert!(s.get("u1").is_none());
                assert!(ids(&s, r#"["cmp", 1, -1, "eq", {"s": "user1"}]"#).is_empty());
                assert_eq!(ids(&s, r#"["cmp", 1, -1, "eq", {"s": "carol"}]"#), ["c"]);
                assert_eq!(ids(&s, r#"["cmp", 0, -1, "eq", {"s": "b"}]"#), ["b"]);
            }
            s.add_many(users(&layout, n, |_, doc| doc)).unwrap();
            assert_eq!(s.len(), 4 + n);
            assert_eq!(ids(&s, r#"["cmp", 1, -1, "eq", {"s": "user7"}]"#), ["u7"]);
            assert_eq!(
                ids(&s, &format!(r#"["cmp", 0, -1, "eq", {{"s": "u{last}"}}]"#)),
                [format!("u{last}")]
            );
            assert!(s.get("u0").is_some() && s.get("a").is_some());
            let again = users(&layout, 1, |_, doc| doc.replace("User0", "fresh"));
            assert_eq!(
                s.add_many(again),
                Err(DirError::Uniqueness(r#"a resource with id "u0" already exists"#.into()))
            );
        }
    }
}

#[test]
fn parallel_scan_agrees_with_serial() {
    let mut s = Store::new(layout_from_json(LAYOUT));
    let batch = (0..40_000)
        .map(|i| {
            // ids in another order than positions, so that ties on the sort key are broken against it
            let doc = format!(
                r#"{{"id":"u{:05}","userName":"user{i}","age":{}}}"#,
                (i * 7919) % 40_000,
                i % 97
            );
            Prepared::parse(s.layout(), doc.as_bytes()).unwrap()
        })
        .collect();
    s.add_many(batch).unwrap();
    let plan = plan_from_json(r#"["cmp", 4, -1, "lt", {"i": 3}]"#, s.layout()).unwrap();
    let sort =
        sort_from_json(r#"{"slot": 4, "sub": -1, "primary": -1, "kind": "number", "descending": true}"#).unwrap();
    s.set_threads(4);
    let parallel = s.search(&plan, Some(&sort), 5, Some(20));
    s.set_threads(1);
    let serial = s.search(&plan, Some(&sort), 5, Some(20));
    assert_eq!(parallel.total, serial.total);
    assert_eq!(parallel.total, (0..40_000).filter(|i| i % 97 < 3).count());
    assert_eq!(parallel.resources, serial.resources);
    // count 0: the total only, sorted or not, from any start
    for threads in [1, 2] {
        s.set_threads(threads);
        for (sort, start) in [(Some(&sort), 0), (Some(&sort), 7), (None, 0), (None, 3)] {
            let page = s.search(&plan, sort, start, Some(0));
            assert_eq!((page.total, page.resources.len()), (parallel.total, 0));
        }
    }
    assert!(s.heap_bytes() > 40_000 * 30);
    // every row matches: the scan's bounded top-k buffer is cut back many times; the page must be the
    // tree sort's
    let all = plan_from_json(r#"["pr", 4, -1]"#, s.layout()).unwrap();
    let mut expected: Vec<u32> = (0..40_000).collect();
    s.sort_hits(&sort, &mut expected, Some(130));
    let expected: Vec<Arc<[u8]>> = expected[30..130]
        .iter()
        .map(|&p| Arc::clone(s.rows[p as usize].as_ref().unwrap().json()))
        .collect();
    for threads in [1, 2, 4] {
        s.set_threads(threads);
        let page = s.search(&all, Some(&sort), 30, Some(100));
        assert_eq!(page.total, 40_000);
        assert_eq!(page.resources, expected, "{threads} threads");
    }
}

#[test]
fn malformed_input_is_an_error() {
    let layout = layout_from_json(LAYOUT);
    assert!(matches!(Prepared::parse(&layout, b"[1]"), Err(DirError::Syntax(_))));
    assert!(matches!(
        Prepared::parse(&layout, br#"{"id": 5}"#),
        Err(DirError::Syntax(_))
    ));
    assert!(plan_from_json(r#"["cmp", 1]"#, &layout).is_err());
    assert!(plan_from_json(r#"["bogus"]"#, &layout).is_err());
    assert!(plan_from_json(r#"["cmp", 99, -1, "eq", {"i": 1}]"#, &layout).is_err());
    assert!(plan_from_json(r#"["vp", 1, ["const", true]]"#, &layout).is_err());
    assert!(sort_from_json(r#"{"slot": 1}"#).is_err());
}

/// The plans of [`columns_agree_with_trees_across_writes`].
const SCAN_PLANS: &[&str] = &[
    r#"["cmp", 1, -1, "sw", {"s": "user1"}]"#,
    r#"["cmp", 1, -1, "eq", {"s": "user12"}]"#,
    r#"["cmp", 2, 0, "ew", {"s": "10@y.com"}]"#,
    r#"["cmp", 1, -1, "ew", {"s": "99"}]"#,
    r#"["cmp", 1, -1, "ew", {"s": "r12345678901234567"}]"#,
    r#"["cmp", 5, -1, "ew", {"s": "C1"}]"#,
    r#"["vp", 2, ["cmp", -1, 0, "ew", {"s": "@y.com"}]]"#,
    r#"["cmp", 2, 0, "ew", {"s": "0@x.org"}]"#,
    r#"["not", ["cmp", 2, 1, "eq", {"s": "work"}]]"#,
    r#"["vp", 2, ["and", [["cmp", -1, 1, "eq", {"s": "work"}], ["cmp", -1, 0, "ew", {"s": ".org"}]]]]"#,
    r#"["pr", 3, -1]"#,
    r#"["not", ["pr", 5, -1]]"#,
    r#"["or", [["cmp", 4, -1, "ge", {"f": [40.5, 0]}], ["pr", 6, -1]]]"#,
    r#"["cmp", 3, 0, "lt", {"t": 1600000000000000}]"#,
    // dateTime ranges (one pass over the instant words): bounds exactly on stored values (2015-01-01,
    // 2020-01-01), open and closed ends, and an empty range
    r#"["and", [["cmp", 3, 0, "ge", {"t": 1420070400000000}], ["cmp", 3, 0, "lt", {"t": 1577836800000000}]]]"#,
    r#"["and", [["cmp", 3, 0, "le", {"t": 1577836800000000}], ["cmp", 3, 0, "gt", {"t": 1420070400000000}]]]"#,
    r#"["and", [["cmp", 3, 0, "ge", {"t": 1577836800000000}], ["cmp", 3, 0, "lt", {"t": 1420070400000000}]]]"#,
    r#"["and", [["pr", 1, -1], ["not", ["cmp", 3, 0, "eq", {"t": 1420070400000000}]], ["cmp", 3, 0, "le", {"t": 1500000000000000}]]]"#,
    // text words: literals of 1 to 7 bytes judged on the word alone, longer ones checked on the text,
    // a literal starting with NUL, the empty literal
    r#"["cmp", 1, -1, "sw", {"s": "user12"}]"#,
    r#"["cmp", 1, -1, "sw", {"s": "user1234"}]"#,
    r#"["cmp", 1, -1, "eq", {"s": "user1234"}]"#,
    r#"["cmp", 1, -1, "eq", {"s": "user5"}]"#,
    r#"["cmp", 1, -1, "sw", {"s": "\u0000"}]"#,
    r#"["cmp", 1, -1, "sw", {"s": ""}]"#,
    r#"["cmp", 1, -1, "eq", {"s": ""}]"#,
    r#"["pr", 1, -1]"#,
    r#"["vp", 2, ["or", [["cmp", -1, 0, "ew", {"s": ".com"}], ["cmp", -1, 1, "sw", {"s": "hom"}]]]]"#,
    r#"["vp", 2, ["and", [["pr", -1, 0], ["not", ["cmp", -1, 0, "sw", {"s": "u1"}]]]]]"#,
    r#"["or", [["cmp", 2, 0, "ew", {"s": "@x.org"}], ["cmp", 1, -1, "sw", {"s": "user9"}]]]"#,
];

/// The sort specs of [`columns_agree_with_trees_across_writes`].
const SCAN_SORTS: &[&str] = &[
    r#"{"slot": 1, "sub": -1, "primary": -1, "kind": "text", "descending": false}"#,
    r#"{"slot": 4, "sub": -1, "primary": -1, "kind": "number", "descending": true}"#,
    r#"{"slot": 2, "sub": 0, "primary": 2, "multi": true, "kind": "text", "descending": false}"#,
    r#"{"slot": 3, "sub": 0, "primary": -1, "kind": "datetime", "descending": true}"#,
    r#"{"slot": 3, "sub": 0, "primary": -1, "kind": "datetime", "descending": true, "idsDescending": true}"#,
    r#"{"slot": 1, "sub": -1, "primary": -1, "kind": "text", "descending": true, "idsDescending": true}"#,
];

/// Run `check` with the scan loops' AVX2 forms (where the CPU has them) and with their baseline forms.
fn on_both_paths(check: impl Fn()) {
    for wide in [true, false] {
        simd::set_enabled(wide);
        check();
    }
    simd::set_enabled(true);
}

/// Every plan gives the same rows on the columns (full scan) as on the trees, before and after writes that
/// update columns already built (append, replace, delete, a compaction), and sorted pages agree with the
/// tree sort, on both forms of the scan loops.
#[test]
fn columns_agree_with_trees_across_writes() {
    let doc = |i: usize, v: usize| {
        let email = match i % 4 {
            0 => String::new(),
            1 => format!(r#","emails":[{{"value":"U{i}@x.org","type":"Work"}}]"#),
            2 => format!(
                r#","emails":[{{"value":"u{i}@y.com","type":"work"}},{{"value":"h{v}@x.org","type":"home","primary":true}}]"#
            ),
            _ => r#","emails":[{}, "odd", null]"#.to_owned(),
        };
        let age = if i.is_multiple_of(5) {
            r#""old""#.to_owned()
        } else {
            format!("{}", (i * 7 + v) % 60)
        };
        let ext = if i.is_multiple_of(3) {
            format!(r#","urn:x:Ext":{{"code":"C{v}"}}"#)
        } else {
            String::new()
        };
        let meta = if i.is_multiple_of(7) {
            String::new()
        } else {
            format!(r#","meta":{{"created":"20{:02}-01-01T00:00:00Z"}}"#, 10 + (i + v) % 15)
        };
        format!(
            r#"{{"id":"id{i:04}","userName":"User{}"{email},"age":{age}{ext}{meta}}}"#,
            (i * 31 + v) % 100_000
        )
    };
    let mut s = Store::new(layout_from_json(LAYOUT));
    // more rows than one evaluation block (columns::BLOCK), so that block edges and value paths whose
    // elements are no longer contiguous (after replacements) are checked too
    let batch = (0..1300)
        .map(|i| Prepared::parse(s.layout(), doc(i, 0).as_bytes()).unwrap())
        .collect();
    s.add_many(batch).unwrap();
    let check = |s: &Store| {
        for &plan in SCAN_PLANS {
            let parsed = plan_from_json(plan, s.layout()).unwrap();
            let expected: Vec<String> = s
                .rows
                .iter()
                .flatten()
                .filter(|r| parsed.matches(&r.slots(s.layout(), &s.layout().all_slots)))
                .map(|r| r.id().to_string())
                .collect();
            assert_eq!(ids(s, plan), expected, "{plan}");
            for &sort in SCAN_SORTS {
                let spec = sort_from_json(sort).unwrap();
                let positions: Vec<u32> = (0..s.rows.len())
                    .filter(|&p| {
                        s.rows[p]
                            .as_ref()
                            .is_some_and(|r| parsed.matches(&r.slots(s.layout(), &s.layout().all_slots)))
                    })
                    .map(|p| u32::try_from(p).unwrap())
                    .collect();
                let mut tree = positions.clone();
                s.sort_hits(&spec, &mut tree, Some(12));
                let tree: Vec<String> = tree
                    .iter()
                    .map(|&p| s.rows[p as usize].as_ref().unwrap().id().to_string())
                    .collect();
                assert_eq!(ids_sorted(s, plan, Some(sort), 0, Some(12)), tree, "{plan} {sort}");
            }
        }
    };
    on_both_paths(|| check(&s));
    let more = (1300..1340)
        .map(|i| Prepared::parse(s.layout(), doc(i, 0).as_bytes()).unwrap())
        .collect();
    s.add_many(more).unwrap();
    for i in (0..1340).step_by(3) {
        let id = format!("id{i:04}");
        s.replace(&id, Prepared::parse(s.layout(), doc(i, 1).as_bytes()).unwrap())
            .unwrap();
    }
    for i in (1..1340).step_by(11) {
        s.delete(&format!("id{i:04}")).unwrap();
    }
    on_both_paths(|| check(&s));
    // most rows deleted: the store compacts (positions renumbered, columns rebuilt)
    let before = s.rows.len();
    for i in (0..1340).filter(|i| i % 11 != 1 && i % 3 != 0) {
        s.delete(&format!("id{i:04}")).unwrap();
    }
    assert!(s.rows.len() < before, "compacted");
    on_both_paths(|| check(&s));
}

/// `eq` with a text longer than a word's head on a column of few distinct words: decided by the word while
/// every value with it is one text (no row's text read), by the texts once two share it, and by the texts
/// again after the column outgrows its word list.
#[test]
fn equality_on_few_words_agrees_with_the_texts() {
    let mut s = Store::new(layout_from_json(LAYOUT));
    let doc = |id: &str, code: &str| format!(r#"{{"id":"{id}","urn:x:Ext":{{"code":"{code}"}}}}"#);
    let batch = (0..300)
        .map(|i| {
            let code = ["contractor", "employee", "intern"][i % 3];
            Prepared::parse(s.layout(), doc(&format!("u{i:03}"), code).as_bytes()).unwrap()
        })
        .collect();
    s.add_many(batch).unwrap();
    let eq = |code: &str| format!(r#"["cmp", 5, -1, "eq", {{"s": "{code}"}}]"#);
    let expected = |s: &Store, code: &str| -> Vec<String> {
        (0..s.rows.len())
            .filter_map(|p| s.rows[p].as_ref())
            .filter(|r| {
                r.json()
                    .windows(code.len() + 2)
                    .any(|w| *w == *format!("\"{code}\"").as_bytes())
            })
            .map(|r| r.id().to_owned())
            .collect()
    };
    let check = |s: &Store| {
        // "contractxx" and "contractor" share their word (head and length)
        for code in [
            "contractor",
            "contractxx",
            "employee",
            "intern",
            "internal",
            "Contractor",
        ] {
            assert_eq!(ids(s, &eq(code)), expected(s, code), "{code}");
        }
    };
    check(&s);
    assert_eq!(ids(&s, &eq("contractor")).len(), 100);
    s.replace(
        "u000",
        Prepared::parse(s.layout(), doc("u000", "contractxx").as_bytes()).unwrap(),
    )
    .unwrap();
    check(&s);
    let many = (0..1100)
        .map(|i| Prepared::parse(s.layout(), doc(&format!("v{i:04}"), &format!("code-{i:04}")).as_bytes()).unwrap())
        .collect();
    s.add_many(many).unwrap();
    s.replace(
        "u003",
        Prepared::parse(s.layout(), doc("u003", "contractxx").as_bytes()).unwrap(),
    )
    .unwrap();
    check(&s);
}

/// Sort keys shared by thousands of matching rows (a family name): the bounded top-k buffer keeps the rows
/// tied with the k-th key, ranked by `id` (keys of up to 7 bytes and dateTimes), by their next bytes or
/// compared in full (longer keys, some alike in their first 15 bytes); every direction and thread count
/// gives the tree sort's page, before and after a compaction.
#[test]
fn a_walk_shared_by_threads_finds_matches_late_in_the_order() {
    // userName order = position order; the matches are rare in the first three quarters of it and dense
    // after, so the walk of the order crosses many segments before the page is whole
    let mut s = Store::new(layout_from_json(LAYOUT));
    let matching = |i: usize| i >= 30_000 || i.is_multiple_of(997);
    let batch = (0..40_000)
        .map(|i| {
            let doc = format!(
                r#"{{"id":"u{:05}","userName":"user{i:05}","age":{}}}"#,
                (i * 7919) % 40_000,
                u8::from(matching(i))
            );
            Prepared::parse(s.layout(), doc.as_bytes()).unwrap()
        })
        .collect();
    s.add_many(batch).unwrap();
    let plan = plan_from_json(r#"["cmp", 4, -1, "eq", {"i": 1}]"#, s.layout()).unwrap();
    let sort = sort_from_json(r#"{"slot": 1, "sub": -1, "primary": -1, "kind": "text", "descending": false}"#).unwrap();
    let json = |s: &Store, p: usize| Arc::clone(s.rows[p].as_ref().unwrap().json());
    let check = |s: &mut Store, expected: &[usize]| {
        for (start, count) in [(0, 100), (20, 50), (0, 5_000), (9_000, 2_000)] {
            let window: Vec<Arc<[u8]>> = expected.iter().skip(start).take(count).map(|&p| json(s, p)).collect();
            for threads in [1, 2, 4] {
                s.set_threads(threads);
                let page = s.search(&plan, Some(&sort), start, Some(count));
                assert_eq!(page.total, expected.len());
                assert_eq!(page.resources, window, "from {start}, {threads} threads");
            }
        }
    };
    let expected: Vec<usize> = (0..40_000).filter(|&i| matching(i)).collect();
    // the first sorted search builds the order, the others walk it
    check(&mut s, &expected);
    // rows written after the order was built are ranked apart and merged into the walk's page
    for i in [5, 31_000, 39_999] {
        let doc = format!(r#"{{"id":"u{:05}","userName":"aa{i}","age":1}}"#, (i * 7919) % 40_000);
        s.replace(
            &format!("u{:05}", (i * 7919) % 40_000),
            Prepared::parse(s.layout(), doc.as_bytes()).unwrap(),
        )
        .unwrap();
    }
    let mut expected: Vec<usize> = expected
        .into_iter()
        .filter(|&i| ![5, 31_000, 39_999].contains(&i))
        .collect();
    expected.splice(0..0, [31_000, 39_999, 5]);
    check(&mut s, &expected);
}

#[test]
fn sorting_with_many_ties_agrees_with_the_tree_sort() {
    let mut s = Store::new(layout_from_json(LAYOUT));
    let batch = (0..50_000)
        .map(|i| {
            let name = [
                "ann",
                "bo",
                "longer-name-a",
                "longer-name-b",
                "cy",
                "alike-in-sixteen-bytes-x",
                "alike-in-sixteen-bytes",
                // whole keys of 12 and 13 bytes, and keys they tie with in the rank (zero bytes read as padding)
                "prefix-thirte",
                r"prefix-thirte\u0000\u0000z",
                "prefix-thirt",
                r"prefix-thirt\u0000",
            ][i % 11];
            let doc = format!(
                r#"{{"id":"u{:05}","userName":"{name}-{i}","emails":[{{"value":"{name}","type":"work"}}],"meta":{{"created":"20{:02}-01-01T00:00:00Z"}}}}"#,
                (i * 7919) % 50_000,
                10 + i % 3
            );
            Prepared::parse(s.layout(), doc.as_bytes()).unwrap()
        })
        .collect();
    s.add_many(batch).unwrap();
    let plan = plan_from_json(r#"["not", ["cmp", 1, -1, "sw", {"s": "cy"}]]"#, s.layout()).unwrap();
    let sorts = [
        r#"{"slot": 2, "sub": 0, "primary": -1, "multi": true, "kind": "text", "descending": false}"#,
        r#"{"slot": 2, "sub": 0, "primary": -1, "multi": true, "kind": "text", "descending": true}"#,
        r#"{"slot": 2, "sub": 0, "primary": -1, "multi": true, "kind": "text", "descending": true, "idsDescending": true}"#,
        r#"{"slot": 3, "sub": 0, "primary": -1, "kind": "datetime", "descending": false}"#,
        r#"{"slot": 3, "sub": 0, "primary": -1, "kind": "datetime", "descending": true, "idsDescending": true}"#,
    ];
    let check = |s: &mut Store| {
        for sort in sorts {
            let spec = sort_from_json(sort).unwrap();
            let mut expected: Vec<u32> = (0..u32::try_from(s.rows.len()).unwrap())
                .filter(|&p| {
                    s.rows[p as usize]
                        .as_ref()
                        .is_some_and(|r| plan.matches(&r.slots(s.layout(), &s.layout().all_slots)))
                })
                .collect();
            let total = expected.len();
            s.sort_hits(&spec, &mut expected, None);
            let json = |p: u32| Arc::clone(s.rows[p as usize].as_ref().unwrap().json());
            let name = |p: u32| serde_json::from_slice::<Value>(&json(p)).unwrap()["emails"][0]["value"].clone();
            // a page inside a group of equal keys, and, sorted by the name, one across each change of name
            let by_name = sort.contains(r#""kind": "text""#);
            let windows: Vec<(usize, Vec<Arc<[u8]>>)> = std::iter::once(3_000)
                .chain(
                    (1..total)
                        .filter(|&i| by_name && name(expected[i]) != name(expected[i - 1]))
                        .map(|i| i.saturating_sub(50)),
                )
                .map(|start| {
                    (
                        start,
                        expected[start..(start + 100).min(total)]
                            .iter()
                            .map(|&p| json(p))
                            .collect(),
                    )
                })
                .collect();
            for (start, window) in windows {
                for threads in [1, 2] {
                    s.set_threads(threads);
                    let page = s.search(&plan, Some(&spec), start, Some(100));
                    assert_eq!(page.total, total);
                    assert_eq!(page.resources, window, "{sort}, from {start}, {threads} threads");
                }
            }
        }
    };
    check(&mut s);
    // three rows in five deleted: the store compacts, and the ranks still follow the ids
    for i in (0..50_000).filter(|i| i % 5 < 3) {
        s.delete(&format!("u{:05}", (i * 7919) % 50_000)).unwrap();
    }
    assert!(s.rows.len() < 50_000, "compacted");
    check(&mut s);
    // rows rewritten after a sorted scan built the key's rests: the rests follow the writes
    for i in (0..50_000).filter(|i| i % 5 == 3 && i % 7 < 3) {
        let id = format!("u{:05}", (i * 7919) % 50_000);
        let name = ["longer-name-", "prefix-thirt", "alike-in-sixteen-bytes-"][i % 7];
        let doc = format!(
            r#"{{"id":"{id}","userName":"w-{i}","emails":[{{"value":"{name}{}","type":"work"}}],"meta":{{"created":"2011-01-01T00:00:00Z"}}}}"#,
            i % 13
        );
        s.replace(&id, Prepared::parse(s.layout(), doc.as_bytes()).unwrap())
            .unwrap();
    }
    check(&mut s);
}

/// A deterministic generator of JSON documents over the keys of [`LAYOUT`] (xorshift).
struct Documents {
    seed: u64,
}

impl Documents {
    const SCALARS: [&'static str; 19] = [
        "null",
        "true",
        "false",
        "0",
        "-7",
        "18446744073709551615",
        "2.5",
        "1e3",
        r#""""#,
        r#""Ab""#,
        r#""ß""#,
        r#""2020-01-01T00:00:00Z""#,
        r#""not a date""#,
        "[]",
        "{}",
        r#"{"x": ""}"#,
        r#"{"x": 1}"#,
        r#"[null, ""]"#,
        r#"["a", {"x": "y"}]"#,
    ];
    const KEYS: [&'static str; 14] = [
        "id",
        "userName",
        "emails",
        "meta",
        "age",
        "urn:x:Ext",
        "urn:x:Other",
        "unknown",
        "value",
        "type",
        "primary",
        "created",
        "code",
        "resourceType",
    ];

    fn below(&mut self, n: usize) -> usize {
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        usize::try_from(self.seed % n as u64).unwrap()
    }

    fn member(&mut self, depth: u32) -> String {
        let key = Self::KEYS[self.below(Self::KEYS.len())];
        format!(r#""{key}":{}"#, self.value(depth))
    }

    fn value(&mut self, depth: u32) -> String {
        match self.below(if depth > 2 { 1 } else { 3 }) {
            0 => Self::SCALARS[self.below(Self::SCALARS.len())].to_owned(),
            1 => {
                let items: Vec<String> = (0..self.below(4)).map(|_| self.value(depth + 1)).collect();
                format!("[{}]", items.join(","))
            }
            _ => self.object(depth + 1, 5),
        }
    }

    fn object(&mut self, depth: u32, members: usize) -> String {
        let items: Vec<String> = (0..self.below(members)).map(|_| self.member(depth)).collect();
        format!("{{{}}}", items.join(","))
    }
}

/// The selective parse (`value::parse`, trees built straight from the text) builds exactly the trees of the
/// reference conversion from a whole `serde_json` object, for every slot and for each slot alone, over
/// generated documents with repeated keys, unknown keys, wrong types, empty values and nesting.
#[test]
fn selective_parse_agrees_with_the_reference_conversion() {
    let layout = layout_from_json(LAYOUT);
    let mut documents = Documents {
        seed: 0x2545_f491_4f6c_dd1d,
    };
    let mut built = 0;
    for _ in 0..3000 {
        let doc = documents.object(0, 9);
        let object: serde_json::Map<String, Value> = serde_json::from_str(&doc).unwrap();
        let expected = value::reference::scan_slots(&layout, &object);
        let parsed = value::parse(&layout, doc.as_bytes(), &layout.all_slots).unwrap();
        assert_eq!(parsed.slots, expected, "{doc}");
        built += expected.len();
        let id = match object.get("id") {
            Some(Value::String(id)) if !id.is_empty() => Some(id.clone()),
            _ => None,
        };
        assert_eq!(parsed.id, id, "{doc}");
        for slot in 0..layout.attrs.len() {
            let only = value::parse(&layout, doc.as_bytes(), &layout.mask([u16::try_from(slot).unwrap()])).unwrap();
            let want: Vec<(u16, Node)> = expected.iter().filter(|(s, _)| *s as usize == slot).cloned().collect();
            assert_eq!(&*only.slots, &want[..], "{doc} slot {slot}");
        }
    }
    assert!(
        built > 3000,
        "the generated documents hold the layout's keys ({built} trees)"
    );
    assert!(value::parse(&layout, b"[1]", &layout.all_slots).is_err());
    assert!(value::parse(&layout, br#"{"id": "a"} x"#, &layout.all_slots).is_err());
}

/// A write reads a document's id and index keys straight from the text (`value::read_keys`): the same id,
/// keys, `meta` completeness, flag and errors as the keys taken from the trees of the indexed slots, over the
/// generated documents and some malformed ones.
#[test]
fn keys_read_from_the_text_agree_with_the_trees() {
    let layout = layout_from_json(LAYOUT);
    assert!(layout.direct_keys);
    let mut documents = Documents {
        seed: 0x9e37_79b9_7f4a_7c15,
    };
    let mut keyed_docs = 0;
    // half of them start with a string id and a userName (which later members may replace)
    let names = [
        r#""Straße""#,
        r#"["A","b",["c"],{"x":"y"},1,"A"]"#,
        r#""ΣΊΣ""#,
        "null",
        "[]",
    ];
    let mut docs: Vec<String> = (0..4000)
        .map(|n| {
            let doc = documents.object(0, 9);
            let name = names[n / 2 % names.len()];
            match (n % 2, doc.strip_prefix('{')) {
                (0, Some("}")) => format!(r#"{{"id":"d{n}","userName":{name}}}"#),
                (0, Some(rest)) => format!(r#"{{"id":"d{n}","userName":{name},{rest}"#),
                _ => doc,
            }
        })
        .collect();
    docs.extend(
        [
            r#"{"id":"a","userName":1e400}"#,
            r#"{"id":"a","userName":["x",[1e400]]}"#,
            r#"{"id":"a","userName":"\ud800"}"#,
            r#"{"id":"a","userName":"x",}"#,
            r#"{"id":"a\u0062","userName":["B",{"v":"c"},["d"],"E"],"userName":["Straße"],"id":"z"}"#,
            r#"{"id":"Ab","emails":[1e400]}"#,
            r#"["id"]"#,
        ]
        .map(str::to_owned),
    );
    for doc in &docs {
        let trees = value::parse_flagged(&layout, doc.as_bytes(), &layout.index_slots, Some("age"));
        let keyed = value::read_keys(&layout, doc.as_bytes(), Some("age"));
        let (trees, keyed) = match (trees, keyed) {
            (Ok(trees), Ok(keyed)) => (trees, keyed),
            (Err(a), Err(b)) => {
                assert_eq!(a.to_string(), b.to_string(), "{doc}");
                continue;
            }
            (a, b) => panic!("{doc}: {a:?} / {b:?}"),
        };
        assert_eq!(keyed.id.as_deref(), trees.id.as_deref(), "{doc}");
        assert_eq!(
            (keyed.meta_complete, keyed.flagged),
            (trees.meta_complete, trees.flagged),
            "{doc}"
        );
        // the keys matter for documents that are stored: those with a string id
        if trees.id.is_some() {
            let expected: Vec<(u16, u32)> = store::index_keys(&layout, &trees.slots).collect();
            assert_eq!(keyed.keys, expected, "{doc}");
            keyed_docs += usize::from(expected.len() > 1);
        }
    }
    assert!(keyed_docs > 500, "{keyed_docs} documents with an id and a userName");
    // a layout indexing an extension attribute builds trees for its keys
    let mut v: Value = serde_json::from_str(LAYOUT).unwrap();
    v["indexed"] = serde_json::json!([0, 5]);
    let ext = layout_from_json(&v.to_string());
    assert!(!ext.direct_keys);
    let mut s = Store::new(ext);
    let doc = br#"{"id":"a","urn:x:Ext":{"code":"K1"}}"#;
    s.add_many(vec![Prepared::parse(s.layout(), doc).unwrap()]).unwrap();
    assert_eq!(ids(&s, r#"["cmp", 5, -1, "eq", {"s": "K1"}]"#), ["a"]);
}

/// `meta` is complete (an import stored as it is) when it holds its four attributes as strings.
#[test]
fn meta_completeness() {
    let layout = layout_from_json(LAYOUT);
    let complete = |doc: &str| {
        value::parse(&layout, doc.as_bytes(), &layout.index_slots)
            .unwrap()
            .meta_complete
    };
    assert!(complete(
        r#"{"meta": {"resourceType": "User", "created": "x", "lastModified": "2020-01-01T00:00:00Z", "version": "v"}}"#
    ));
    assert!(!complete(
        r#"{"meta": {"resourceType": "User", "created": null, "lastModified": "x", "version": "v"}}"#
    ));
    assert!(!complete(
        r#"{"meta": {"resourceType": "User", "lastModified": "x", "version": "v"}}"#
    ));
    assert!(!complete(r#"{"meta": [1]}"#) && !complete(r#"{"id": "a"}"#));
    assert!(!complete(
        r#"{"meta": {"resourceType": "User", "created": "x", "lastModified": "x", "version": "v"}, "meta": {}}"#
    ));
}

/// A row's id is read from a span of its JSON, or kept beside it when the JSON only has it escaped.
#[test]
fn ids_written_with_escapes() {
    let mut s = Store::new(layout_from_json(LAYOUT));
    let docs: [&[u8]; 3] = [
        br#"{"id":"a\u0062c","userName":"one"}"#,
        br#"{"userName":"xyz","id":"x\u0079z"}"#,
        br#"{"id":"plain","userName":"two"}"#,
    ];
    let batch = Prepared::parse_batch(s.layout(), &docs, None)
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    s.add_many(batch).unwrap();
    for (id, doc) in ["abc", "xyz", "plain"].into_iter().zip(docs) {
        assert_eq!(s.get(id).as_deref(), Some(doc), "{id}");
    }
    assert_eq!(ids(&s, r#"["cmp", 0, -1, "eq", {"s": "abc"}]"#), ["abc"]);
    s.delete("xyz").unwrap();
    assert!(s.get("xyz").is_none() && s.get("abc").is_some());
}
