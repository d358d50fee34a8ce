//! WebSocket (RFC 6455): the frame decoder fed every vector whole, byte by byte, at every
//! two-way split and at pseudo-random splits (the collected events must be identical); the
//! examples of RFC 6455 §5.7 as vectors; the client frame encoder; the opening handshake's key,
//! accept value and `101` check; encode → decode round trips as properties.

use docksock_proto::encode::RequestSpec;
use docksock_proto::websocket::{
    accept_for, apply_mask, check_response, encode_close, encode_frame, encode_header, encode_key,
    header_len, is_valid_close_code, FrameDecoder, FrameEvent, MessageKind, Opcode,
    DEFAULT_MAX_PAYLOAD, MAX_CONTROL_PAYLOAD,
};
use docksock_proto::{Error, Event, MisuseError, PeerError, ResponseDecoder};
use proptest::prelude::*;

#[path = "support/split.rs"]
mod split;

use split::{arb_cuts, cuts_for, pieces_at, splittings};

/// What the decoder reported, with data pieces joined per frame.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ev {
    Frame {
        kind: MessageKind,
        payload: Vec<u8>,
        message_end: bool,
    },
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(Option<u16>, Vec<u8>),
}

/// Feeds `pieces` to a decoder with cap `max`, then `finish`; checks the call contract (slices
/// at the tail of what was consumed, `NeedMore` only once the input is used up, poisoning).
fn run(max: u64, pieces: &[&[u8]]) -> (Vec<Ev>, Result<(), Error>) {
    let mut d = FrameDecoder::new(max);
    let mut out = Vec::new();
    let mut open: Option<(MessageKind, Vec<u8>)> = None;
    for piece in pieces {
        let mut input: &[u8] = piece;
        loop {
            let (used, event) = match d.decode(input) {
                Ok(r) => r,
                Err(e) => {
                    assert_eq!(d.decode(b"x"), Err(e), "an error poisons");
                    assert_eq!(d.finish(), Err(e));
                    assert_eq!(d.error(), Some(e));
                    return (out, Err(e));
                }
            };
            assert!(used <= input.len());
            match event {
                FrameEvent::NeedMore => {
                    assert_eq!(used, input.len(), "NeedMore uses every byte");
                    break;
                }
                FrameEvent::Data {
                    kind,
                    data,
                    frame_end,
                    message_end,
                } => {
                    assert_eq!(data, &input[used - data.len()..used], "a tail slice");
                    assert!(!message_end || frame_end);
                    let (k, buf) = open.get_or_insert_with(|| (kind, Vec::new()));
                    assert_eq!(*k, kind, "one kind per frame");
                    buf.extend_from_slice(data);
                    if frame_end {
                        let (kind, payload) = open.take().unwrap();
                        out.push(Ev::Frame {
                            kind,
                            payload,
                            message_end,
                        });
                    }
                }
                FrameEvent::Ping => out.push(Ev::Ping(d.control_payload().to_vec())),
                FrameEvent::Pong => out.push(Ev::Pong(d.control_payload().to_vec())),
                FrameEvent::Close { code } => {
                    assert!(d.is_closed());
                    out.push(Ev::Close(code, d.close_reason().to_vec()));
                }
                other => panic!("unknown event {other:?}"),
            }
            input = &input[used..];
        }
    }
    (out, d.finish())
}

/// `wire` fed every way: each splitting gives the same result, which is returned.
fn decode_all(max: u64, wire: &[u8]) -> (Vec<Ev>, Result<(), Error>) {
    let whole = run(max, &[wire]);
    for pieces in splittings(wire, 64, 40) {
        assert_eq!(run(max, &pieces), whole, "split {pieces:?}");
    }
    whole
}

fn frame(kind: MessageKind, payload: &[u8], message_end: bool) -> Ev {
    Ev::Frame {
        kind,
        payload: payload.to_vec(),
        message_end,
    }
}

fn peer(e: PeerError) -> Result<(), Error> {
    Err(Error::Peer(e))
}

/// A server (unmasked) frame.
fn server_frame(b0: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![b0];
    let n = payload.len();
    if n < 126 {
        out.push(n as u8);
    } else if n <= 0xFFFF {
        out.push(126);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(127);
        out.extend_from_slice(&(n as u64).to_be_bytes());
    }
    out.extend_from_slice(payload);
    out
}

use MessageKind::{Binary, Text};

#[test]
fn rfc_6455_examples_decode() {
    // §5.7: a single-frame unmasked text message.
    let hello = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    assert_eq!(
        decode_all(1024, &hello),
        (vec![frame(Text, b"Hello", true)], Ok(()))
    );
    // A fragmented unmasked text message.
    let frag = [0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f];
    assert_eq!(
        decode_all(1024, &frag),
        (
            vec![frame(Text, b"Hel", false), frame(Text, b"lo", true)],
            Ok(())
        )
    );
    // An unmasked ping.
    let ping = [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    assert_eq!(
        decode_all(1024, &ping),
        (vec![Ev::Ping(b"Hello".to_vec())], Ok(()))
    );
    // 256 bytes binary in a single unmasked frame (16-bit length).
    let mut b256 = vec![0x82, 0x7E, 0x01, 0x00];
    let payload: Vec<u8> = (0..=255).collect();
    b256.extend_from_slice(&payload);
    assert_eq!(
        decode_all(1024, &b256),
        (vec![frame(Binary, &payload, true)], Ok(()))
    );
    // 64 KiB binary in a single unmasked frame (64-bit length).
    let mut b64k = vec![0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0];
    let payload: Vec<u8> = (0..65536u32).map(|i| (i % 251) as u8).collect();
    b64k.extend_from_slice(&payload);
    let whole = run(1 << 20, &[&b64k]);
    assert_eq!(whole, (vec![frame(Binary, &payload, true)], Ok(())));
    assert_eq!(run(1 << 20, &b64k.chunks(1).collect::<Vec<_>>()), whole);
    assert_eq!(run(1 << 20, &b64k.chunks(1000).collect::<Vec<_>>()), whole);
    // The masked examples are client frames: a client refuses them.
    let masked = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    assert_eq!(
        decode_all(1024, &masked),
        (vec![], peer(PeerError::WebSocketMaskedFrame))
    );
}

#[test]
fn rfc_6455_examples_encode() {
    let key = [0x37, 0xfa, 0x21, 0x3d];
    let mut out = [0u8; 64];
    let n = encode_frame(true, Opcode::Text, b"Hello", key, &mut out).unwrap();
    assert_eq!(
        &out[..n],
        &[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
    );
    let n = encode_frame(true, Opcode::Pong, b"Hello", key, &mut out).unwrap();
    assert_eq!(
        &out[..n],
        &[0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
    );
    // 16- and 64-bit lengths, with the mask bit.
    let mut h = [0u8; 14];
    assert_eq!(
        encode_header(true, Opcode::Binary, 256, [1, 2, 3, 4], &mut h),
        Ok(8)
    );
    assert_eq!(&h[..8], &[0x82, 0xFE, 0x01, 0x00, 1, 2, 3, 4]);
    assert_eq!(
        encode_header(false, Opcode::Binary, 65536, [1, 2, 3, 4], &mut h),
        Ok(14)
    );
    assert_eq!(&h, &[0x02, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4]);
    assert_eq!(
        encode_header(true, Opcode::Continuation, 125, [9; 4], &mut h),
        Ok(6)
    );
    assert_eq!(&h[..6], &[0x80, 0x80 | 125, 9, 9, 9, 9]);
    assert_eq!(
        encode_header(true, Opcode::Binary, 126, [9; 4], &mut h),
        Ok(8)
    );
    assert_eq!(&h[..4], &[0x82, 0xFE, 0, 126]);
    assert_eq!(
        encode_header(true, Opcode::Binary, 0xFFFF, [9; 4], &mut h),
        Ok(8)
    );
    assert_eq!(&h[..4], &[0x82, 0xFE, 0xFF, 0xFF]);
    assert_eq!(
        encode_header(true, Opcode::Binary, 0x1_0000, [9; 4], &mut h),
        Ok(14)
    );
    assert_eq!(
        (header_len(125), header_len(126), header_len(0xFFFF)),
        (6, 8, 8)
    );
    assert_eq!(header_len(0x1_0000), 14);
}

#[test]
fn encoder_refuses_misuse_and_writes_nothing() {
    let mut out = [0xAAu8; 300];
    let e = |m| Err(Error::Misuse(m));
    assert_eq!(
        encode_frame(false, Opcode::Ping, b"", [0; 4], &mut out),
        e(MisuseError::WebSocketControlFrame)
    );
    assert_eq!(
        encode_frame(true, Opcode::Close, &[0; 126], [0; 4], &mut out),
        e(MisuseError::WebSocketControlFrame)
    );
    assert_eq!(
        encode_header(true, Opcode::Pong, 126, [0; 4], &mut out),
        e(MisuseError::WebSocketControlFrame)
    );
    assert_eq!(
        encode_header(false, Opcode::Pong, 0, [0; 4], &mut out),
        e(MisuseError::WebSocketControlFrame)
    );
    assert!(encode_frame(true, Opcode::Ping, &[0; 125], [0; 4], &mut out).is_ok());
    out = [0xAA; 300];
    assert_eq!(
        encode_frame(true, Opcode::Binary, &[1; 10], [0; 4], &mut out[..15]),
        e(MisuseError::BufferTooSmall { needed: 16 })
    );
    assert_eq!(
        encode_header(true, Opcode::Binary, 200, [0; 4], &mut out[..7]),
        e(MisuseError::BufferTooSmall { needed: 8 })
    );
    assert!(out.iter().all(|&b| b == 0xAA), "nothing written");
    assert_eq!(
        encode_close(Some(1005), b"", [0; 4], &mut out),
        e(MisuseError::WebSocketCloseCode)
    );
    assert_eq!(
        encode_close(None, b"why", [0; 4], &mut out),
        e(MisuseError::WebSocketCloseCode)
    );
    assert_eq!(
        encode_close(Some(1000), &[b'x'; 124], [0; 4], &mut out),
        e(MisuseError::WebSocketControlFrame)
    );
    let n = encode_close(Some(1000), &[b'x'; 123], [0; 4], &mut out).unwrap();
    assert_eq!(&out[..4], &[0x88, 0x80 | 125, 0, 0]);
    assert_eq!(n, 6 + 125);
    let n = encode_close(None, b"", [1, 2, 3, 4], &mut out).unwrap();
    assert_eq!(&out[..n], &[0x88, 0x80, 1, 2, 3, 4]);
    let n = encode_close(Some(1000), b"ok", [0, 0, 0, 0], &mut out).unwrap();
    assert_eq!(&out[..n], &[0x88, 0x84, 0, 0, 0, 0, 0x03, 0xE8, b'o', b'k']);
}

#[test]
fn close_codes() {
    for (code, ok) in [
        (999, false),
        (1000, true),
        (1003, true),
        (1004, false),
        (1005, false),
        (1006, false),
        (1007, true),
        (1014, true),
        (1015, false),
        (1016, false),
        (2999, false),
        (3000, true),
        (4999, true),
        (5000, false),
    ] {
        assert_eq!(is_valid_close_code(code), ok, "{code}");
    }
}

#[test]
fn mask_is_resumable_and_its_own_inverse() {
    let key = [0x37, 0xfa, 0x21, 0x3d];
    let data: Vec<u8> = (0..=50).collect();
    let mut whole = data.clone();
    apply_mask(key, 0, &mut whole);
    for cut in 0..data.len() {
        let mut pieces = data.clone();
        let (a, b) = pieces.split_at_mut(cut);
        apply_mask(key, 0, a);
        apply_mask(key, cut as u64, b);
        assert_eq!(pieces, whole, "cut {cut}");
    }
    apply_mask(key, 0, &mut whole);
    assert_eq!(whole, data);
}

/// A named decoder vector: its bytes, the events and the final result it must give.
type Case = (&'static str, Vec<u8>, Vec<Ev>, Result<(), Error>);

/// Decoder vectors: each with what it must give.
#[test]
fn decoder_vectors() {
    let close = |code: u16, reason: &[u8]| {
        let mut p = code.to_be_bytes().to_vec();
        p.extend_from_slice(reason);
        server_frame(0x88, &p)
    };
    let cat = |parts: &[&[u8]]| parts.concat();
    let cases: Vec<Case> = vec![
        ("empty stream", vec![], vec![], Ok(())),
        (
            "empty binary frame",
            vec![0x82, 0x00],
            vec![frame(Binary, b"", true)],
            Ok(()),
        ),
        (
            "empty fragments",
            vec![0x02, 0x00, 0x00, 0x00, 0x80, 0x00],
            vec![
                frame(Binary, b"", false),
                frame(Binary, b"", false),
                frame(Binary, b"", true),
            ],
            Ok(()),
        ),
        (
            "a control frame inside a fragmented message",
            cat(&[
                &server_frame(0x01, b"ab"),
                &server_frame(0x89, b"p"),
                &server_frame(0x80, b"c"),
            ]),
            vec![
                frame(Text, b"ab", false),
                Ev::Ping(b"p".to_vec()),
                frame(Text, b"c", true),
            ],
            Ok(()),
        ),
        (
            "pong, empty ping",
            cat(&[&server_frame(0x8A, b"xyz"), &[0x89, 0x00]]),
            vec![Ev::Pong(b"xyz".to_vec()), Ev::Ping(vec![])],
            Ok(()),
        ),
        (
            "125-byte ping",
            server_frame(0x89, &[7; 125]),
            vec![Ev::Ping(vec![7; 125])],
            Ok(()),
        ),
        (
            "close with code and reason",
            close(1000, b"bye"),
            vec![Ev::Close(Some(1000), b"bye".to_vec())],
            Ok(()),
        ),
        (
            "empty close",
            vec![0x88, 0x00],
            vec![Ev::Close(None, vec![])],
            Ok(()),
        ),
        (
            "close code 4999",
            close(4999, b""),
            vec![Ev::Close(Some(4999), vec![])],
            Ok(()),
        ),
        (
            "bytes after close",
            cat(&[&close(1000, b""), &[0x82]]),
            vec![Ev::Close(Some(1000), vec![])],
            peer(PeerError::WebSocketDataAfterClose),
        ),
        (
            "one-byte close",
            vec![0x88, 0x01, 0x03],
            vec![],
            peer(PeerError::WebSocketInvalidClose),
        ),
        (
            "close code 1005",
            close(1005, b""),
            vec![],
            peer(PeerError::WebSocketInvalidClose),
        ),
        (
            "close code 999",
            close(999, b""),
            vec![],
            peer(PeerError::WebSocketInvalidClose),
        ),
        (
            "close code 2000",
            close(2000, b""),
            vec![],
            peer(PeerError::WebSocketInvalidClose),
        ),
        (
            "RSV1",
            vec![0xC2, 0x00],
            vec![],
            peer(PeerError::WebSocketReservedBits),
        ),
        (
            "RSV2",
            vec![0xA2, 0x00],
            vec![],
            peer(PeerError::WebSocketReservedBits),
        ),
        (
            "RSV3",
            vec![0x92, 0x00],
            vec![],
            peer(PeerError::WebSocketReservedBits),
        ),
        (
            "opcode 3",
            vec![0x83, 0x00],
            vec![],
            peer(PeerError::WebSocketUnknownOpcode),
        ),
        (
            "opcode 7",
            vec![0x87, 0x00],
            vec![],
            peer(PeerError::WebSocketUnknownOpcode),
        ),
        (
            "opcode 0xB",
            vec![0x8B, 0x00],
            vec![],
            peer(PeerError::WebSocketUnknownOpcode),
        ),
        (
            "opcode 0xF",
            vec![0x8F, 0x00],
            vec![],
            peer(PeerError::WebSocketUnknownOpcode),
        ),
        (
            "masked",
            vec![0x82, 0x80, 1, 2, 3, 4],
            vec![],
            peer(PeerError::WebSocketMaskedFrame),
        ),
        (
            "fragmented ping",
            vec![0x09, 0x00],
            vec![],
            peer(PeerError::WebSocketInvalidControlFrame),
        ),
        (
            "126-byte ping",
            cat(&[&[0x89, 126, 0, 126], &[0; 126]]),
            vec![],
            peer(PeerError::WebSocketInvalidControlFrame),
        ),
        (
            "fragmented close",
            vec![0x08, 0x00],
            vec![],
            peer(PeerError::WebSocketInvalidControlFrame),
        ),
        (
            "continuation first",
            server_frame(0x80, b"x"),
            vec![],
            peer(PeerError::WebSocketInvalidContinuation),
        ),
        (
            "a new message inside a fragmented one",
            cat(&[&server_frame(0x02, b"a"), &server_frame(0x81, b"b")]),
            vec![frame(Binary, b"a", false)],
            peer(PeerError::WebSocketInvalidContinuation),
        ),
        (
            "continuation after a whole message",
            cat(&[&server_frame(0x82, b"a"), &server_frame(0x80, b"b")]),
            vec![frame(Binary, b"a", true)],
            peer(PeerError::WebSocketInvalidContinuation),
        ),
        (
            "16-bit length below 126",
            vec![0x82, 126, 0, 125],
            vec![],
            peer(PeerError::WebSocketNonMinimalLength),
        ),
        (
            "64-bit length below 65536",
            vec![0x82, 127, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF],
            vec![],
            peer(PeerError::WebSocketNonMinimalLength),
        ),
        (
            "64-bit length with the top bit",
            vec![0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0],
            vec![],
            peer(PeerError::WebSocketNonMinimalLength),
        ),
        (
            "truncated header",
            vec![0x82],
            vec![],
            peer(PeerError::TruncatedWebSocketFrame),
        ),
        (
            "truncated length",
            vec![0x82, 126, 1],
            vec![],
            peer(PeerError::TruncatedWebSocketFrame),
        ),
        (
            "truncated payload",
            vec![0x82, 0x03, b'a'],
            vec![],
            peer(PeerError::TruncatedWebSocketFrame),
        ),
        (
            "truncated control payload",
            vec![0x89, 0x03, b'a'],
            vec![],
            peer(PeerError::TruncatedWebSocketFrame),
        ),
        (
            "ended inside a fragmented message",
            server_frame(0x02, b"ab"),
            vec![frame(Binary, b"ab", false)],
            peer(PeerError::TruncatedWebSocketFrame),
        ),
        (
            "text then binary",
            cat(&[&server_frame(0x81, b"t"), &server_frame(0x82, b"b")]),
            vec![frame(Text, b"t", true), frame(Binary, b"b", true)],
            Ok(()),
        ),
    ];
    for (name, wire, events, result) in cases {
        assert_eq!(decode_all(1024, &wire), (events, result), "{name}");
    }
}

#[test]
fn payload_cap_is_hit_exactly_at_the_limit() {
    // At the cap: accepted; one past: refused as soon as the header is whole.
    let at = server_frame(0x82, &[1; 200]);
    assert_eq!(
        decode_all(200, &at),
        (vec![frame(Binary, &[1; 200], true)], Ok(()))
    );
    assert_eq!(
        decode_all(199, &at[..4]),
        (vec![], peer(PeerError::WebSocketFrameTooLarge))
    );
    let small = server_frame(0x82, &[1; 5]);
    assert_eq!(decode_all(5, &small).1, Ok(()));
    assert_eq!(
        decode_all(4, &small).1,
        peer(PeerError::WebSocketFrameTooLarge)
    );
    // The cap does not apply to control frames below it? It does: a ping longer than the cap.
    assert_eq!(
        decode_all(0, &[0x89, 0x01, 0]).1,
        peer(PeerError::WebSocketFrameTooLarge)
    );
    assert_eq!(decode_all(0, &[0x89, 0x00]).1, Ok(()));
    assert_eq!(
        FrameDecoder::default(),
        FrameDecoder::new(DEFAULT_MAX_PAYLOAD)
    );
    // The default cap is 16 MiB: a header declaring exactly that is taken, one byte more is
    // refused from the header alone.
    let header = |len: u64| {
        let mut h = vec![0x82, 127];
        h.extend_from_slice(&len.to_be_bytes());
        h
    };
    assert!(FrameDecoder::default().decode(&header(16 << 20)).is_ok());
    assert_eq!(
        FrameDecoder::default()
            .decode(&header((16 << 20) + 1))
            .map(|_| ()),
        peer(PeerError::WebSocketFrameTooLarge)
    );
    // A 64-bit length past any buffer, refused from its header alone.
    let huge = [0x82, 127, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
    assert_eq!(
        decode_all(u64::MAX, &huge).1,
        peer(PeerError::TruncatedWebSocketFrame)
    );
    assert_eq!(
        decode_all(DEFAULT_MAX_PAYLOAD, &huge).1,
        peer(PeerError::WebSocketFrameTooLarge)
    );
}

#[test]
fn decoder_state_queries() {
    let mut d = FrameDecoder::new(100);
    assert!(d.is_idle() && !d.is_closed() && d.error().is_none());
    let (used, ev) = d.decode(&[0x02, 0x01]).unwrap();
    assert_eq!((used, ev), (2, FrameEvent::NeedMore));
    assert!(!d.is_idle());
    let (used, ev) = d.decode(b"xy").unwrap();
    assert_eq!(used, 1);
    assert!(matches!(
        ev,
        FrameEvent::Data {
            frame_end: true,
            message_end: false,
            ..
        }
    ));
    assert!(!d.is_idle(), "a fragmented message is open");
    let (_, ev) = d.decode(&[0x80, 0x00]).unwrap();
    assert!(matches!(
        ev,
        FrameEvent::Data {
            message_end: true,
            ..
        }
    ));
    assert!(d.is_idle());
    let (_, ev) = d.decode(&[0x88, 0x02, 0x03, 0xE8]).unwrap();
    assert_eq!(ev, FrameEvent::Close { code: Some(1000) });
    assert_eq!(d.control_payload(), &[0x03, 0xE8]);
    assert_eq!(d.close_reason(), b"");
    assert!(d.is_closed() && d.is_idle());
    assert_eq!(d.decode(&[]), Ok((0, FrameEvent::NeedMore)));
    assert_eq!(d.finish(), Ok(()));
}

#[test]
fn opcodes() {
    for bits in 0..16u8 {
        match Opcode::from_bits(bits) {
            Some(op) => {
                assert_eq!(op.bits(), bits);
                assert_eq!(op.is_control(), bits >= 8);
            }
            None => assert!(matches!(bits, 3..=7 | 11..=15), "{bits}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The handshake.
// ---------------------------------------------------------------------------------------------

#[test]
fn key_and_accept() {
    // RFC 6455 §1.3 and §4.2.2.
    assert_eq!(
        &accept_for(b"dGhlIHNhbXBsZSBub25jZQ=="),
        b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
    let sample = *b"the sample nonce";
    assert_eq!(&encode_key(&sample), b"dGhlIHNhbXBsZSBub25jZQ==");
    assert_eq!(&encode_key(&[0; 16]), b"AAAAAAAAAAAAAAAAAAAAAA==");
    assert_eq!(&encode_key(&[0xFF; 16]), b"/////////////////////w==");
}

#[test]
fn the_request_carries_the_handshake() {
    let key = *b"the sample nonce";
    let spec = RequestSpec::new("GET", "/containers/{id}/attach/ws")
        .params(&[("id", docksock_proto::encode::PathParam::Plain("web"))])
        .query(&[("stream", "1")])
        .websocket(Some(key));
    let mut wire = Vec::new();
    spec.encode_vec(&mut wire).unwrap();
    assert_eq!(
        String::from_utf8(wire).unwrap(),
        "GET /containers/web/attach/ws?stream=1 HTTP/1.1\r\nHost: api.moby.localhost\r\n\
         Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    );
    let both = spec.upgrade(true);
    assert_eq!(
        both.encoded_len(),
        Err(Error::Misuse(MisuseError::ConflictingUpgrade))
    );
    for name in ["Sec-WebSocket-Key", "sec-websocket-version"] {
        let h = [(name, "x")];
        assert_eq!(
            RequestSpec::new("GET", "/x").headers(&h).encoded_len(),
            Err(Error::Misuse(MisuseError::ReservedHeader)),
            "{name}"
        );
    }
}

/// The head of `wire` (a whole response head).
fn check(wire: &str, key: &[u8; 16]) -> Result<(), Error> {
    let mut d = ResponseDecoder::new("GET");
    match d.decode(wire.as_bytes()).unwrap().event {
        Event::Upgrade(head) | Event::Head(head) => check_response(&head, key),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_answer_is_checked() {
    let key = *b"the sample nonce";
    let ok = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    assert_eq!(check(ok, &key), Ok(()));
    let variants = [
        (ok.replace("websocket", "WebSocket"), Ok(())),
        // Repeated fields: one holding the token is enough.
        (
            ok.replace(
                "Upgrade: websocket\r\n",
                "Upgrade: websocket\r\nUpgrade: websocket\r\n",
            ),
            Ok(()),
        ),
        (
            ok.replace(
                "Connection: Upgrade\r\n",
                "Connection: Upgrade\r\nConnection: upgrade\r\n",
            ),
            Ok(()),
        ),
        (
            ok.replace(
                "Connection: Upgrade\r\n",
                "Connection: Upgrade\r\nConnection: close\r\n",
            ),
            Ok(()),
        ),
        (
            ok.replace("Connection: Upgrade", "Connection: keep-alive, upgrade"),
            Ok(()),
        ),
        (
            ok.replace("Connection: Upgrade", "Connection: keep-alive,Upgrade "),
            Ok(()),
        ),
        (
            ok.replace("101 Switching Protocols", "200 OK"),
            peer(PeerError::WebSocketNotUpgraded),
        ),
        (
            ok.replace("Upgrade: websocket\r\n", ""),
            peer(PeerError::WebSocketNotUpgraded),
        ),
        (
            ok.replace("Upgrade: websocket", "Upgrade: tcp"),
            peer(PeerError::WebSocketNotUpgraded),
        ),
        (
            ok.replace("Connection: Upgrade\r\n", ""),
            peer(PeerError::WebSocketNotUpgraded),
        ),
        (
            ok.replace("Connection: Upgrade", "Connection: upgraded"),
            peer(PeerError::WebSocketNotUpgraded),
        ),
        (
            ok.replace("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", ""),
            peer(PeerError::WebSocketAcceptMismatch),
        ),
        (
            ok.replace("xOo=", "xOp="),
            peer(PeerError::WebSocketAcceptMismatch),
        ),
        (
            ok.replace("s3pPLM", "S3pPLM"),
            peer(PeerError::WebSocketAcceptMismatch),
        ),
        (
            ok.replace("xOo=", "xOo"),
            peer(PeerError::WebSocketAcceptMismatch),
        ),
        (
            ok.replace(
                "\r\n\r\n",
                "\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
            ),
            peer(PeerError::WebSocketAcceptMismatch),
        ),
        (
            ok.replace(
                "\r\n\r\n",
                "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
            ),
            peer(PeerError::WebSocketUnrequestedExtension),
        ),
        (
            ok.replace("\r\n\r\n", "\r\nSec-WebSocket-Protocol: chat\r\n\r\n"),
            peer(PeerError::WebSocketUnrequestedExtension),
        ),
    ];
    for (wire, want) in variants {
        assert_eq!(check(&wire, &key), want, "{wire}");
    }
    // Another key: the same answer is wrong.
    assert_eq!(
        check(ok, &[0; 16]),
        peer(PeerError::WebSocketAcceptMismatch)
    );
}

// ---------------------------------------------------------------------------------------------
// Properties.
// ---------------------------------------------------------------------------------------------

/// One frame to send: fin, opcode (data or control), payload.
fn arb_frames() -> impl Strategy<Value = Vec<(bool, u8, Vec<u8>)>> {
    prop::collection::vec(
        (
            any::<bool>(),
            0u8..5,
            prop_oneof![
                prop::collection::vec(any::<u8>(), 0..130),
                prop::collection::vec(any::<u8>(), 120..70_000),
            ],
        ),
        0..8,
    )
}

/// Turns a masked client frame into the server frame with the same content (drops the mask
/// bit and key, unmasks the payload): what the decoder of the other side would read.
fn unmasked(client: &[u8]) -> Vec<u8> {
    let n = header_len(0).max(match client[1] & 0x7F {
        126 => 8,
        127 => 14,
        _ => 6,
    });
    let key: [u8; 4] = client[n - 4..n].try_into().unwrap();
    let mut out = client[..n - 4].to_vec();
    out[1] &= 0x7F;
    let mut payload = client[n..].to_vec();
    apply_mask(key, 0, &mut payload);
    out.extend_from_slice(&payload);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A well-formed frame sequence (fragments respect the rules) encoded with random masks
    /// decodes to its frames, at any split.
    #[test]
    fn encode_then_decode_round_trips(
        frames in arb_frames(),
        masks in prop::collection::vec(any::<[u8; 4]>(), 8),
        cut_idx in arb_cuts(),
    ) {
        let mut wire = Vec::new();
        let mut expect = Vec::new();
        let mut open: Option<MessageKind> = None;
        for (i, (fin, op, payload)) in frames.into_iter().enumerate() {
            let control = op >= 3;
            let opcode = match (op, open) {
                (3, _) => Opcode::Ping,
                (4, _) => Opcode::Pong,
                (_, Some(_)) => Opcode::Continuation,
                (1, None) => Opcode::Text,
                _ => Opcode::Binary,
            };
            let payload = if control { payload[..payload.len().min(MAX_CONTROL_PAYLOAD)].to_vec() } else { payload };
            let fin = fin || control;
            let mut out = vec![0u8; payload.len() + 14];
            let n = encode_frame(fin, opcode, &payload, masks[i], &mut out).unwrap();
            prop_assert_eq!(n, header_len(payload.len() as u64) + payload.len());
            wire.extend_from_slice(&unmasked(&out[..n]));
            expect.push(match opcode {
                Opcode::Ping => Ev::Ping(payload),
                Opcode::Pong => Ev::Pong(payload),
                _ => {
                    let kind = open.unwrap_or(if opcode == Opcode::Text { Text } else { Binary });
                    open = if fin { None } else { Some(kind) };
                    Ev::Frame { kind, payload, message_end: fin }
                }
            });
        }
        let want = if open.is_some() { peer(PeerError::TruncatedWebSocketFrame) } else { Ok(()) };
        let whole = run(1 << 20, &[&wire]);
        prop_assert_eq!(&whole, &(expect, want));
        let cuts = cuts_for(wire.len(), &cut_idx);
        prop_assert_eq!(&run(1 << 20, &pieces_at(&wire, &cuts)), &whole);
    }

    /// Arbitrary bytes: never a panic, and the same outcome at any split.
    #[test]
    fn decoder_is_split_invariant_on_arbitrary_bytes(
        wire in prop::collection::vec(any::<u8>(), 0..300),
        cut_idx in arb_cuts(),
    ) {
        let whole = run(200, &[&wire]);
        let cuts = cuts_for(wire.len(), &cut_idx);
        prop_assert_eq!(run(200, &pieces_at(&wire, &cuts)), whole.clone());
        prop_assert_eq!(run(200, &wire.chunks(1).collect::<Vec<_>>()), whole);
    }
}

// ---------------------------------------------------------------------------------------------
// The exchange checks the answer of a WebSocket request.
// ---------------------------------------------------------------------------------------------

mod exchange {
    use core::time::Duration;
    use docksock_proto::encode::RequestSpec;
    use docksock_proto::exchange::{
        Config, Event, Exchange, Failure, Request, RequestId, UpgradeKind,
    };
    use docksock_proto::PeerError;

    const KEY: [u8; 16] = *b"the sample nonce";
    const OK: &str = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                      Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

    /// A WebSocket request sent on a fresh exchange; the first event of `answer`.
    fn answer(answer: &str) -> (Exchange, Result<(usize, String), Failure>) {
        let t = Duration::ZERO;
        let spec = RequestSpec::new("GET", "/containers/web/attach/ws").websocket(Some(KEY));
        let request = Request::from_spec(&spec);
        assert!(request.is_websocket() && request.is_upgrade() && request.is_exclusive());
        let mut x = Exchange::new(Config::DEFAULT, t);
        x.start(RequestId::new(1), request, 10, t).unwrap();
        x.handle_written(10, t).unwrap();
        assert!(!x.can_send(), "exclusive");
        x.handle_read(answer.len(), t);
        let got = x.decode(answer.as_bytes(), t).map(|d| {
            let what = match d.event {
                Event::Upgraded { kind, head, .. } => {
                    format!("upgraded {kind:?} {}", head.status())
                }
                Event::Head { head, .. } => format!("head {}", head.status()),
                other => format!("{other:?}"),
            };
            (d.consumed, what)
        });
        (x, got)
    }

    #[test]
    fn a_valid_101_upgrades() {
        let wire = format!("{OK}\u{82}\u{1}x");
        let (mut x, got) = answer(&wire);
        let (used, what) = got.unwrap();
        assert_eq!((used, what.as_str()), (OK.len(), "upgraded Switching 101"));
        assert_eq!(x.upgraded(), Some(RequestId::new(1)));
        let rest = &wire.as_bytes()[used..];
        let d = x.decode(rest, Duration::ZERO).unwrap();
        assert!(matches!(d.event, Event::Raw { data, .. } if data == rest));
    }

    #[test]
    fn a_wrong_accept_fails_the_connection() {
        let (x, got) = answer(&OK.replace("xOo=", "xOp="));
        assert_eq!(got, Err(Failure::Peer(PeerError::WebSocketAcceptMismatch)));
        assert!(x.is_closed());
        let (_, got) = answer(&OK.replace("Sec-WebSocket-Accept", "X-Accept"));
        assert_eq!(got, Err(Failure::Peer(PeerError::WebSocketAcceptMismatch)));
        let (_, got) = answer(&OK.replace("Upgrade: websocket", "Upgrade: tcp"));
        assert_eq!(got, Err(Failure::Peer(PeerError::WebSocketNotUpgraded)));
    }

    #[test]
    fn only_101_upgrades_a_websocket_request() {
        // dockerd's close-delimited 200 hijack form is for `Upgrade: tcp` only.
        let (_, got) = answer("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nraw");
        assert_eq!(got.unwrap().1, "head 200");
        let (_, got) = answer("HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}");
        assert_eq!(got.unwrap().1, "head 404");
        let _ = UpgradeKind::Switching;
    }
}
