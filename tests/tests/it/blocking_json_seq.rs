//! The events call and JSON message streams with the media types newer engines send, against
//! the scripted fault server, from constructed bytes (no engine here speaks API 1.52):
//! `application/json-seq` (RFC 7464 records, RS before each: Docker 29), `application/jsonl`
//! and `application/x-ndjson`. None is rejected; every one gives the same events, whatever the
//! HTTP chunks (here one chunk per record, and a record split across chunks).

use std::time::Duration;

use docksock::{ApiVersion, Client, EventsOptions};
use docksock_tests::fault_server::{FaultServer, Step};
use serde_json::Value;

const EVENTS: [&str; 2] = [
    r#"{"Type":"container","Action":"create","Actor":{"ID":"c1","Attributes":{"name":"web"}},"scope":"local","time":1767225600}"#,
    r#"{"Type":"container","Action":"start","Actor":{"ID":"c1","Attributes":{}},"scope":"local","time":1767225601}"#,
];

/// A chunked events answer of this media type: a chunk per record, the second record split
/// in two chunks.
fn answer(content_type: &str, seq: bool) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 200 OK\r\nApi-Version: 1.52\r\nContent-Type: {content_type}\r\n\
         Transfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    for event in EVENTS {
        let mut record = Vec::new();
        if seq {
            record.push(0x1e);
        }
        record.extend_from_slice(event.as_bytes());
        record.push(b'\n');
        chunks.push(record);
    }
    let second = chunks.pop().unwrap();
    let (a, b) = second.split_at(7);
    chunks.push(a.to_vec());
    chunks.push(b.to_vec());
    for chunk in chunks {
        out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        out.extend_from_slice(&chunk);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

#[test]
fn events_in_every_json_stream_media_type() {
    for (content_type, seq) in [
        ("application/json-seq", true),
        ("application/jsonl", false),
        ("application/x-ndjson", false),
        ("application/json", false),
        // RS before each record in a stream that did not say json-seq: skipped all the same.
        ("application/jsonl; charset=utf-8", true),
    ] {
        let server = FaultServer::start(vec![
            Step::ReadRequest,
            Step::write(answer(content_type, seq)),
        ]);
        let docker = Client::builder()
            .socket(server.path())
            .api_version(ApiVersion::new(1, 51))
            .head_timeout(Duration::from_secs(5))
            .idle_timeout(Duration::from_secs(5))
            .build();
        let opts = EventsOptions {
            since: Some("0".into()),
            until: Some("1767225602".into()),
            ..Default::default()
        };
        let events: Vec<Value> = docker
            .events(&opts)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("{content_type}: {e}"));
        let want: Vec<Value> = EVENTS
            .iter()
            .map(|e| serde_json::from_str(e).unwrap())
            .collect();
        assert_eq!(events, want, "{content_type}");
        assert!(server.wait_finished(Duration::from_secs(5)));
    }
}
