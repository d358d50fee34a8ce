//! The exchange's sending side, without sockets or clocks: pipelining depth and exclusive
//! requests, requests built from a `RequestSpec`, early answers to a streamed body, upgraded
//! stream input, the reuse rule, and misuse and cancellation.

use docksock_proto::encode::{BodyEncoder, BodyFraming, RequestSpec};
use docksock_proto::exchange::{Config, Exchange, Failure, Request, RequestBody};
use docksock_proto::timeout::TimeoutKind;
use docksock_proto::{Error, MisuseError};

#[path = "support/exchange_peer.rs"]
mod exchange_peer;

use exchange_peer::{get, id, secs, sent, Ev, Reader, T0};

#[test]
fn pipelining_stops_at_depth_and_behind_exclusive_requests() {
    let mut config = Config::DEFAULT;
    config.pipeline = 2;
    let mut x = Exchange::new(config, T0);
    sent(&mut x, 1, get());
    sent(&mut x, 2, get());
    assert!(!x.can_send());
    assert_eq!(
        x.start(id(3), get(), 10, T0),
        Err(Error::Misuse(MisuseError::ConnectionBusy))
    );

    for exclusive in [
        get().exclusive(true),
        get().upgrade(true),
        Request::new("CONNECT"),
        get().with_body(RequestBody::Streamed(BodyEncoder::chunked())),
    ] {
        let mut x = Exchange::new(Config::DEFAULT, T0);
        x.start(id(1), exclusive, 10, T0).expect("start");
        assert!(!x.can_send(), "{exclusive:?}");
    }

    let mut x = Exchange::new(Config::DEFAULT, T0);
    sent(&mut x, 1, get());
    assert_eq!(
        x.start(id(1), get(), 10, T0),
        Err(Error::Misuse(MisuseError::UnknownRequest))
    );
}

#[test]
fn from_spec_reads_method_framing_and_upgrade() {
    let spec = RequestSpec::new("POST", "/x").body(BodyFraming::Length(3));
    assert_eq!(Request::from_spec(&spec).body(), RequestBody::Fixed(3));
    let spec = RequestSpec::new("POST", "/x").upgrade(true);
    let r = Request::from_spec(&spec);
    assert!(r.is_upgrade() && r.is_exclusive());
    assert!(Request::from_spec(&RequestSpec::new("HEAD", "/x")).is_head());
}

/// A streamed upload the daemon answers early (413): the rest of the body is abandoned, the
/// unwritten bytes are dropped, and the connection closes after the response.
#[test]
fn early_answer_abandons_the_streamed_body() {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    let upload = get().with_body(RequestBody::Streamed(BodyEncoder::chunked()));
    x.start(id(1), upload, 50, T0).expect("start");
    x.handle_written(50, T0).expect("head written");
    let frame = x
        .body_encoder(id(1))
        .expect("open")
        .frame(100)
        .expect("frame");
    x.queued(id(1), frame.overhead() + 100, T0).expect("queued");
    x.handle_written(30, T0).expect("part written");
    assert!(x.write_pending());
    // No head deadline while the body is open.
    assert_eq!(x.poll_timeout().map(|(_, k)| k), Some(TimeoutKind::Write));

    let mut r = Reader::default();
    r.buf
        .extend_from_slice(b"HTTP/1.1 413 Too Large\r\nContent-Length: 4\r\n\r\nbig!");
    r.pump(&mut x, false, T0);
    assert_eq!(
        r.log,
        [
            Ev::Head(1, 413, true),
            Ev::Data(1, b"big!".to_vec()),
            Ev::End(1, false),
            Ev::Closed,
        ]
    );
    assert!(!x.write_pending());
    assert!(x.is_closed() && x.failure().is_none());
    assert_eq!(
        x.body_encoder(id(1)).err(),
        Some(Error::Misuse(MisuseError::ConnectionNotReusable))
    );
}

#[test]
fn early_answer_mid_body_refuses_more_body() {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    let upload = get().with_body(RequestBody::Streamed(BodyEncoder::length(10)));
    x.start(id(1), upload, 50, T0).expect("start");
    x.handle_written(50, T0).expect("written");
    let mut r = Reader::default();
    r.buf
        .extend_from_slice(b"HTTP/1.1 400 Bad\r\nTransfer-Encoding: chunked\r\n\r\n");
    r.pump(&mut x, false, T0);
    assert_eq!(r.log, [Ev::Head(1, 400, true)]);
    assert_eq!(
        x.body_encoder(id(1)).err(),
        Some(Error::Misuse(MisuseError::BodyClosed))
    );
    assert!(!x.can_send());
}

#[test]
fn a_fixed_length_streamed_body_completes_on_finish() {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    let upload = get().with_body(RequestBody::Streamed(BodyEncoder::length(3)));
    x.start(id(1), upload, 20, T0).expect("start");
    x.body_encoder(id(1))
        .expect("open")
        .frame(3)
        .expect("frame");
    x.queued(id(1), 3, T0).expect("queued");
    x.handle_written(23, secs(1)).expect("written");
    assert_eq!(
        x.poll_timeout(),
        None,
        "the body is not finished: no head deadline"
    );
    let end = x
        .body_encoder(id(1))
        .expect("open")
        .finish()
        .expect("finish");
    assert!(end.is_empty());
    x.queued(id(1), 0, secs(2)).expect("queued");
    assert_eq!(x.poll_timeout(), Some((secs(62), TimeoutKind::Head)));
    assert_eq!(
        x.body_encoder(id(1)).err(),
        Some(Error::Misuse(MisuseError::BodyClosed))
    );
}

#[test]
fn stream_input_only_while_upgraded_and_open() {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    sent(&mut x, 1, get().upgrade(true));
    assert_eq!(
        x.stream_input(),
        Err(Error::Misuse(MisuseError::NotUpgraded))
    );
    let mut r = Reader::default();
    r.buf.extend_from_slice(b"HTTP/1.1 101 UPGRADED\r\n\r\n");
    r.pump(&mut x, false, T0);
    assert_eq!(x.upgraded(), Some(id(1)));
    assert_eq!(x.stream_input(), Ok(id(1)));
    x.queued(id(1), 5, T0).expect("stdin queued");
    assert!(x.write_pending());
    x.handle_written(5, T0).expect("written");
    assert_eq!(x.close_stream_input(), Ok(id(1)));
    assert_eq!(
        x.stream_input(),
        Err(Error::Misuse(MisuseError::NotUpgraded))
    );
    assert!(!x.is_reusable());
}

#[test]
fn reuse_rule() {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    assert!(x.is_reusable());
    x.start(id(1), get(), 10, T0).expect("start");
    assert!(!x.is_reusable(), "outstanding");
    x.handle_written(10, T0).expect("written");
    let mut r = Reader::default();
    r.buf
        .extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n");
    r.pump(&mut x, false, T0);
    assert!(!x.is_reusable(), "body open");
    r.buf.push(b'x');
    r.pump(&mut x, false, T0);
    assert!(x.is_reusable());
    assert!(x.is_reused());
    // A request not completely written is never left behind on a reusable connection.
    x.start(id(2), get(), 10, T0).expect("start");
    x.handle_write_error(true, T0);
    assert!(!x.is_reusable() && !x.can_send());
}

#[test]
fn written_more_than_queued_is_misuse() {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    x.start(id(1), get(), 10, T0).expect("start");
    assert_eq!(
        x.handle_written(11, T0),
        Err(Error::Misuse(MisuseError::InvalidState))
    );
    assert_eq!(
        x.queued(id(9), 1, T0),
        Err(Error::Misuse(MisuseError::UnknownRequest))
    );
}

#[test]
fn cancel_fails_every_request_as_cancelled() {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    sent(&mut x, 1, get());
    sent(&mut x, 2, get());
    x.cancel();
    let mut r = Reader::default();
    r.drain_failed(&mut x);
    assert_eq!(
        r.log,
        [
            Ev::Failed(1, Failure::Cancelled, false),
            Ev::Failed(2, Failure::Cancelled, false)
        ]
    );
    assert_eq!(x.poll_timeout(), None);
}
