//! The exchange's deadlines, on a numeric clock: connect, write, head and idle deadlines start
//! and move with the right events and fire exactly at their instant, and per-request timeouts
//! override and switch them off.

use docksock_proto::exchange::{BodyMode, Config, Exchange};
use docksock_proto::timeout::{Timeout, TimeoutKind};

#[path = "support/exchange_peer.rs"]
mod exchange_peer;

use exchange_peer::{fires_exactly, get, id, secs, sent, Ev, Reader, T0};

#[test]
fn connect_deadline_runs_from_creation_while_bytes_wait() {
    let mut x = Exchange::new(Config::DEFAULT, secs(100));
    assert_eq!(x.poll_timeout(), None, "nothing queued");
    x.start(id(1), get(), 10, secs(102)).expect("start");
    fires_exactly(&mut x, secs(105), TimeoutKind::Connect);
}

#[test]
fn write_deadline_moves_only_with_written_bytes() {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    x.start(id(1), get(), 100, secs(1)).expect("start");
    x.handle_written(10, secs(2)).expect("written");
    assert_eq!(x.poll_timeout(), Some((secs(62), TimeoutKind::Write)));
    x.handle_read(0, secs(30));
    x.handle_written(0, secs(30)).expect("nothing");
    x.handle_written(10, secs(40)).expect("written");
    fires_exactly(&mut x, secs(100), TimeoutKind::Write);
}

#[test]
fn head_deadline_starts_when_the_request_is_written() {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    x.start(id(1), get(), 10, T0).expect("start");
    x.handle_written(10, secs(3)).expect("written");
    fires_exactly(&mut x, secs(63), TimeoutKind::Head);
}

#[test]
fn head_deadline_of_a_pipelined_request_starts_when_the_previous_response_ends() {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    sent(&mut x, 1, get());
    sent(&mut x, 2, get().head_timeout(Timeout::After(secs(5))));
    let mut r = Reader::default();
    r.buf
        .extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    x.handle_read(r.buf.len(), secs(50));
    r.pump(&mut x, false, secs(50));
    assert_eq!(r.log, [Ev::Head(1, 200, false), Ev::End(1, true)]);
    fires_exactly(&mut x, secs(55), TimeoutKind::Head);
}

#[test]
fn idle_deadline_moves_with_received_bytes_and_pauses_with_backpressure() {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    sent(&mut x, 1, get());
    let mut r = Reader::default();
    r.buf
        .extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab");
    x.handle_read(r.buf.len(), secs(1));
    r.pump(&mut x, false, secs(3));
    assert_eq!(x.poll_timeout(), Some((secs(63), TimeoutKind::Idle)));
    x.handle_read(1, secs(10));
    assert_eq!(x.poll_timeout(), Some((secs(70), TimeoutKind::Idle)));
    x.set_read_paused(true, secs(20));
    assert_eq!(
        x.poll_timeout(),
        None,
        "back-pressure is not the peer's fault"
    );
    assert_eq!(x.handle_timeout(secs(500)), None);
    x.set_read_paused(false, secs(600));
    fires_exactly(&mut x, secs(660), TimeoutKind::Idle);
}

#[test]
fn per_request_timeouts_override_and_switch_off() {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    sent(&mut x, 1, get().head_timeout(Timeout::Off));
    assert_eq!(x.poll_timeout(), None);
    let mut x = Exchange::new(Config::DEFAULT, T0);
    sent(
        &mut x,
        1,
        get().mode(BodyMode::Json).idle_timeout(Timeout::Off),
    );
    let mut r = Reader::default();
    r.buf
        .extend_from_slice(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    r.pump(&mut x, false, secs(1));
    assert_eq!(
        x.poll_timeout(),
        None,
        "a quiet event stream may last forever"
    );
    let mut x = Exchange::new(Config::DEFAULT, T0);
    sent(
        &mut x,
        1,
        get().upgrade(true).idle_timeout(Timeout::After(secs(2))),
    );
    let mut r = Reader::default();
    r.buf.extend_from_slice(b"HTTP/1.1 101 UPGRADED\r\n\r\n");
    r.pump(&mut x, false, secs(1));
    fires_exactly(&mut x, secs(3), TimeoutKind::Idle);
}
