//! WebSocket (RFC 6455) for `GET /containers/{id}/attach/ws`, sans-IO: the opening handshake
//! and the frame codec.
//!
//! * The handshake: [`RequestSpec::websocket`](crate::encode::RequestSpec::websocket) writes
//!   `Connection: Upgrade`, `Upgrade: websocket`, `Sec-WebSocket-Version: 13` and the
//!   `Sec-WebSocket-Key` of the caller's 16 random bytes ([`encode_key`]); the
//!   [`exchange`](crate::exchange) checks the `101` answer with [`check_response`] (the
//!   `Sec-WebSocket-Accept` must be [`accept_for`] the key) and fails the connection with a
//!   [`PeerError`](crate::PeerError) otherwise. Only `101` upgrades a WebSocket request: any
//!   other status is an ordinary response.
//! * After the `101` the connection carries frames: [`FrameDecoder`] reads the server's
//!   (unmasked) frames from any split of the stream; [`encode_frame`], [`encode_header`],
//!   [`apply_mask`] and [`encode_close`] write the client's, masked with a key the caller
//!   draws at random for each frame (RFC 6455 §5.3), into the caller's buffer.
//!
//! The session rules an adapter follows: answer every [`FrameEvent::Ping`] with a pong of
//! the same payload; send a close frame to end its side (dockerd takes it as the end of
//! stdin) and none after it; after the peer's [`FrameEvent::Close`], answer with a close if it
//! sent none yet, and expect the connection to end.
//!
//! What dockerd does (moby's `wsContainersAttach`, `golang.org/x/net/websocket`): no `Origin`
//! is required; output comes as one frame per write, binary from API 1.28 on (text before),
//! never multiplexed (stdout and stderr share the stream); it answers pings; it drops the
//! connection on an unmasked client frame; it sends a close frame (1000) when the attach ends.

mod frame;
mod handshake;
mod sha1;

pub use frame::{
    apply_mask, encode_close, encode_frame, encode_header, header_len, is_valid_close_code,
    FrameDecoder, FrameEvent, MessageKind, Opcode, DEFAULT_MAX_PAYLOAD, MAX_CONTROL_PAYLOAD,
    MAX_HEADER_LEN,
};
pub use handshake::{accept_for, check_response, encode_key, GUID, VERSION};

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use super::sha1::sha1;

    fn hex(d: &[u8]) -> alloc::string::String {
        use core::fmt::Write;
        let mut s = alloc::string::String::new();
        for b in d {
            let _ = write!(s, "{b:02x}");
        }
        s
    }

    #[test]
    fn sha1_known_answers() {
        // FIPS 180 examples, and the padding boundaries (55, 56, 64 bytes).
        assert_eq!(
            hex(&sha1(&[b""])),
            "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        );
        assert_eq!(
            hex(&sha1(&[b"abc"])),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            hex(&sha1(&[
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            ])),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        assert_eq!(
            hex(&sha1(&[
                b"abcdbcdecdefdefgefgh",
                b"fghighijhijkijkljklmklmnlmnomnopnopq"
            ])),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        assert_eq!(
            hex(&sha1(&[&[b'a'; 55]])),
            "c1c8bbdc22796e28c0e15163d20899b65621d65a"
        );
        assert_eq!(
            hex(&sha1(&[&[b'a'; 56]])),
            "c2db330f6083854c99d4b5bfb6e8f29f201be699"
        );
        assert_eq!(
            hex(&sha1(&[&[b'a'; 64]])),
            "0098ba824b5c16427bd7a1122a5a442a25ec644d"
        );
        assert_eq!(
            hex(&sha1(&[&[b'a'; 1000]])),
            "291e9a6c66994949b57ba5e650361e98fc36b1ba"
        );
    }
}
