//! The opening handshake (RFC 6455 §4): the client's key, the accept value the server must
//! answer with, and the check of the `101` answer.

use crate::head::Head;
use crate::{Error, PeerError};

use super::sha1::sha1;

/// The GUID a server appends to the key before hashing (RFC 6455 §1.3).
pub const GUID: &[u8; 36] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The `Sec-WebSocket-Version` this crate speaks (RFC 6455 §4.1).
pub const VERSION: &str = "13";

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Base64 (RFC 4648 §4, with padding) of `input` into `out`, which holds exactly
/// `4 * ceil(input.len() / 3)` bytes.
fn base64<const N: usize>(input: &[u8]) -> [u8; N] {
    let mut out = [b'='; N];
    let sym = |v: u32| ALPHABET.get((v & 63) as usize).copied().unwrap_or(b'=');
    for (chunk, dst) in input.chunks(3).zip(out.chunks_mut(4)) {
        let b0 = u32::from(chunk.first().copied().unwrap_or(0));
        let b1 = u32::from(chunk.get(1).copied().unwrap_or(0));
        let b2 = u32::from(chunk.get(2).copied().unwrap_or(0));
        let v = (b0 << 16) | (b1 << 8) | b2;
        let digits = [sym(v >> 18), sym(v >> 12), sym(v >> 6), sym(v)];
        // One input byte gives two digits, two give three, three give four.
        for (slot, d) in dst.iter_mut().zip(digits).take(chunk.len() + 1) {
            *slot = d;
        }
    }
    out
}

/// The `Sec-WebSocket-Key` value for the 16 random bytes `key`: their base64, 24 ASCII bytes.
///
/// ```
/// use docksock_proto::websocket::encode_key;
///
/// // The example of RFC 6455 §4.1 (the bytes 0x01..=0x10).
/// let key: [u8; 16] = core::array::from_fn(|i| i as u8 + 1);
/// assert_eq!(&encode_key(&key), b"AQIDBAUGBwgJCgsMDQ4PEA==");
/// ```
pub fn encode_key(key: &[u8; 16]) -> [u8; 24] {
    base64(key)
}

/// The `Sec-WebSocket-Accept` value a server must answer the key `encoded_key` (the header's
/// value as sent) with: base64(SHA-1(key + [`GUID`])), 28 ASCII bytes.
///
/// ```
/// use docksock_proto::websocket::accept_for;
///
/// // RFC 6455 §1.3.
/// assert_eq!(&accept_for(b"dGhlIHNhbXBsZSBub25jZQ=="), b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
/// ```
pub fn accept_for(encoded_key: &[u8]) -> [u8; 28] {
    base64(&sha1(&[encoded_key, GUID]))
}

/// Checks the `101 Switching Protocols` answer to a handshake sent with `key` (RFC 6455
/// §4.1, the client's checks 2 to 6): `Upgrade: websocket` (case-insensitive), a `Connection`
/// field with the `upgrade` token, `Sec-WebSocket-Accept` equal to [`accept_for`] the key, and
/// no `Sec-WebSocket-Extensions` or `Sec-WebSocket-Protocol` (this client asks for none).
///
/// # Errors
///
/// [`PeerError::WebSocketNotUpgraded`] for a status other than 101 or a missing or wrong
/// `Upgrade` or `Connection`; [`PeerError::WebSocketAcceptMismatch`] for a missing, repeated
/// or wrong `Sec-WebSocket-Accept`; [`PeerError::WebSocketUnrequestedExtension`] for an
/// extension or subprotocol that was not asked for.
pub fn check_response(head: &Head<'_>, key: &[u8; 16]) -> Result<(), Error> {
    if head.status() != 101 {
        return Err(PeerError::WebSocketNotUpgraded.into());
    }
    let mut upgrade = false;
    let mut connection = false;
    let mut accept: Option<&[u8]> = None;
    let mut accepts = 0usize;
    for h in head.headers() {
        let name = h.name;
        if name.eq_ignore_ascii_case("Upgrade") {
            upgrade |= h.value.eq_ignore_ascii_case(b"websocket");
        } else if name.eq_ignore_ascii_case("Connection") {
            connection |= h
                .value
                .split(|&b| b == b',')
                .any(|t| trim(t).eq_ignore_ascii_case(b"upgrade"));
        } else if name.eq_ignore_ascii_case("Sec-WebSocket-Accept") {
            accept = Some(h.value);
            accepts += 1;
        } else if name.eq_ignore_ascii_case("Sec-WebSocket-Extensions")
            || name.eq_ignore_ascii_case("Sec-WebSocket-Protocol")
        {
            return Err(PeerError::WebSocketUnrequestedExtension.into());
        }
    }
    if !upgrade || !connection {
        return Err(PeerError::WebSocketNotUpgraded.into());
    }
    let expected = accept_for(&encode_key(key));
    match accept {
        Some(v) if accepts == 1 && v == expected => Ok(()),
        _ => Err(PeerError::WebSocketAcceptMismatch.into()),
    }
}

/// `s` without leading and trailing SP and HTAB.
fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}
