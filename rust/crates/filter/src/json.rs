//! JSON output of the AST, in the shape `python/scimcore/filter/ast.py` decodes (msgspec tagged Structs):
//! `{"node":"compare","path":P,"op":"eq","value":V}`, `{"node":"and","terms":[..]}`, ...; absent optional
//! fields are omitted. Written into one buffer, without recursion (a tree can be as deep as the limits allow).

use crate::ast::{AttrPath, Filter, PatchPath, Value};

/// Serialises an AST node to the JSON the Python side decodes.
pub trait ToJson {
    /// Appends this value's JSON to `out`.
    fn write_json(&self, out: &mut Vec<u8>);

    /// This value's JSON.
    fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        self.write_json(&mut out);
        out
    }
}

/// Appends `s` as a JSON string: `"` and `\` escaped, control characters as escapes, the rest raw UTF-8.
fn write_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0C => b"\\f",
            0..=0x1F => &[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xF)],
            ],
            _ => continue,
        };
        out.extend_from_slice(&bytes[run..i]);
        out.extend_from_slice(escape);
        run = i + 1;
    }
    out.extend_from_slice(&bytes[run..]);
    out.push(b'"');
}

impl ToJson for AttrPath {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"name\":");
        write_str(out, &self.name);
        if let Some(uri) = &self.uri {
            out.extend_from_slice(b",\"uri\":");
            write_str(out, uri);
        }
        if let Some(sub) = &self.sub {
            out.extend_from_slice(b",\"sub\":");
            write_str(out, sub);
        }
        out.push(b'}');
    }
}

impl ToJson for Value {
    fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Self::String(s) => write_str(out, s),
            Self::Number(n) => out.extend_from_slice(n.as_bytes()),
            Self::Bool(true) => out.extend_from_slice(b"true"),
            Self::Bool(false) => out.extend_from_slice(b"false"),
            Self::Null => out.extend_from_slice(b"null"),
        }
    }
}

/// Work still to do while writing a filter: a node, or literal text closing an enclosing node.
enum Step<'f> {
    Node(&'f Filter),
    Text(&'static [u8]),
}

impl ToJson for Filter {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut steps = vec![Step::Node(self)];
        while let Some(step) = steps.pop() {
            let node = match step {
                Step::Text(text) => {
                    out.extend_from_slice(text);
                    continue;
                }
                Step::Node(node) => node,
            };
            match node {
                Filter::Compare(c) => {
                    out.extend_from_slice(b"{\"node\":\"compare\",\"path\":");
                    c.path.write_json(out);
                    out.extend_from_slice(b",\"op\":\"");
                    out.extend_from_slice(c.op.as_str().as_bytes());
                    out.extend_from_slice(b"\",\"value\":");
                    c.value.write_json(out);
                    out.push(b'}');
                }
                Filter::Present(path) => {
                    out.extend_from_slice(b"{\"node\":\"present\",\"path\":");
                    path.write_json(out);
                    out.push(b'}');
                }
                Filter::And(terms) | Filter::Or(terms) => {
                    let tag: &[u8] = if matches!(node, Filter::And(_)) { b"and" } else { b"or" };
                    out.extend_from_slice(b"{\"node\":\"");
                    out.extend_from_slice(tag);
                    out.extend_from_slice(b"\",\"terms\":[");
                    steps.push(Step::Text(b"]}"));
                    for (i, term) in terms.iter().enumerate().rev() {
                        steps.push(Step::Node(term));
                        if i > 0 {
                            steps.push(Step::Text(b","));
                        }
                    }
                }
                Filter::Not(inner) => {
                    out.extend_from_slice(b"{\"node\":\"not\",\"filter\":");
                    steps.push(Step::Text(b"}"));
                    steps.push(Step::Node(inner));
                }
                Filter::ValuePath(vp) => {
                    out.extend_from_slice(b"{\"node\":\"valuePath\",\"path\":");
                    vp.path.write_json(out);
                    out.extend_from_slice(b",\"filter\":");
                    steps.push(Step::Text(b"}"));
                    steps.push(Step::Node(&vp.filter));
                }
            }
        }
    }
}

impl ToJson for PatchPath {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"path\":");
        self.path.write_json(out);
        if let Some(filter) = &self.filter {
            out.extend_from_slice(b",\"filter\":");
            filter.write_json(out);
        }
        if let Some(sub) = &self.sub {
            out.extend_from_slice(b",\"sub\":");
            write_str(out, sub);
        }
        out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::{Compare, CompareOp};

    fn text(value: &impl ToJson) -> String {
        String::from_utf8(value.to_json()).unwrap()
    }

    #[test]
    fn strings_escape_quotes_backslashes_and_controls() {
        let mut out = Vec::new();
        write_str(&mut out, "a\"b\\c\nd\u{1}é\u{7f}");
        assert_eq!(String::from_utf8(out).unwrap(), "\"a\\\"b\\\\c\\nd\\u0001é\u{7f}\"");
    }

    #[test]
    fn nodes_have_the_python_shape() {
        let path = AttrPath {
            uri: Some("urn:x".into()),
            name: "emails".into(),
            sub: None,
        };
        let cmp = Filter::Compare(Compare {
            path: AttrPath::named("type"),
            op: CompareOp::Eq,
            value: Value::Null,
        });
        let filter = Filter::Or(vec![
            Filter::Not(Box::new(Filter::Present(AttrPath::named("a")))),
            Filter::ValuePath(crate::ast::ValuePath {
                path,
                filter: Box::new(cmp),
            }),
        ]);
        assert_eq!(
            text(&filter),
            concat!(
                r#"{"node":"or","terms":[{"node":"not","filter":{"node":"present","path":{"name":"a"}}},"#,
                r#"{"node":"valuePath","path":{"name":"emails","uri":"urn:x"},"#,
                r#""filter":{"node":"compare","path":{"name":"type"},"op":"eq","value":null}}]}"#
            )
        );
        let patch_path = PatchPath {
            path: AttrPath::named("members"),
            filter: None,
            sub: Some("display".into()),
        };
        assert_eq!(text(&patch_path), r#"{"path":{"name":"members"},"sub":"display"}"#);
    }

    #[test]
    fn deep_trees_are_written_without_recursion() {
        let mut f = Filter::Present(AttrPath::named("a"));
        for _ in 0..200_000 {
            f = Filter::Not(Box::new(f));
        }
        let json = f.to_json();
        assert!(json.starts_with(b"{\"node\":\"not\",\"filter\":{\"node\":\"not\""));
        assert!(json.ends_with(&vec![b'}'; 200_000 + 2]));
    }
}
