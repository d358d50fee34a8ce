//! The progress stream of a pull or a push as typed messages: [`Progress`] yields
//! [`ProgressMessage`]s (layer id, status, current/total) and remembers the digest the stream
//! reports; [`Progress::finish`] reads to the end and returns it.

use std::time::Duration;

use serde_json::Value;

use crate::error::Result;
use crate::response::JsonMessages;

/// One message of a pull or push progress stream (`{"status", "id", "progressDetail":
/// {"current", "total"}, "progress", "aux"}`). Every field is optional: engines differ.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressMessage {
    /// `id`: the layer (short digest), or the tag, the message is about.
    pub id: Option<String>,
    /// `status`: `Pulling fs layer`, `Downloading`, `Pushing`, `Pushed`, `Digest: sha256:…`…
    pub status: Option<String>,
    /// `progressDetail.current`: bytes done.
    pub current: Option<u64>,
    /// `progressDetail.total`: bytes in all.
    pub total: Option<u64>,
    /// `progress`: the text progress bar (deprecated in API 1.48 for `progressDetail`).
    pub progress: Option<String>,
    /// `aux`: the push result `{"Tag", "Digest", "Size"}` on dockerd.
    pub aux: Option<Value>,
    /// The message as it came.
    pub raw: Value,
}

impl ProgressMessage {
    /// Reads a stream message (unknown fields are kept in `raw` only).
    pub fn from_json(raw: Value) -> ProgressMessage {
        let text = |k: &str| raw.get(k).and_then(Value::as_str).map(str::to_owned);
        let detail = |k: &str| {
            raw.get("progressDetail")
                .and_then(|d| d.get(k))
                .and_then(Value::as_u64)
        };
        ProgressMessage {
            id: text("id"),
            status: text("status"),
            current: detail("current"),
            total: detail("total"),
            progress: text("progress"),
            aux: raw.get("aux").filter(|a| !a.is_null()).cloned(),
            raw,
        }
    }

    /// The manifest digest this message reports, if it reports one: a pull's
    /// `Digest: sha256:…`, a push's `TAG: digest: sha256:… size: N`, or the `aux` `Digest`.
    pub fn digest(&self) -> Option<&str> {
        if let Some(d) = self
            .aux
            .as_ref()
            .and_then(|a| a.get("Digest"))
            .and_then(Value::as_str)
        {
            return Some(d);
        }
        let status = self.status.as_deref()?;
        let rest = status
            .strip_prefix("Digest: ")
            .or_else(|| status.split_once(": digest: ").map(|(_, r)| r))?;
        let digest = rest.split_whitespace().next()?;
        digest.contains(':').then_some(digest)
    }
}

/// What a finished pull or push reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transferred {
    /// The manifest digest (`sha256:…`), when the engine reported one (dockerd does for both;
    /// Podman 4.3's pull stream carries none).
    pub digest: Option<String>,
    /// The ids of the layers the stream spoke of, in order of first mention.
    pub layers: Vec<String>,
    /// How many messages the stream carried.
    pub messages: usize,
}

/// A pull or push progress stream, typed. An in-band error (`errorDetail`, or the deprecated
/// `error`) in the `200` stream is an [`Error::Stream`](crate::Error::Stream) item, and ends
/// it: a pull has succeeded only when the stream ends without one.
///
/// ```no_run
/// let docker = docksock::Client::from_env()?;
/// let mut pull = docker.pull("127.0.0.1:5000/team/app:v1", &Default::default())?;
/// for msg in &mut pull {
///     let msg = msg?;
///     if let (Some(id), Some(cur), Some(total)) = (&msg.id, msg.current, msg.total) {
///         println!("{id}: {cur}/{total}");
///     }
/// }
/// println!("digest {:?}", pull.digest());
/// # Ok::<(), docksock::Error>(())
/// ```
#[derive(Debug)]
pub struct Progress {
    messages: JsonMessages,
    summary: Transferred,
}

impl Progress {
    /// Types the messages of `messages`.
    pub fn new(messages: JsonMessages) -> Progress {
        Progress {
            messages,
            summary: Transferred::default(),
        }
    }

    /// The digest reported so far.
    pub fn digest(&self) -> Option<&str> {
        self.summary.digest.as_deref()
    }

    /// Sets the idle timeout for the rest of the stream.
    pub fn set_idle_timeout(&mut self, timeout: impl Into<Option<Duration>>) {
        self.messages.set_idle_timeout(timeout);
    }

    /// Reads the stream to its end: what it reported, or its first error.
    ///
    /// # Errors
    ///
    /// [`Error::Stream`](crate::Error::Stream) for an in-band error; any error of reading.
    pub fn finish(mut self) -> Result<Transferred> {
        for msg in &mut self {
            msg?;
        }
        Ok(self.summary)
    }
}

impl Iterator for Progress {
    type Item = Result<ProgressMessage>;

    fn next(&mut self) -> Option<Self::Item> {
        let raw = match self.messages.next()? {
            Ok(raw) => raw,
            Err(e) => return Some(Err(e)),
        };
        let msg = ProgressMessage::from_json(raw);
        self.summary.messages += 1;
        if let Some(d) = msg.digest() {
            self.summary.digest = Some(d.to_owned());
        }
        if let Some(id) = &msg.id {
            let is_layer = msg.current.is_some()
                || msg.status.as_deref().is_some_and(|s| {
                    [
                        "Pulling fs layer",
                        "Waiting",
                        "Downloading",
                        "Download complete",
                        "Extracting",
                        "Pull complete",
                        "Already exists",
                        "Preparing",
                        "Pushing",
                        "Pushed",
                        "Layer already exists",
                    ]
                    .contains(&s)
                });
            if is_layer && !self.summary.layers.contains(id) {
                self.summary.layers.push(id.clone());
            }
        }
        Some(Ok(msg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn typed_fields_old_and_new() {
        let m = ProgressMessage::from_json(json!({
            "status": "Downloading", "id": "02aa6d9dc06d",
            "progressDetail": {"current": 512, "total": 1024},
            "progress": "[=====>     ]  512B/1kB"
        }));
        assert_eq!(m.id.as_deref(), Some("02aa6d9dc06d"));
        assert_eq!((m.current, m.total), (Some(512), Some(1024)));
        assert!(m.progress.is_some());
        let bare = ProgressMessage::from_json(json!({"status": "Waiting", "progressDetail": {}}));
        assert_eq!((bare.current, bare.total, bare.id), (None, None, None));
    }

    #[test]
    fn digests_of_pull_and_push() {
        let d = "sha256:3a0c7d7c3c0ef8b3e8f0d52b5ed0f68e6a1c0b3bd1dbd4bd1b8f3d6d5b1c3b2a";
        let pull = ProgressMessage::from_json(json!({"status": format!("Digest: {d}")}));
        assert_eq!(pull.digest(), Some(d));
        let push =
            ProgressMessage::from_json(json!({"status": format!("latest: digest: {d} size: 527")}));
        assert_eq!(push.digest(), Some(d));
        let aux = ProgressMessage::from_json(
            json!({"progressDetail": {}, "aux": {"Tag": "latest", "Digest": d, "Size": 527}}),
        );
        assert_eq!(aux.digest(), Some(d));
        let none = ProgressMessage::from_json(json!({"status": "Status: Downloaded newer image"}));
        assert_eq!(none.digest(), None);
    }
}
