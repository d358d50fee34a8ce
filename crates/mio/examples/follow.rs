//! Follow the logs of every running container, plus the daemon's event stream, in one thread.
//!
//! ```text
//! cargo run -p docksock-mio --example follow -- [--socket /var/run/docker.sock] [--seconds N] [--tail 10]
//! ```
//!
//! Each output line is prefixed with the container name and stream (`web stdout | …`); events
//! are printed as `[event] container start web`. Containers that start while it runs are
//! followed too. Runs until Ctrl-C, or for `--seconds N`.
//!
//! Whether a container's logs are multiplexed frames or raw TTY bytes is read from its
//! `Config.Tty` (an inspect per container), never guessed from the bytes.

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use docksock_api::{containers, system, EventsOptions, ListContainersOptions, LogsOptions};
use docksock_mio::proto::stdcopy::StreamKind;
use docksock_mio::{Config, ConnId, Driver, Output, Request, RequestId};

struct Args {
    socket: String,
    seconds: Option<u64>,
    tail: String,
}

fn parse_args() -> Option<Args> {
    let mut args = Args {
        socket: "/var/run/docker.sock".into(),
        seconds: None,
        tail: "10".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next()?;
        match flag.as_str() {
            "--socket" => args.socket = value,
            "--seconds" => args.seconds = Some(value.parse().ok()?),
            "--tail" => args.tail = value,
            _ => return None,
        }
    }
    Some(args)
}

/// What a request is for.
enum Purpose {
    List,
    Inspect,
    Logs { name: String },
    Events,
}

/// Per request: its purpose, status and body so far (for list and inspect).
struct Pending {
    purpose: Purpose,
    status: u16,
    body: Vec<u8>,
}

/// Partial lines per (request, stream).
type Partial = HashMap<(RequestId, u8), Vec<u8>>;

struct App {
    socket: String,
    tail: String,
    driver: Driver,
    /// A keep-alive connection for short calls (list, inspect).
    control: Option<ConnId>,
    requests: HashMap<RequestId, Pending>,
    /// Containers being followed (by id).
    following: HashMap<String, RequestId>,
}

impl App {
    fn control(&mut self) -> Result<ConnId, String> {
        if let Some(c) = self.control.filter(|&c| self.driver.get(c).is_some()) {
            return Ok(c);
        }
        let c = self
            .driver
            .connect(&self.socket, Config::default())
            .map_err(|e| format!("connect {}: {e}", self.socket))?;
        self.control = Some(c);
        Ok(c)
    }

    fn send(
        &mut self,
        conn: ConnId,
        request: &Request<'_>,
        purpose: Purpose,
    ) -> Result<(), String> {
        let id = self
            .driver
            .send(conn, request)
            .map_err(|e| format!("send: {e}"))?;
        self.requests.insert(
            id,
            Pending {
                purpose,
                status: 0,
                body: Vec::new(),
            },
        );
        Ok(())
    }

    fn inspect(&mut self, id: &str) -> Result<(), String> {
        if self.following.contains_key(id) {
            return Ok(());
        }
        let conn = self.control()?;
        Request::with_call(&containers::inspect(id), None, |r| {
            self.send(conn, &r, Purpose::Inspect)
        })
    }

    /// Called with a finished inspect: start following that container.
    fn follow(&mut self, inspect: &serde_json::Value) -> Result<(), String> {
        let (Some(id), Some(name)) = (inspect["Id"].as_str(), inspect["Name"].as_str()) else {
            return Ok(());
        };
        if self.following.contains_key(id) {
            return Ok(());
        }
        let tty = inspect["Config"]["Tty"].as_bool().unwrap_or(false);
        // A stream stays open for as long as the container runs: its own connection.
        let conn = self
            .driver
            .connect(&self.socket, Config::default())
            .map_err(|e| format!("connect: {e}"))?;
        // The operation as the operations crate defines it: follow, both streams, no idle
        // deadline (a container may be quiet for as long as it likes).
        let opts = LogsOptions {
            follow: true,
            tail: Some(self.tail.clone()),
            tty: Some(tty),
            ..Default::default()
        };
        let rid = self
            .driver
            .send_call(conn, &containers::logs(id, &opts), None)
            .map_err(|e| format!("send: {e}"))?;
        let name = name.trim_start_matches('/').to_owned();
        eprintln!(
            "following {name} ({})",
            if tty { "tty" } else { "multiplexed" }
        );
        self.requests.insert(
            rid,
            Pending {
                purpose: Purpose::Logs { name },
                status: 0,
                body: Vec::new(),
            },
        );
        self.following.insert(id.to_owned(), rid);
        Ok(())
    }
}

fn print_lines(partial: &mut Partial, id: RequestId, name: &str, stream: StreamKind, data: &[u8]) {
    let (tag, label) = match stream {
        StreamKind::Stdout => (1, "stdout"),
        StreamKind::Stderr => (2, "stderr"),
        StreamKind::Stdin => (0, "stdin"),
    };
    let buf = partial.entry((id, tag)).or_default();
    buf.extend_from_slice(data);
    while let Some(nl) = buf.iter().position(|&b| b == b'\n') {
        let line: Vec<u8> = buf.drain(..=nl).collect();
        let text = String::from_utf8_lossy(&line);
        println!("{name} {label} | {}", text.trim_end_matches(['\n', '\r']));
    }
}

fn main() -> ExitCode {
    let Some(args) = parse_args() else {
        eprintln!("usage: follow [--socket PATH] [--seconds N] [--tail N|all]");
        return ExitCode::from(2);
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("follow: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    let mut app = App {
        socket: args.socket,
        tail: args.tail,
        driver: Driver::new().map_err(|e| format!("poll: {e}"))?,
        control: None,
        requests: HashMap::new(),
        following: HashMap::new(),
    };
    let until = args
        .seconds
        .map(|s| Instant::now() + Duration::from_secs(s));

    // The event stream on its own connection, then the list of running containers.
    let events_conn = app
        .driver
        .connect(&app.socket, Config::default())
        .map_err(|e| format!("connect {}: {e}", app.socket))?;
    // Operations as the operations crate defines them: the event stream as JSON messages
    // with no idle deadline, the list as one JSON document.
    let events_opts = EventsOptions::default();
    let events = system::events(&events_opts);
    Request::with_call(&events, None, |r| {
        app.send(events_conn, &r, Purpose::Events)
    })?;
    let control = app.control()?;
    let list_opts = ListContainersOptions::default();
    let list = containers::list(&list_opts);
    Request::with_call(&list, None, |r| app.send(control, &r, Purpose::List))?;

    let mut partial: Partial = HashMap::new();
    loop {
        if until.is_some_and(|u| Instant::now() >= u) {
            return Ok(());
        }
        let mut finished: Vec<RequestId> = Vec::new();
        let mut started: Vec<String> = Vec::new();
        let mut failure: Option<String> = None;
        let requests = &mut app.requests;
        app.driver
            .poll_once(Some(Duration::from_millis(500)), |_, out| {
                let Some(p) = out.id().and_then(|id| requests.get_mut(&id)) else {
                    return;
                };
                match out {
                    Output::Head { head, .. } => p.status = head.status(),
                    Output::Data { data, .. } => p.body.extend_from_slice(data),
                    Output::Frame { id, stream, data } => {
                        if let Purpose::Logs { name } = &p.purpose {
                            print_lines(&mut partial, id, name, stream, data);
                        }
                    }
                    Output::SystemError { text, .. } => {
                        eprintln!("daemon error: {}", String::from_utf8_lossy(text).trim_end())
                    }
                    Output::Json { message, .. } => {
                        let Ok(ev) = serde_json::from_slice::<serde_json::Value>(message) else {
                            return;
                        };
                        let kind = ev["Type"].as_str().unwrap_or("?");
                        let action = ev["Action"].as_str().unwrap_or("?");
                        let actor = ev["Actor"]["Attributes"]["name"]
                            .as_str()
                            .or(ev["Actor"]["ID"].as_str())
                            .unwrap_or("?");
                        println!("[event] {kind} {action} {actor}");
                        if kind == "container" && action == "start" {
                            if let Some(id) = ev["Actor"]["ID"].as_str() {
                                started.push(id.to_owned());
                            }
                        }
                    }
                    Output::End { id } => finished.push(id),
                    Output::Error { id, error } => {
                        if matches!(p.purpose, Purpose::Events | Purpose::List) {
                            failure = Some(format!("{id}: {error}"));
                        } else {
                            eprintln!("{id}: {error}");
                        }
                    }
                    _ => {}
                }
            })
            .map_err(|e| format!("poll: {e}"))?;
        if let Some(f) = failure {
            return Err(f);
        }
        for id in started {
            app.inspect(&id)?;
        }
        for rid in finished {
            let Some(p) = app.requests.remove(&rid) else {
                continue;
            };
            match p.purpose {
                Purpose::List if p.status == 200 => {
                    let list: serde_json::Value =
                        serde_json::from_slice(&p.body).map_err(|e| format!("list: {e}"))?;
                    for c in list.as_array().into_iter().flatten() {
                        if let Some(id) = c["Id"].as_str() {
                            app.inspect(id)?;
                        }
                    }
                }
                Purpose::Inspect if p.status == 200 => {
                    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&p.body) {
                        app.follow(&v)?;
                    }
                }
                Purpose::Logs { name } => {
                    eprintln!("{name}: log stream ended");
                    app.following.retain(|_, r| *r != rid);
                }
                Purpose::Events => return Err("the event stream ended".into()),
                _ => eprintln!(
                    "{rid}: status {}: {}",
                    p.status,
                    String::from_utf8_lossy(&p.body).trim_end()
                ),
            }
        }
    }
}
