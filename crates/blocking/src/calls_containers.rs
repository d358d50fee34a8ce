//! Containers beyond their lifecycle: pause, unpause, rename, update, resize, prune, changes,
//! export, the archive of a path (get, stat, put); and an exec's TTY size. Each method is one
//! operation of `docksock-api` run by [`Client::run`] (or [`Client::run_with_body`] for a
//! streamed tar).

use std::io::Read;

use docksock_api::{containers, exec, Filters, PutArchiveOptions};
use serde_json::Value;

use crate::body::Body;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::path_stat::PathStat;
use crate::response::{Response, ResponseBody};

/// Reads the rest of a short answer so that its connection can be reused.
pub(crate) fn done(mut resp: Response) {
    resp.body.discard();
}

/// The body as one JSON document, or `null` when the daemon sent none (some answers the
/// description documents as JSON are empty on some engines).
pub(crate) fn json_or_null(resp: Response) -> Result<Value> {
    let bytes = resp.bytes()?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(&bytes).map_err(|e| Error::json("parsing the response body", e))
}

/// A JSON value as request-body bytes.
pub(crate) fn json_bytes(v: &Value) -> Vec<u8> {
    // Serializing a `Value` cannot fail: its map keys are strings.
    serde_json::to_vec(v).unwrap_or_default()
}

/// The header that carries a path's stat on the archive endpoints.
const PATH_STAT_HEADER: &str = "X-Docker-Container-Path-Stat";

/// Decodes standard base64 (`A-Z a-z 0-9 + /`, `=` padding optional; whitespace ignored), as
/// Go's `base64.StdEncoding` writes it. `None` for anything else.
pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' | b'-' => Some(62),
            b'/' | b'_' => Some(63),
            _ => None,
        }
    }
    let digits: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    let digits = match digits.iter().position(|&c| c == b'=') {
        Some(pad) => {
            if digits.get(pad..)?.iter().any(|&c| c != b'=') || !digits.len().is_multiple_of(4) {
                return None;
            }
            digits.get(..pad)?
        }
        None => &digits[..],
    };
    if digits.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(digits.len() / 4 * 3 + 2);
    for group in digits.chunks(4) {
        let mut acc = 0u32;
        for &c in group {
            acc = (acc << 6) | value(c)?;
        }
        let bits = 6 * group.len() as u32;
        acc <<= 24 - bits;
        let bytes = acc.to_be_bytes();
        let n = group.len() - 1;
        out.extend_from_slice(bytes.get(1..=n)?);
    }
    Some(out)
}

/// The stat of a path from the archive endpoints' header: base64 of a JSON object (`name`,
/// `size`, `mode`, `mtime`, `linkTarget`).
pub(crate) fn path_stat(resp: &Response, what: &str) -> Result<PathStat> {
    let header = resp.header(PATH_STAT_HEADER).ok_or_else(|| {
        Error::Unexpected(format!(
            "{what}: no {PATH_STAT_HEADER} header in the answer"
        ))
    })?;
    let raw = base64_decode(header).ok_or_else(|| {
        Error::Unexpected(format!(
            "{what}: {PATH_STAT_HEADER} is not base64: {}",
            crate::error::shown(header)
        ))
    })?;
    PathStat::from_json(&raw, what)
}

impl Client {
    /// `POST /containers/{id}/pause` (`docker pause`): freezes every process of the container.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for an unknown container, 409 (Podman: 500) when it is not running
    /// or already paused.
    pub fn pause_container(&self, id: &str) -> Result<()> {
        done(self.run(containers::pause(id))?);
        Ok(())
    }

    /// `POST /containers/{id}/unpause` (`docker unpause`).
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for an unknown container, 409 (Podman: 500) when it is not paused.
    pub fn unpause_container(&self, id: &str) -> Result<()> {
        done(self.run(containers::unpause(id))?);
        Ok(())
    }

    /// `POST /containers/{id}/rename?name=` (`docker rename`).
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for an unknown container, 409 when the new name is in use (see
    /// [`Error::is_conflict`]), 400/500 for an invalid name.
    pub fn rename_container(&self, id: &str, new_name: &str) -> Result<()> {
        done(self.run(containers::rename(id, new_name))?);
        Ok(())
    }

    /// `POST /containers/{id}/update` (`docker update`): `update` is the body (`Memory`,
    /// `MemorySwap`, `CpuShares`, `PidsLimit`, `RestartPolicy`…). Returns the daemon's answer,
    /// `{"Warnings": [...]}`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for an unknown container, 400/500 for a value the daemon refuses
    /// (a memory limit below the current usage, a restart policy on an auto-remove container).
    pub fn update_container(&self, id: &str, update: &Value) -> Result<Value> {
        self.run(containers::update(id, json_bytes(update)))?.json()
    }

    /// `POST /containers/{id}/resize?h=&w=`: the size of the container's TTY, in characters.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for an unknown container; 409/500 when it is not running or has no
    /// TTY (engines differ).
    pub fn resize_container(&self, id: &str, height: u32, width: u32) -> Result<()> {
        done(self.run(containers::resize(id, height, width))?);
        Ok(())
    }

    /// `POST /containers/prune?filters=` (`docker container prune`; filters `until`,
    /// `label`): removes every stopped container. Returns the report:
    /// `{"ContainersDeleted": [ids] or null, "SpaceReclaimed": bytes}`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 400 for an invalid filter, 409 when a prune is already running.
    pub fn prune_containers(&self, filters: Option<&Filters>) -> Result<Value> {
        self.run(containers::prune(filters))?.json()
    }

    /// `GET /containers/{id}/changes` (`docker diff`): `[{"Path": …, "Kind": 0|1|2}]`
    /// (modified, added, deleted); `null` (dockerd) or `[]` when nothing changed.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for an unknown container.
    pub fn container_changes(&self, id: &str) -> Result<Value> {
        self.run(containers::changes(id))?.json()
    }

    /// `GET /containers/{id}/export` (`docker export`): the container's file system as a tar
    /// stream, read as it comes.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for an unknown container. Errors while reading come from the
    /// returned body.
    pub fn export_container(&self, id: &str) -> Result<ResponseBody> {
        Ok(self.run(containers::export(id))?.into_body())
    }

    /// `GET /containers/{id}/archive?path=` (`docker cp` out of a container): `path` as a tar
    /// stream (a file as one entry, a directory with its contents), read as it comes. The
    /// path's stat is [`container_archive_info`](Self::container_archive_info).
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 when the container or the path does not exist, 400 for a bad path.
    pub fn container_archive(&self, id: &str, path: &str) -> Result<ResponseBody> {
        Ok(self.run(containers::archive(id, path))?.into_body())
    }

    /// `HEAD /containers/{id}/archive?path=`: the stat of `path` in the container, decoded
    /// from the `X-Docker-Container-Path-Stat` header (base64 of the JSON `{"name", "size",
    /// "mode", "mtime", "linkTarget"}`) into a [`PathStat`], whose mode is Go's
    /// `os.FileMode` ([`FileMode`](crate::FileMode): the type in the high bits).
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 when the container or the path does not exist (a `HEAD` answer has
    /// no body: the message is the status); [`Error::Unexpected`] when the header is missing,
    /// not base64, or lacks `name`, `size` or `mode`; [`Error::Json`] when it does not hold
    /// JSON.
    pub fn container_archive_info(&self, id: &str, path: &str) -> Result<PathStat> {
        let resp = self.run(containers::archive_info(id, path))?;
        let stat = path_stat(&resp, "container archive info");
        done(resp);
        stat
    }

    /// `PUT /containers/{id}/archive?path=&noOverwriteDirNonDir=&copyUIDGID=` (`docker cp`
    /// into a container): extracts the tar read from `tar` (streamed chunked, constant memory)
    /// into the directory `path` of the container.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 when the container or the directory does not exist, 400 when `path`
    /// is not a directory or the tar is invalid, 403 for a read-only path; errors of reading
    /// `tar`.
    pub fn put_container_archive(
        &self,
        id: &str,
        path: &str,
        tar: impl Read,
        opts: &PutArchiveOptions,
    ) -> Result<()> {
        let call = containers::put_archive(id, path, opts);
        done(self.run_with_body(call, Body::reader(tar))?);
        Ok(())
    }

    /// `POST /exec/{id}/resize?h=&w=`: the size of an exec's TTY (an exec created with `Tty`
    /// and started).
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for an unknown exec; 409/500 when it is not running or has no TTY
    /// (engines differ).
    pub fn resize_exec(&self, exec_id: &str, height: u32, width: u32) -> Result<()> {
        done(self.run(exec::resize(exec_id, height, width))?);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::base64_decode;

    #[test]
    fn base64_as_go_writes_it() {
        assert_eq!(base64_decode("").as_deref(), Some(&b""[..]));
        assert_eq!(base64_decode("Zg==").as_deref(), Some(&b"f"[..]));
        assert_eq!(base64_decode("Zm8=").as_deref(), Some(&b"fo"[..]));
        assert_eq!(base64_decode("Zm9v").as_deref(), Some(&b"foo"[..]));
        assert_eq!(base64_decode("Zm9vYg").as_deref(), Some(&b"foob"[..]));
        let stat = "eyJuYW1lIjoiaGVsbG8udHh0Iiwic2l6ZSI6NX0=";
        assert_eq!(
            base64_decode(stat).as_deref(),
            Some(&br#"{"name":"hello.txt","size":5}"#[..])
        );
        assert_eq!(base64_decode("Z"), None);
        assert_eq!(base64_decode("Zg=a"), None);
        assert_eq!(base64_decode("Z!=="), None);
    }
}
