//! The exchange's retry rule and failures: a request is retried only on a reused connection
//! closed before any byte of its response; a raw stream's read error is an I/O failure, not the
//! end; a JSON message over the cap fails.

use docksock_proto::exchange::{BodyMode, Config, Exchange, Failure, UpgradeKind};
use docksock_proto::timeout::TimeoutKind;
use docksock_proto::PeerError;

#[path = "support/exchange_peer.rs"]
mod exchange_peer;

use exchange_peer::{get, id, secs, sent, Ev, Reader, T0};

/// A connection that carried one response, with request 2 sent on it.
fn reused(replayable: bool) -> Exchange {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    sent(&mut x, 1, get());
    let mut r = Reader::default();
    r.buf
        .extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    r.pump(&mut x, false, T0);
    sent(&mut x, 2, get().replayable(replayable));
    x
}

fn eof_outcome(x: &mut Exchange, bytes: &[u8]) -> Vec<Ev> {
    let mut r = Reader::default();
    r.buf.extend_from_slice(bytes);
    r.pump(x, true, T0);
    r.log
}

#[test]
fn retry_only_on_a_reused_connection_closed_before_any_byte() {
    let closed = Failure::Peer(PeerError::ClosedBeforeResponse);
    let mut x = reused(true);
    assert_eq!(
        eof_outcome(&mut x, b""),
        [Ev::Error(closed), Ev::Failed(2, closed, true)]
    );
    assert!(x.may_retry());

    // A fresh connection: the daemon saw the request.
    let mut x = Exchange::new(Config::DEFAULT, T0);
    sent(&mut x, 1, get());
    assert_eq!(
        eof_outcome(&mut x, b""),
        [Ev::Error(closed), Ev::Failed(1, closed, false)]
    );
    assert!(!x.may_retry());

    // One byte of the response arrived.
    let mut x = reused(true);
    let cut = Failure::Peer(PeerError::UnexpectedEof);
    assert_eq!(
        eof_outcome(&mut x, b"H"),
        [Ev::Error(cut), Ev::Failed(2, cut, false)]
    );

    // The body cannot be sent again.
    let mut x = reused(false);
    assert_eq!(
        eof_outcome(&mut x, b""),
        [Ev::Error(closed), Ev::Failed(2, closed, false)]
    );

    // A reset counts as a close; another I/O error does not.
    let mut x = reused(true);
    x.handle_read_error(true);
    assert_eq!(eof_outcome(&mut x, b"")[1], Ev::Failed(2, closed, true));
    let mut x = reused(true);
    x.handle_read_error(false);
    assert_eq!(eof_outcome(&mut x, b"")[1], Ev::Failed(2, closed, false));
    let mut x = reused(true);
    x.abort(true);
    assert!(x.may_retry());

    // A timeout is not a close.
    let mut x = reused(true);
    assert_eq!(x.handle_timeout(secs(60)), Some(TimeoutKind::Head));
    assert!(!x.may_retry());

    // A replayable body marked consumed.
    let mut x = reused(true);
    x.set_replayable(id(2), false).expect("outstanding");
    assert_eq!(eof_outcome(&mut x, b"")[1], Ev::Failed(2, closed, false));
}

#[test]
fn raw_stream_read_error_is_io_not_end() {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    sent(&mut x, 1, get().upgrade(true));
    x.handle_read_error(true);
    assert_eq!(
        eof_outcome(&mut x, b"HTTP/1.1 101 UPGRADED\r\n\r\nab"),
        [
            Ev::Upgraded(1, 101, UpgradeKind::Switching),
            Ev::Raw(1, b"ab".to_vec()),
            Ev::Error(Failure::Io { reset: true }),
            Ev::Failed(1, Failure::Io { reset: true }, false),
        ]
    );
}

#[test]
fn json_message_over_the_cap_fails() {
    let mut config = Config::DEFAULT;
    config.max_json_message = 8;
    let mut x = Exchange::new(config, T0);
    sent(&mut x, 1, get().mode(BodyMode::Json));
    let mut r = Reader::default();
    r.buf
        .extend_from_slice(b"HTTP/1.1 200 OK\r\n\r\n{\"a\":1}{\"long\":\"message\"}");
    r.pump(&mut x, false, T0);
    let too_large = Failure::Peer(PeerError::JsonMessageTooLarge);
    assert_eq!(
        r.log,
        [
            Ev::Head(1, 200, false),
            Ev::Message(1, b"{\"a\":1}".to_vec()),
            Ev::Error(too_large),
            Ev::Failed(1, too_large, false),
        ]
    );
}
