//! The one timeout vocabulary of every docksock adapter: which timeout fired
//! ([`TimeoutKind`]), and how a request or a client sets one ([`Timeout`]).
//!
//! A timeout is a duration; the exchange turns it into an absolute deadline once, when the
//! phase it guards begins, and nothing (a partial read, a partial write, an interrupted system
//! call) extends it afterwards except progress of the kind it measures.
//!
//! ```
//! use core::time::Duration;
//! use docksock_proto::timeout::{Timeout, Timeouts};
//!
//! let client = Timeouts::DEFAULT;
//! // A request that keeps the client's head timeout and switches the idle timeout off (a
//! // follow stream that may be quiet for hours):
//! assert_eq!(Timeout::Default.resolve(client.head), Some(Duration::from_secs(60)));
//! assert_eq!(Timeout::Off.resolve(client.idle), None);
//! assert_eq!(
//!     Timeout::After(Duration::from_secs(5)).resolve(client.idle),
//!     Some(Duration::from_secs(5))
//! );
//! ```

use core::fmt;
use core::time::Duration;

/// Which timeout fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// Connecting to the daemon took longer than the connect timeout.
    Connect,
    /// The response head did not arrive in time after the request was written (or, when
    /// pipelined, after the previous response ended).
    Head,
    /// No byte of a response body or of an upgraded stream arrived for too long.
    Idle,
    /// The peer stopped reading: request bytes (head, body, stdin) made no progress for too
    /// long.
    Write,
    /// A call that waits on purpose (a container wait) was given a limit, and the condition
    /// did not come about within it: the wait's own timeout, not a silent connection.
    Wait,
}

impl TimeoutKind {
    /// A stable kebab-case name: `connect`, `head`, `idle`, `write`, `wait`.
    pub const fn as_str(self) -> &'static str {
        match self {
            TimeoutKind::Connect => "connect",
            TimeoutKind::Head => "head",
            TimeoutKind::Idle => "idle",
            TimeoutKind::Write => "write",
            TimeoutKind::Wait => "wait",
        }
    }
}

impl fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How one request (or one operation's definition) sets a timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Timeout {
    /// Whatever the client (or connection) is configured with.
    #[default]
    Default,
    /// No deadline at all: the phase may last forever (a container wait, a quiet follow
    /// stream).
    Off,
    /// This long.
    After(Duration),
}

impl Timeout {
    /// The duration in force, given the configured one (`None` means no deadline).
    pub const fn resolve(self, configured: Option<Duration>) -> Option<Duration> {
        match self {
            Timeout::Default => configured,
            Timeout::Off => None,
            Timeout::After(d) => Some(d),
        }
    }

    /// `Some(d)` → `After(d)`, `None` → `Off`.
    pub const fn from_option(d: Option<Duration>) -> Timeout {
        match d {
            Some(d) => Timeout::After(d),
            None => Timeout::Off,
        }
    }

    /// This setting unless it is `Default`, else `other`.
    pub const fn or(self, other: Timeout) -> Timeout {
        match self {
            Timeout::Default => other,
            t => t,
        }
    }
}

impl From<Duration> for Timeout {
    fn from(d: Duration) -> Timeout {
        Timeout::After(d)
    }
}

/// The configured timeouts of a client or connection (`None`: no deadline). The defaults are
/// the same in every adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Timeouts {
    /// Connecting to the daemon. Default 5 s.
    pub connect: Option<Duration>,
    /// From the end of the request to the end of the response head. Default 60 s.
    pub head: Option<Duration>,
    /// The longest silence while a response body or an upgraded stream is open. Default 60 s;
    /// operations that wait or follow (container wait, logs/events/stats streams, attach)
    /// switch it off in their definition.
    pub idle: Option<Duration>,
    /// The longest time request bytes may make no progress. Default 60 s.
    pub write: Option<Duration>,
}

impl Timeouts {
    /// The defaults listed on each field.
    pub const DEFAULT: Timeouts = Timeouts {
        connect: Some(Duration::from_secs(5)),
        head: Some(Duration::from_secs(60)),
        idle: Some(Duration::from_secs(60)),
        write: Some(Duration::from_secs(60)),
    };
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolution() {
        let five = Duration::from_secs(5);
        let sixty = Some(Duration::from_secs(60));
        assert_eq!(Timeout::Default.resolve(sixty), sixty);
        assert_eq!(Timeout::Default.resolve(None), None);
        assert_eq!(Timeout::Off.resolve(sixty), None);
        assert_eq!(Timeout::After(five).resolve(None), Some(five));
        assert_eq!(Timeout::from_option(None), Timeout::Off);
        assert_eq!(Timeout::from_option(Some(five)), Timeout::After(five));
        assert_eq!(Timeout::Default.or(Timeout::Off), Timeout::Off);
        assert_eq!(Timeout::After(five).or(Timeout::Off), Timeout::After(five));
        assert_eq!(Timeout::from(five), Timeout::After(five));
        assert_eq!(TimeoutKind::Write.as_str(), "write");
    }
}
