//! The head of a response copied out of the connection's buffer: the status line, and the
//! header fields kept as one owned copy of the field lines, read back with the core's iterator.

use std::fmt;

use docksock_proto::{BodyKind, Head, HeaderIter, Headers};

use crate::calls::Ping;

/// What of a response head is copied out of the connection's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keep {
    /// All of it: the reason and every field (a [`Response`](crate::Response)).
    All,
    /// For a 2xx answer to `GET /_ping`, only what [`Ping`] tells (read from the buffer in
    /// one pass over the fields, nothing else copied); any other head is kept whole.
    Ping,
}

/// A response head, copied out of the connection's buffer: the status, the reason, and the
/// field lines as one owned copy (read back with the core's iterator) — or, for [`Keep::Ping`]
/// and a 2xx head, the status and the [`Ping`] fields alone (the reason and the fields left
/// empty).
#[derive(Debug)]
pub(crate) struct OwnedHead {
    pub(crate) status: u16,
    pub(crate) reason: String,
    pub(crate) headers: ResponseHeaders,
    pub(crate) body: BodyKind,
    /// The [`Ping`] fields (its body empty), when kept that way.
    pub(crate) ping: Option<Ping>,
}

impl OwnedHead {
    pub(crate) fn new(head: &Head<'_>, keep: Keep) -> Self {
        if keep == Keep::Ping && (200..300).contains(&head.status()) {
            return OwnedHead {
                status: head.status(),
                reason: String::new(),
                headers: ResponseHeaders::default(),
                body: head.body_kind(),
                ping: Some(ping_fields(head.headers())),
            };
        }
        OwnedHead {
            status: head.status(),
            reason: String::from_utf8_lossy(head.reason()).into_owned(),
            headers: ResponseHeaders::new(head.headers()),
            body: head.body_kind(),
            ping: None,
        }
    }
}

/// What a `/_ping` answer's fields tell ([`Ping`], its body left empty), in one pass: the first
/// non-empty value of each field (ASCII case-insensitive names), values decoded lossily as
/// UTF-8 — the same as [`ResponseHeaders::get`] would give.
pub(crate) fn ping_fields(headers: Headers<'_>) -> Ping {
    let mut ping = Ping {
        body: String::new(),
        api_version: None,
        os_type: None,
        experimental: false,
        builder_version: None,
    };
    let mut experimental = false;
    let text = |v: &[u8]| Some(String::from_utf8_lossy(v).into_owned());
    for h in headers {
        if h.value.is_empty() {
            continue;
        }
        let name = h.name;
        if ping.api_version.is_none() && name.eq_ignore_ascii_case("Api-Version") {
            ping.api_version = text(h.value);
        } else if ping.os_type.is_none() && name.eq_ignore_ascii_case("Ostype") {
            ping.os_type = text(h.value);
        } else if !experimental && name.eq_ignore_ascii_case("Docker-Experimental") {
            experimental = true;
            ping.experimental = h.value == b"true";
        } else if ping.builder_version.is_none() && name.eq_ignore_ascii_case("Builder-Version") {
            ping.builder_version = text(h.value);
        }
    }
    ping
}

/// The header fields of a [`Response`](crate::Response), in the order received, duplicates
/// kept.
///
/// They are stored as one copy of the field lines as the daemon sent them (one allocation per
/// response) and read back with the core's [`Headers`] iterator; values that are not UTF-8
/// are decoded lossily (invalid bytes become U+FFFD) once, when the response arrives.
///
/// ```no_run
/// let docker = docksock::Client::from_env()?;
/// let resp = docker.request("GET", "/_ping", &[], &[], &[], docksock::Body::empty())?;
/// assert_eq!(resp.headers.get("api-version"), resp.header("Api-Version"));
/// for (name, value) in &resp.headers {
///     println!("{name}: {value}");
/// }
/// # Ok::<(), docksock::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct ResponseHeaders {
    /// The field lines, each ending in CRLF, without the final empty line (the core's
    /// [`Headers::raw`]), as UTF-8.
    raw: Box<str>,
    count: usize,
}

impl ResponseHeaders {
    /// Copies the fields of a head decoded by the core.
    pub(crate) fn new(headers: Headers<'_>) -> ResponseHeaders {
        let raw = headers.raw();
        let raw: Box<str> = match std::str::from_utf8(raw) {
            Ok(s) => Box::from(s),
            // Lossy decoding of the whole section equals lossy decoding of each value: names,
            // `:`, whitespace and CRLF are ASCII, and an invalid sequence never spans an ASCII
            // byte, so the lines (and their trimming) are unchanged.
            Err(_) => String::from_utf8_lossy(raw).into_owned().into_boxed_str(),
        };
        ResponseHeaders {
            raw,
            count: headers.len(),
        }
    }

    /// The value of the first field with this name (ASCII case-insensitive), without its
    /// surrounding whitespace. A field with an empty value counts as absent (Podman sends
    /// `Builder-Version:` with nothing after it), also for [`contains`](Self::contains);
    /// [`get_all`](Self::get_all) and [`iter`](Self::iter) show the fields as sent.
    pub fn get(&self, name: &str) -> Option<&str> {
        let [value] = self.get_each([name]);
        value
    }

    /// The first non-empty value of each of `names` (ASCII case-insensitive), in one pass over
    /// the fields.
    pub(crate) fn get_each<const N: usize>(&self, names: [&str; N]) -> [Option<&str>; N] {
        let mut found = [None; N];
        let mut missing = N;
        for h in self.as_proto() {
            for (name, slot) in names.iter().zip(found.iter_mut()) {
                if slot.is_none() && !h.value.is_empty() && h.name.eq_ignore_ascii_case(name) {
                    *slot = Some(utf8(h.value));
                    missing -= 1;
                }
            }
            if missing == 0 {
                break;
            }
        }
        found
    }

    /// The values of every field with this name (ASCII case-insensitive), in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// True when a field with this name (ASCII case-insensitive) is present with a non-empty
    /// value.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The fields in order as `(name, value)` pairs.
    pub fn iter(&self) -> ResponseHeaderIter<'_> {
        ResponseHeaderIter {
            inner: self.as_proto().iter(),
        }
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when the response had no header field.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The fields as the core's zero-copy [`Headers`] view (values as bytes).
    pub fn as_proto(&self) -> Headers<'_> {
        Headers::from_raw(self.raw.as_bytes())
    }

    /// The field lines, each ending in CRLF, without the final empty line.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The fields copied into owned `(name, value)` pairs.
    pub fn to_vec(&self) -> Vec<(String, String)> {
        self.iter()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect()
    }
}

/// Equal when the same fields come in the same order (whitespace around values aside).
impl PartialEq for ResponseHeaders {
    fn eq(&self, other: &ResponseHeaders) -> bool {
        self.count == other.count && self.iter().eq(other.iter())
    }
}

impl Eq for ResponseHeaders {}

impl fmt::Debug for ResponseHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for &'a ResponseHeaders {
    type Item = (&'a str, &'a str);
    type IntoIter = ResponseHeaderIter<'a>;

    fn into_iter(self) -> ResponseHeaderIter<'a> {
        self.iter()
    }
}

/// The fields of a [`ResponseHeaders`] as `(name, value)` pairs.
#[derive(Debug, Clone)]
pub struct ResponseHeaderIter<'a> {
    inner: HeaderIter<'a>,
}

impl<'a> Iterator for ResponseHeaderIter<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<(&'a str, &'a str)> {
        let h = self.inner.next()?;
        Some((h.name, utf8(h.value)))
    }
}

/// A value read back from [`ResponseHeaders`]: a piece of a `str` cut at ASCII bytes, so
/// always UTF-8.
fn utf8(value: &[u8]) -> &str {
    std::str::from_utf8(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use docksock_proto::{Event, ResponseDecoder};

    fn decode(head: &[u8]) -> ResponseHeaders {
        let mut decoder = ResponseDecoder::new("GET");
        match decoder.decode(head).unwrap().event {
            Event::Head(h) => ResponseHeaders::new(h.headers()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn fields_in_order_with_duplicates() {
        let h = decode(
            b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nX-A:  one \r\nx-a:\ttwo\r\nEmpty:\r\n\
              Content-Length: 0\r\n\r\n",
        );
        assert_eq!(h.len(), 5);
        assert!(!h.is_empty());
        assert_eq!(h.get("api-version"), Some("1.41"));
        assert_eq!(h.get("X-A"), Some("one"));
        assert_eq!(h.get_all("X-A").collect::<Vec<_>>(), ["one", "two"]);
        // An empty value is absent for `get` and `contains`; the iterators show it.
        assert_eq!(h.get("empty"), None);
        assert!(!h.contains("empty"));
        assert_eq!(h.get("Missing"), None);
        assert!(h.contains("CONTENT-LENGTH") && !h.contains("Content"));
        assert_eq!(
            h.get_each(["x-a", "nope", "Empty", "X-A"]),
            [Some("one"), None, None, Some("one")]
        );
        let pairs: Vec<(&str, &str)> = h.iter().collect();
        assert_eq!(
            pairs,
            [
                ("Api-Version", "1.41"),
                ("X-A", "one"),
                ("x-a", "two"),
                ("Empty", ""),
                ("Content-Length", "0")
            ]
        );
        let mut names = Vec::new();
        for (name, _) in &h {
            names.push(name);
        }
        assert_eq!(
            names,
            ["Api-Version", "X-A", "x-a", "Empty", "Content-Length"]
        );
        assert_eq!(h.to_vec()[2], ("x-a".to_owned(), "two".to_owned()));
        assert_eq!(
            format!("{h:?}"),
            r#"[("Api-Version", "1.41"), ("X-A", "one"), ("x-a", "two"), ("Empty", ""), ("Content-Length", "0")]"#
        );
        assert_eq!(h.as_proto().len(), 5);
        assert_eq!(h.as_proto().get("x-a"), Some(&b"one"[..]));
        assert!(h.raw().starts_with("Api-Version: 1.41\r\n"));
    }

    #[test]
    fn an_empty_value_gives_way_to_a_later_field_of_the_name() {
        let h = decode(b"HTTP/1.1 200 OK\r\nBuilder-Version:\r\nbuilder-version: 2\r\n\r\n");
        assert_eq!(h.get("Builder-Version"), Some("2"));
        let h = decode(b"HTTP/1.1 200 OK\r\nBuilder-Version: \r\nContent-Length: 0\r\n\r\n");
        assert_eq!(h.get("Builder-Version"), None);
    }

    #[test]
    fn values_are_decoded_lossily_like_before() {
        // Opaque bytes (obs-text) in values: each value decodes as `from_utf8_lossy` of its own
        // bytes would (the former per-field `String`s).
        let raw: &[u8] = b"HTTP/1.1 200 OK\r\nA: caf\xc3\xa9\r\nB: \xe2\x82 \r\nC:\xff\xfe x\r\n\
                           D: ok\r\nContent-Length: 0\r\n\r\n";
        let h = decode(raw);
        assert_eq!(h.get("a"), Some("café"));
        assert_eq!(h.get("b"), Some("\u{fffd}"));
        assert_eq!(h.get("c"), Some("\u{fffd}\u{fffd} x"));
        assert_eq!(h.get("d"), Some("ok"));
        let mut decoder = ResponseDecoder::new("GET");
        let Event::Head(head) = decoder.decode(raw).unwrap().event else {
            panic!("no head")
        };
        let per_field: Vec<(String, String)> = head
            .headers()
            .iter()
            .map(|f| {
                (
                    f.name.to_owned(),
                    String::from_utf8_lossy(f.value).into_owned(),
                )
            })
            .collect();
        assert_eq!(h.to_vec(), per_field);
    }

    #[test]
    fn no_fields() {
        let h = decode(b"HTTP/1.1 204 No Content\r\n\r\n");
        assert!(h.is_empty());
        assert_eq!(h.iter().count(), 0);
        assert_eq!(h.get("a"), None);
        assert_eq!(h, ResponseHeaders::default());
    }

    #[test]
    fn equal_fields_are_equal() {
        let a = decode(b"HTTP/1.1 200 OK\r\nA: 1\r\nB:2\r\n\r\n");
        let b = decode(b"HTTP/1.1 200 OK\r\nA:1 \r\nB:\t2\r\n\r\n");
        let c = decode(b"HTTP/1.1 200 OK\r\nB: 2\r\nA: 1\r\n\r\n");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.clone(), a);
    }
}
