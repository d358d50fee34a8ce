//! [`Filters`] and the bit of JSON writing the query values need.

use alloc::string::String;
use alloc::vec::Vec;

/// Docker's `filters` query value: a map of filter names to lists of values, sent as JSON
/// (`{"status":["exited"],"label":["a=b","c"]}`). Names keep the order they were first added.
///
/// ```
/// use docksock_api::Filters;
///
/// let f = Filters::new().with("label", "a=b").with("status", "exited").with("label", "c");
/// assert_eq!(f.to_json(), r#"{"label":["a=b","c"],"status":["exited"]}"#);
/// assert!(Filters::new().is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Filters {
    entries: Vec<(String, Vec<String>)>,
}

impl Filters {
    /// No filter.
    pub const fn new() -> Filters {
        Filters {
            entries: Vec::new(),
        }
    }

    /// Adds `value` to the filter `name`.
    pub fn add(&mut self, name: &str, value: &str) -> &mut Filters {
        match self.entries.iter_mut().find(|(n, _)| n == name) {
            Some((_, values)) => values.push(value.into()),
            None => self.entries.push((name.into(), alloc::vec![value.into()])),
        }
        self
    }

    /// [`add`](Self::add), by value.
    #[must_use]
    pub fn with(mut self, name: &str, value: &str) -> Filters {
        self.add(name, value);
        self
    }

    /// True when there is no filter.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The filters, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.entries.iter().map(|(n, v)| (n.as_str(), v.as_slice()))
    }

    /// The JSON text sent as the `filters` query value.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{");
        for (i, (name, values)) in self.entries.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json_string(&mut out, name);
            out.push_str(":[");
            for (j, v) in values.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                json_string(&mut out, v);
            }
            out.push(']');
        }
        out.push('}');
        out
    }
}

impl<'a, const N: usize> From<[(&'a str, &'a str); N]> for Filters {
    fn from(pairs: [(&'a str, &'a str); N]) -> Filters {
        let mut f = Filters::new();
        for (n, v) in pairs {
            f.add(n, v);
        }
        f
    }
}

/// Appends `s` to `out` as a JSON string (quotes, escapes for `"`, `\` and control
/// characters).
///
/// ```
/// let mut out = String::new();
/// docksock_api::json_string(&mut out, "a\"b\\c\nd\u{1}");
/// assert_eq!(out, r#""a\"b\\c\nd\u0001""#);
/// ```
pub fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let b = c as u32 as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[b >> 4]));
                out.push(char::from(HEX[b & 15]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A JSON object of string values (`{"A":"1","B":"x"}`), for build args and labels.
pub(crate) fn json_object(pairs: &[(String, String)]) -> String {
    let mut out = String::from("{");
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_string(&mut out, k);
        out.push(':');
        json_string(&mut out, v);
    }
    out.push('}');
    out
}
