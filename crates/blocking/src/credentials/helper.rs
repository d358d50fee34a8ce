//! The credential helper protocol (docker-credential-helpers' `client` package): run
//! `docker-credential-NAME ACTION`, write the request on its stdin, read its answer from its
//! stdout; a failure whose output says "credentials not found" is no credentials.

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use serde_json::Value;

use super::{cred_error, RegistryAuth, HELPER_PREFIX, MAX_HELPER_OUTPUT, TOKEN_USERNAME};
use crate::error::{shown, Error, Result};

/// How much of a failed helper's output an error quotes (its end).
const HELPER_OUTPUT_SHOWN: usize = 4 << 10;

/// A helper's failure: its "credentials not found" answer, or an error.
pub(super) enum HelperFailure {
    NotFound,
    Error(Error),
}

impl From<HelperFailure> for Error {
    fn from(f: HelperFailure) -> Error {
        match f {
            HelperFailure::Error(e) => e,
            HelperFailure::NotFound => Error::Credentials {
                registry: String::new(),
                message: "credentials not found".into(),
            },
        }
    }
}

/// Does this output say "credentials not found"? The reference helpers print exactly
/// `credentials not found in native keychain`; others word it their own way (a capital, no
/// keychain, a trailing period): the phrase is what counts.
pub(super) fn says_not_found(output: &[u8]) -> bool {
    String::from_utf8_lossy(output)
        .to_ascii_lowercase()
        .contains("credentials not found")
}

/// `get`: the credentials of `key`, `None` for "not found" (the reference helpers' exit 1 with
/// the message, or an answer with neither user nor secret).
pub(super) fn helper_get(helper: &str, key: &str) -> Result<Option<RegistryAuth>> {
    let out = match run_helper(helper, "get", key, key.as_bytes()) {
        Ok(out) => out,
        Err(HelperFailure::NotFound) => return Ok(None),
        Err(HelperFailure::Error(e)) => return Err(e),
    };
    if out.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let v: Value = serde_json::from_slice(&out).map_err(|e| {
        cred_error(
            key,
            format!("{HELPER_PREFIX}{helper} get: the answer is not JSON ({e})"),
        )
    })?;
    let field = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let (user, secret) = (field("Username"), field("Secret"));
    if user.is_empty() && secret.is_empty() {
        return Ok(None);
    }
    let mut auth = RegistryAuth {
        server_address: key.to_owned(),
        ..RegistryAuth::default()
    };
    if user == TOKEN_USERNAME {
        auth.identity_token = secret;
    } else {
        auth.username = user;
        auth.password = secret;
    }
    Ok(Some(auth))
}

/// Runs `docker-credential-HELPER ACTION` with `input` on its stdin; its stdout (at most
/// [`MAX_HELPER_OUTPUT`] bytes) on success.
pub(super) fn run_helper(
    helper: &str,
    action: &str,
    key: &str,
    input: &[u8],
) -> std::result::Result<Vec<u8>, HelperFailure> {
    let fail = |m: String| HelperFailure::Error(cred_error(key, m));
    if helper.trim().is_empty() || helper.contains(['/', '\0']) {
        return Err(fail(format!(
            "credential helper name {} refused (empty, or holds a / or NUL)",
            shown(helper)
        )));
    }
    let program = format!("{HELPER_PREFIX}{helper}");
    let mut child = Command::new(&program)
        .arg(action)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                fail(format!(
                    "credential helper {program} not found on PATH (named by credsStore or credHelpers)"
                ))
            } else {
                fail(format!("running {program} {action}: {e}"))
            }
        })?;
    // stderr in its own thread, so that a chatty helper cannot block on a full pipe.
    let stderr = child.stderr.take().map(|mut e| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            while let Ok(n) = e.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
                if buf.len() > 2 * HELPER_OUTPUT_SHOWN {
                    buf.drain(..buf.len() - HELPER_OUTPUT_SHOWN);
                }
            }
            buf
        })
    });
    if let Some(mut stdin) = child.stdin.take() {
        // A helper may exit without reading (a broken pipe is then not our error to report).
        let _ = stdin.write_all(input);
    }
    let mut out = Vec::new();
    let read = child
        .stdout
        .take()
        .map(|o| o.take(MAX_HELPER_OUTPUT as u64 + 1).read_to_end(&mut out));
    if out.len() > MAX_HELPER_OUTPUT {
        let _ = child.kill();
        let _ = child.wait();
        return Err(fail(format!(
            "{program} {action}: its answer is larger than {MAX_HELPER_OUTPUT} bytes"
        )));
    }
    let status = child
        .wait()
        .map_err(|e| fail(format!("waiting for {program} {action}: {e}")))?;
    let err_out = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    if let Some(Err(e)) = read {
        return Err(fail(format!(
            "reading the answer of {program} {action}: {e}"
        )));
    }
    if status.success() {
        return Ok(out);
    }
    if says_not_found(&out) || says_not_found(&err_out) {
        return Err(HelperFailure::NotFound);
    }
    let mut text = String::from_utf8_lossy(&out).trim().to_owned();
    let err_text = String::from_utf8_lossy(&err_out).trim().to_owned();
    if !err_text.is_empty() {
        if !text.is_empty() {
            text.push_str("; ");
        }
        text.push_str(&err_text);
    }
    if text.len() > HELPER_OUTPUT_SHOWN {
        let mut cut = text.len() - HELPER_OUTPUT_SHOWN;
        while !text.is_char_boundary(cut) {
            cut += 1;
        }
        text = format!("…{}", &text[cut..]);
    }
    Err(fail(format!(
        "{program} {action} failed ({status}): {text}"
    )))
}
