//! Response decoder properties: any split of a generated well-formed response decodes as the
//! whole does, arbitrary bytes never panic and split the same way, and the chunked encoder's
//! output decodes back to the written pieces.

use docksock_proto::encode::BodyEncoder;
use docksock_proto::{ChunkedDecoder, ChunkedEvent, Limits};
use proptest::prelude::*;

#[path = "support/decoder_run.rs"]
mod decoder_run;

use decoder_run::{run, Ev};

/// A generated well-formed response and the body it carries.
fn response_strategy() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
    let body = proptest::collection::vec(any::<u8>(), 0..300);
    let chunks = proptest::collection::vec(1usize..40, 1..12);
    (body, chunks, any::<bool>(), any::<bool>()).prop_map(|(body, chunks, chunked, trailers)| {
        let mut out = b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\n".to_vec();
        if chunked {
            out.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
            let mut rest = &body[..];
            let mut i = 0;
            while !rest.is_empty() {
                let n = chunks[i % chunks.len()].min(rest.len());
                out.extend_from_slice(format!("{n:x}\r\n").as_bytes());
                out.extend_from_slice(&rest[..n]);
                out.extend_from_slice(b"\r\n");
                rest = &rest[n..];
                i += 1;
            }
            out.extend_from_slice(b"0\r\n");
            if trailers {
                out.extend_from_slice(b"X-Trailer: yes\r\n");
            }
            out.extend_from_slice(b"\r\n");
        } else {
            out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
            out.extend_from_slice(&body);
        }
        (out, body)
    })
}

proptest! {
    #[test]
    fn decoder_is_split_invariant(
        (wire, body) in response_strategy(),
        pieces in proptest::collection::vec(1usize..50, 1..40),
    ) {
        let whole = run(&["GET"], &wire, &[wire.len()], true, Limits::default());
        let split = run(&["GET"], &wire, &pieces, true, Limits::default());
        prop_assert_eq!(&whole, &split);
        let got: Vec<u8> = whole.iter().filter_map(|e| match e { Ev::Data(d) => Some(d.clone()), _ => None }).flatten().collect();
        prop_assert_eq!(got, body);
        prop_assert_eq!(whole.last(), Some(&Ev::End(true)));
    }

    #[test]
    fn decoder_never_panics_on_arbitrary_bytes(
        wire in proptest::collection::vec(any::<u8>(), 0..400),
        pieces in proptest::collection::vec(1usize..30, 1..20),
        head in any::<bool>(),
    ) {
        let m: &[&str] = if head { &["HEAD"] } else { &["GET"] };
        let whole = run(m, &wire, &[wire.len()], true, Limits::default());
        let split = run(m, &wire, &pieces, true, Limits::default());
        prop_assert_eq!(whole, split);
    }

    #[test]
    fn chunked_encode_decode_round_trip(
        pieces in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..100), 0..20),
        splits in proptest::collection::vec(1usize..20, 1..30),
    ) {
        let mut enc = BodyEncoder::chunked();
        let mut wire = Vec::new();
        for p in &pieces {
            enc.write_vec(p, &mut wire).unwrap();
        }
        wire.extend_from_slice(enc.finish().unwrap());
        let mut dec = ChunkedDecoder::new(&Limits::default());
        let mut buf = Vec::new();
        let mut start = 0;
        let mut body = Vec::new();
        let mut at = 0;
        let mut ended = false;
        let mut i = 0;
        while at < wire.len() && !ended {
            let n = splits[i % splits.len()].min(wire.len() - at);
            i += 1;
            buf.extend_from_slice(&wire[at..at + n]);
            at += n;
            loop {
                let (used, ev) = dec.decode(&buf[start..]).unwrap();
                start += used;
                match ev {
                    ChunkedEvent::NeedMore => break,
                    ChunkedEvent::Data(d) => {
                        prop_assert!(!d.is_empty(), "an empty Data event");
                        body.extend_from_slice(d)
                    }
                    ChunkedEvent::Trailers(_) => {}
                    ChunkedEvent::End => { ended = true; break; }
                }
            }
        }
        prop_assert!(ended);
        prop_assert_eq!(start, wire.len());
        prop_assert_eq!(body, pieces.concat());
    }
}
