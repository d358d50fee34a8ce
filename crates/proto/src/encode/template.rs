//! Path templates (`/containers/{id}/json`) and header values: what the encoder accepts.

use super::misuse;
use crate::chars::is_unreserved;
use crate::{Error, MisuseError};

/// A header value: visible ASCII, SP and HTAB only, no leading or trailing SP/HTAB. Empty is
/// allowed.
pub(super) fn is_header_value(v: &[u8]) -> bool {
    let ows = |b: &u8| *b == b' ' || *b == b'\t';
    v.iter().all(|&b| b == b'\t' || (0x20..=0x7e).contains(&b))
        && !v.first().is_some_and(ows)
        && !v.last().is_some_and(ows)
}

/// A literal byte of a path template: RFC 3986 `pchar` without `%` (pct-encoded), or `/`.
pub(super) fn is_path_literal(b: u8) -> bool {
    is_unreserved(b)
        || matches!(
            b,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
                | b'/'
        )
}

/// A byte of a placeholder name.
pub(super) fn is_placeholder_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// A piece of a path template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Piece<'t> {
    /// Literal text (with its slashes), written as is.
    Literal(&'t str),
    /// A `{name}` placeholder, by name.
    Placeholder(&'t str),
}

/// Walks a path template, validating it, and calls `f` for each piece in order.
pub(super) fn walk_template<'t>(
    t: &'t str,
    mut f: impl FnMut(Piece<'t>) -> Result<(), Error>,
) -> Result<(), Error> {
    let invalid = misuse(MisuseError::InvalidPathTemplate);
    let bytes = t.as_bytes();
    if bytes.first() != Some(&b'/') {
        return Err(invalid);
    }
    // The segment being read: literal bytes, whether they are all dots, any placeholder.
    let mut seg_len = 0usize;
    let mut seg_dots = true;
    let mut seg_placeholder = false;
    let segment_ok =
        |len: usize, dots: bool, placeholder: bool| placeholder || (len > 0 && !(dots && len <= 2));

    let mut lit_start = 0usize;
    let mut i = 1usize;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'{' => {
                let name_len = bytes
                    .get(i + 1..)
                    .unwrap_or(&[])
                    .iter()
                    .take_while(|&&c| is_placeholder_byte(c))
                    .count();
                let close = i + 1 + name_len;
                if name_len == 0 || bytes.get(close) != Some(&b'}') {
                    return Err(invalid);
                }
                if lit_start < i {
                    f(Piece::Literal(t.get(lit_start..i).ok_or(invalid)?))?;
                }
                f(Piece::Placeholder(t.get(i + 1..close).ok_or(invalid)?))?;
                seg_placeholder = true;
                i = close + 1;
                lit_start = i;
            }
            b'/' => {
                if !segment_ok(seg_len, seg_dots, seg_placeholder) {
                    return Err(invalid);
                }
                seg_len = 0;
                seg_dots = true;
                seg_placeholder = false;
                i += 1;
            }
            b if is_path_literal(b) => {
                seg_len += 1;
                seg_dots &= b == b'.';
                i += 1;
            }
            _ => return Err(invalid),
        }
    }
    // The last segment; `/` alone is the root path.
    if t.len() > 1 && !segment_ok(seg_len, seg_dots, seg_placeholder) {
        return Err(invalid);
    }
    if lit_start < bytes.len() {
        f(Piece::Literal(t.get(lit_start..).ok_or(invalid)?))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;

    #[test]
    fn template_walk() {
        let mut pieces = std::vec::Vec::new();
        walk_template("/a/{id}/b{x}c", |p| {
            pieces.push(p);
            Ok(())
        })
        .unwrap();
        assert_eq!(
            pieces,
            [
                Piece::Literal("/a/"),
                Piece::Placeholder("id"),
                Piece::Literal("/b"),
                Piece::Placeholder("x"),
                Piece::Literal("c"),
            ]
        );
        for bad in [
            "", "a", "/a//b", "/a/", "/./a", "/a/..", "/{", "/{}", "/{a", "/a}", "/{a{b}}", "/a?b",
            "/a#b", "/a%20", "/a b", "/é", "/a\r\n",
        ] {
            assert!(walk_template(bad, |_| Ok(())).is_err(), "{bad:?}");
        }
        for ok in [
            "/",
            "/_ping",
            "/a/.../b",
            "/a.b/{x}.",
            "/{a}/..{b}",
            "/a:b@c!$&'()*+,;=~",
        ] {
            assert!(walk_template(ok, |_| Ok(())).is_ok(), "{ok:?}");
        }
    }
}
