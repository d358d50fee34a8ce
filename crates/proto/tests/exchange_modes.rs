//! The exchange's modes and timeouts chosen after the head: a body mode set after the head
//! splits the rest and the unread tail, and an idle timeout set on an open body restarts the
//! deadline.

use docksock_proto::exchange::{BodyMode, Config, Event, Exchange};
use docksock_proto::timeout::{Timeout, TimeoutKind};
use docksock_proto::{Error, MisuseError};

#[path = "support/exchange_peer.rs"]
mod exchange_peer;

use exchange_peer::{fires_exactly, get, id, secs, sent, Reader, T0};

#[test]
fn body_mode_set_after_the_head_splits_the_rest_and_the_unread_tail() {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    sent(&mut x, 1, get());
    let wire = b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n\
                 c\r\n[0] {\"a\":1}\n\r\n9\r\n{\"b\":2} \n\r\n0\r\n\r\n";
    let head = x.decode(wire, T0).expect("head");
    assert!(matches!(head.event, Event::Head { .. }));
    let mut input = &wire[head.consumed..];
    // The first piece comes plainly; the adapter uses 4 bytes of it, then asks for messages
    // (whatever the status: the caller asked after seeing it).
    let step = x.decode(input, T0).expect("data");
    let Event::Data { data, .. } = step.event else {
        panic!("{:?}", step.event)
    };
    assert_eq!(data, b"[0] {\"a\":1}\n");
    let unread = data.len() - 4;
    let rest = [&data[4..], &input[step.consumed..]].concat();
    x.set_body_mode(id(1), BodyMode::Json, unread)
        .expect("plain so far");
    assert_eq!(
        x.set_body_mode(id(1), BodyMode::Bytes, 0),
        Err(Error::Misuse(MisuseError::InvalidState)),
        "a splitter holds state now"
    );
    assert_eq!(
        x.set_body_mode(id(2), BodyMode::Json, 0),
        Err(Error::Misuse(MisuseError::UnknownRequest))
    );
    input = &rest;
    let mut events = Vec::new();
    loop {
        let step = x.decode(input, T0).expect("decode");
        input = &input[step.consumed..];
        match step.event {
            Event::Message { message, .. } => events.push(message.to_vec()),
            Event::End { reusable, .. } => {
                assert!(reusable);
                break;
            }
            Event::NeedMore => panic!("all input was given"),
            _ => {}
        }
    }
    // The unread tail was split with the rest.
    assert_eq!(events, [b"{\"a\":1}".to_vec(), b"{\"b\":2}".to_vec()]);
}

#[test]
fn idle_timeout_set_on_an_open_body_restarts_the_deadline() {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    sent(&mut x, 1, get().idle_timeout(Timeout::Off));
    let mut r = Reader::default();
    r.buf
        .extend_from_slice(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    r.pump(&mut x, false, secs(1));
    assert_eq!(x.poll_timeout(), None);
    x.set_idle_timeout(id(1), Timeout::After(secs(3)), secs(10))
        .expect("outstanding");
    fires_exactly(&mut x, secs(13), TimeoutKind::Idle);
    assert_eq!(
        x.set_idle_timeout(id(1), Timeout::Default, secs(20)),
        Err(Error::Misuse(MisuseError::UnknownRequest)),
        "the request failed and left the queue"
    );

    // Before the head: only the duration changes.
    let mut x = Exchange::new(Config::DEFAULT, T0);
    sent(&mut x, 1, get());
    x.set_idle_timeout(id(1), Timeout::After(secs(2)), secs(5))
        .expect("outstanding");
    assert_eq!(x.poll_timeout(), Some((secs(60), TimeoutKind::Head)));
    r = Reader::default();
    r.buf
        .extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
    r.pump(&mut x, false, secs(7));
    fires_exactly(&mut x, secs(9), TimeoutKind::Idle);
}
