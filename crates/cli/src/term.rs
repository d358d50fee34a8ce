//! The terminal: raw mode (restored on every way out: return, error, detach, a terminating
//! signal), the window size and its changes (`SIGWINCH` → a resize call), and the
//! interactive session that `run -it`, `exec -it`, `attach` and `start -ai` share: stdin to
//! the container on a thread of its own, watching for the detach keys (ctrl-p ctrl-q), the
//! output to stdout (raw for a TTY, else demultiplexed into stdout and stderr).

use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::sync::Mutex;

use docksock::{Hijacked, StreamKind};
use rustix::termios::{self, OptionalActions, Termios};

use crate::Failure;

/// The terminal settings to put back, while stdin is in raw mode.
static SAVED: Mutex<Option<Termios>> = Mutex::new(None);

/// Whether standard input is a terminal.
pub(crate) fn stdin_is_tty() -> bool {
    termios::isatty(std::io::stdin().as_fd())
}

/// Whether standard output is a terminal.
pub(crate) fn stdout_is_tty() -> bool {
    termios::isatty(std::io::stdout().as_fd())
}

/// Whether standard error is a terminal.
pub(crate) fn stderr_is_tty() -> bool {
    termios::isatty(std::io::stderr().as_fd())
}

/// Turns echo off on the terminal on stdin (a password prompt), returning how it was.
pub(crate) fn echo_off() -> Option<termios::Termios> {
    let fd = std::io::stdin();
    let saved = termios::tcgetattr(fd.as_fd()).ok()?;
    let mut quiet = saved.clone();
    quiet.local_modes.remove(termios::LocalModes::ECHO);
    termios::tcsetattr(fd.as_fd(), OptionalActions::Now, &quiet).ok()?;
    Some(saved)
}

/// Puts back what [`echo_off`] changed.
pub(crate) fn echo_restore(saved: termios::Termios) {
    let _ = termios::tcsetattr(std::io::stdin().as_fd(), OptionalActions::Now, &saved);
}

/// The window size of the terminal on stdout (else stdin): (rows, columns).
pub(crate) fn window_size() -> Option<(u32, u32)> {
    let ws = termios::tcgetwinsize(std::io::stdout().as_fd())
        .or_else(|_| termios::tcgetwinsize(std::io::stdin().as_fd()))
        .ok()?;
    (ws.ws_row > 0 && ws.ws_col > 0).then(|| (u32::from(ws.ws_row), u32::from(ws.ws_col)))
}

/// Puts the terminal on stdin into raw mode, remembering how it was.
fn make_raw() -> Result<(), Failure> {
    let fd = std::io::stdin();
    let saved = termios::tcgetattr(fd.as_fd())
        .map_err(|e| Failure::Msg(format!("reading the terminal's settings: {e}")))?;
    let mut raw = saved.clone();
    // As docker's: no echo, no line editing, no signals from keys, no output processing (the
    // container's TTY already turns `\n` into `\r\n`).
    raw.make_raw();
    if let Ok(mut slot) = SAVED.lock() {
        *slot = Some(saved);
    }
    termios::tcsetattr(fd.as_fd(), OptionalActions::Now, &raw)
        .map_err(|e| Failure::Msg(format!("putting the terminal in raw mode: {e}")))
}

/// Puts the terminal back as it was before raw mode (nothing if it was not changed).
pub(crate) fn restore() {
    let saved = SAVED.lock().ok().and_then(|mut s| s.take());
    if let Some(saved) = saved {
        let _ = termios::tcsetattr(std::io::stdin().as_fd(), OptionalActions::Now, &saved);
    }
}

/// Restores the terminal and ends the process with `code`.
pub(crate) fn exit(code: i32) -> ! {
    restore();
    // No flush of stdout here: the output side may hold its lock, blocked in a read. Output
    // is written through unbuffered, so nothing is pending.
    std::process::exit(code)
}

/// Restores the terminal when dropped.
struct RawGuard;

impl Drop for RawGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// docker's default detach sequence: ctrl-p ctrl-q.
const DETACH: &[u8] = &[0x10, 0x11];

/// Parses docker's `--detach-keys` (`ctrl-p,ctrl-q`, `ctrl-a,x`): `ctrl-@` … `ctrl-_` and
/// single characters, comma-separated.
pub(crate) fn parse_detach_keys(spec: &str) -> Result<Vec<u8>, String> {
    let mut keys = Vec::new();
    for key in spec.split(',') {
        let b = key.as_bytes();
        match b {
            [c] => keys.push(*c),
            [b'c', b't', b'r', b'l', b'-', c] => {
                let c = c.to_ascii_lowercase();
                keys.push(match c {
                    b'a'..=b'z' => c - b'a' + 1,
                    b'@' => 0,
                    b'[' => 27,
                    b'\\' => 28,
                    b']' => 29,
                    b'^' => 30,
                    b'_' => 31,
                    _ => return Err(format!("invalid detach key {key:?}")),
                });
            }
            _ => return Err(format!("invalid detach keys {spec:?}: unknown key {key:?}")),
        }
    }
    Ok(keys)
}

/// Finds the detach sequence in typed input: passes everything else on, holding back a prefix
/// of the sequence until the next bytes tell.
struct DetachWatch {
    keys: Vec<u8>,
    /// How many bytes of `keys` were typed last.
    matched: usize,
}

impl DetachWatch {
    /// Appends what to send of `data` to `send`; true when the sequence was typed.
    fn feed(&mut self, data: &[u8], send: &mut Vec<u8>) -> bool {
        for &b in data {
            if self.keys.is_empty() {
                send.push(b);
                continue;
            }
            if b == self.keys[self.matched] {
                self.matched += 1;
                if self.matched == self.keys.len() {
                    return true;
                }
                continue;
            }
            // Not the sequence: what was held goes out, and this byte may start it anew.
            send.extend_from_slice(&self.keys[..self.matched]);
            self.matched = 0;
            if b == self.keys[0] {
                self.matched = 1;
                if self.keys.len() == 1 {
                    return true;
                }
            } else {
                send.push(b);
            }
        }
        false
    }
}

/// How an interactive session is run.
pub(crate) struct Session {
    /// The container has a TTY: output is raw, and the terminal goes raw with `-i`.
    pub(crate) tty: bool,
    /// Stdin is sent (`-i`).
    pub(crate) stdin: bool,
    /// Called with (rows, columns) at the start and on each window change, for a TTY.
    pub(crate) resize: Option<Box<dyn Fn(u32, u32) + Send>>,
    /// The detach sequence (`--detach-keys`), docker's ctrl-p ctrl-q when `None`.
    pub(crate) detach_keys: Option<Vec<u8>>,
}

/// How a session ended.
#[derive(Debug, PartialEq)]
pub(crate) enum Ended {
    /// The output ended (the process exited, or closed its output).
    Output,
    /// The user typed the detach keys.
    Detached,
}

/// Runs the session on `stream` until its output ends or the user detaches.
pub(crate) fn session(stream: Hijacked, s: Session) -> Result<Ended, Failure> {
    let raw = s.tty && s.stdin && stdin_is_tty();
    let _guard = if raw {
        make_raw()?;
        Some(RawGuard)
    } else {
        None
    };
    if let Some(resize) = s.resize {
        if stdout_is_tty() || stdin_is_tty() {
            if let Some((h, w)) = window_size() {
                resize(h, w);
            }
        }
        watch_signals(resize)?;
    } else if raw {
        watch_signals(Box::new(|_, _| {}))?;
    }
    let mode = stream.mode();
    let (reader, mut writer) = stream.split()?;
    let (detach_tx, detach_rx) = std::sync::mpsc::channel::<()>();
    if s.stdin {
        let watch_keys = raw;
        let mut watch = DetachWatch {
            keys: s.detach_keys.unwrap_or_else(|| DETACH.to_vec()),
            matched: 0,
        };
        std::thread::spawn(move || {
            let mut stdin = std::io::stdin();
            let mut buf = vec![0u8; 32 * 1024];
            let mut send = Vec::with_capacity(buf.len() + 8);
            loop {
                let n = match stdin.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let data = &buf[..n];
                if !watch_keys {
                    if writer.write_stdin(data).is_err() {
                        return;
                    }
                    continue;
                }
                send.clear();
                if watch.feed(data, &mut send) {
                    let _ = detach_tx.send(());
                    // The output side may be blocked in a read: end the process here.
                    exit(0);
                }
                if !send.is_empty() && writer.write_stdin(&send).is_err() {
                    return;
                }
            }
            let _ = writer.close();
        });
    } else {
        writer.close()?;
    }
    // Stdout is locked for each write only: the detach path ends the process from the stdin
    // thread, and must not wait for a lock held across a blocking read.
    let stdout = std::io::stdout();
    let mut stderr = std::io::stderr();
    let written = |r: std::io::Result<()>| crate::out::check(r);
    if s.tty {
        let mut reader = reader;
        let mut buf = vec![0u8; 32 * 1024];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(docksock::Error::from_io("reading the output", e).into()),
            };
            let mut out = stdout.lock();
            written(out.write_all(&buf[..n]).and_then(|()| out.flush()))?;
        }
    } else {
        let mut demux = reader.demux_as(mode);
        while let Some((kind, data)) = demux.next_chunk()? {
            if kind == StreamKind::Stderr {
                written(stderr.write_all(data))?;
            } else {
                let mut out = stdout.lock();
                written(out.write_all(data).and_then(|()| out.flush()))?;
            }
        }
    }
    Ok(if detach_rx.try_recv().is_ok() {
        Ended::Detached
    } else {
        Ended::Output
    })
}

/// Follows the window size (`SIGWINCH` → `resize`) and restores the terminal before a
/// terminating signal (`SIGTERM`, `SIGHUP`, `SIGINT`) ends the process, on a thread of its own.
fn watch_signals(resize: Box<dyn Fn(u32, u32) + Send>) -> Result<(), Failure> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGWINCH};
    let mut signals = signal_hook::iterator::Signals::new([SIGWINCH, SIGTERM, SIGHUP, SIGINT])
        .map_err(|e| Failure::Msg(format!("watching the window size (SIGWINCH): {e}")))?;
    std::thread::spawn(move || {
        for sig in signals.forever() {
            if sig == SIGWINCH {
                if let Some((h, w)) = window_size() {
                    resize(h, w);
                }
            } else {
                exit(128 + sig);
            }
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(keys: &[u8], inputs: &[&[u8]]) -> (Vec<u8>, bool) {
        let mut w = DetachWatch {
            keys: keys.to_vec(),
            matched: 0,
        };
        let mut sent = Vec::new();
        for i in inputs {
            if w.feed(i, &mut sent) {
                return (sent, true);
            }
        }
        (sent, false)
    }

    #[test]
    fn detach_sequence_split_or_not() {
        assert_eq!(run(DETACH, &[b"ab\x10\x11"]), (b"ab".to_vec(), true));
        assert_eq!(run(DETACH, &[b"a\x10", b"\x11"]), (b"a".to_vec(), true));
        assert_eq!(run(DETACH, &[b"\x10\x10\x11"]), (b"\x10".to_vec(), true));
        assert_eq!(run(DETACH, &[b"\x10x\x11"]), (b"\x10x\x11".to_vec(), false));
        assert_eq!(run(b"", &[b"\x10\x11"]), (b"\x10\x11".to_vec(), false));
        assert_eq!(parse_detach_keys("ctrl-p,ctrl-q").unwrap(), DETACH);
        assert_eq!(
            parse_detach_keys("ctrl-a,x,ctrl-\\").unwrap(),
            [1, b'x', 28]
        );
        assert!(parse_detach_keys("ctrl-").is_err());
        assert!(parse_detach_keys("alt-x").is_err());
    }
}
