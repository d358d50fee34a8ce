//! `docksock`: a small command-line client for the Docker Engine over its Unix socket.
//!
//! ```text
//! docksock [--host URL | --context NAME] [--timeout-ms N] COMMAND [ARGS]
//!
//!   ping                         daemon liveness and API version
//!   version | info               GET /version, GET /info
//!   images                       list images
//!   ps [-a]                      list containers (all with -a)
//!   inspect NAME                 inspect a container
//!   logs [-f] [--tail N] NAME    a container's output, stdout and stderr kept apart
//!   start NAME | stop NAME       start or stop a container
//!   rm [-f] NAME                 remove a container (force with -f)
//!   events [--since T] [--until T]   the daemon's event stream, one JSON object per line
//!   pull IMAGE | push IMAGE      pull or push with docker's credentials; progress per layer,
//!                                then the digest
//!   login -u USER SERVER         checks USER and the password read from stdin with the
//!                                daemon, then stores them where `docker login` would
//!   logout SERVER                removes SERVER's stored credentials
//! ```
//!
//! `--host` takes a `DOCKER_HOST` value (`unix:///path`, `/path`, `tcp://host:port[/base]`,
//! `ssh://[user@]host[:port][/socket]`), `--context` a Docker context's name; without them, as
//! the `docker` CLI: `$DOCKER_HOST` (TLS with `DOCKER_TLS_VERIFY`/`DOCKER_CERT_PATH`), then
//! `$DOCKER_CONTEXT`, the `currentContext` of `config.json`, then `/var/run/docker.sock`. JSON is printed pretty. Exit status: 0 on
//! success, 1 on an error (printed on stderr), 2 on a usage error. For any other request, use the
//! `raw` example of the `docksock` crate.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use docksock::{
    Client, EventsOptions, ListContainersOptions, ListImagesOptions, LogsOptions, Progress,
    PullOptions, PushOptions, RegistryAuth, RemoveContainerOptions, StreamKind,
};

const USAGE: &str = "usage: docksock [--host URL | --context NAME] [--timeout-ms N] COMMAND [ARGS]
commands: ping | version | info | images | ps [-a] | inspect NAME
          logs [-f] [--tail N] NAME | start NAME | stop NAME | rm [-f] NAME
          events [--since T] [--until T]
          pull IMAGE | push IMAGE | login -u USER SERVER (password on stdin) | logout SERVER";

/// A command line that could not be understood.
struct Usage(String);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(Usage(msg))) => {
            let _ = writeln!(std::io::stderr(), "docksock: {msg}\n{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::Docker(e)) => {
            let _ = writeln!(std::io::stderr(), "docksock: {e}");
            ExitCode::FAILURE
        }
        // The reader of our output went away (`docksock ps | head -1`): nothing to say.
        Err(Failure::OutputClosed) => ExitCode::SUCCESS,
    }
}

enum Failure {
    Usage(Usage),
    Docker(docksock::Error),
    /// Standard output was closed by its reader.
    OutputClosed,
}

/// The outcome of a write to standard output or error: a closed pipe ends the command quietly.
fn output(written: std::io::Result<()>) -> Result<(), Failure> {
    match written {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Failure::OutputClosed),
        Err(e) => Err(docksock::Error::io("writing the output", e).into()),
    }
}

/// `println!` that reports a failed write instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {
        output(writeln!(std::io::stdout().lock(), $($arg)*))?
    };
}

impl From<docksock::Error> for Failure {
    fn from(e: docksock::Error) -> Self {
        Failure::Docker(e)
    }
}

impl From<Usage> for Failure {
    fn from(u: Usage) -> Self {
        Failure::Usage(u)
    }
}

/// Flags as `(name, value)`, the value present for flags that take one.
type Flags<'a> = Vec<(&'a str, Option<&'a str>)>;

/// Splits flags (`-a`, `--tail N`) from positional arguments. `with_value` lists the flags that
/// take a value.
fn parse<'a>(args: &'a [String], with_value: &[&str]) -> Result<(Flags<'a>, Vec<&'a str>), Usage> {
    let mut flags = Vec::new();
    let mut positional = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a.starts_with('-') && a.len() > 1 {
            if with_value.contains(&a.as_str()) {
                let v = it
                    .next()
                    .ok_or_else(|| Usage(format!("{a} needs a value")))?;
                flags.push((a.as_str(), Some(v.as_str())));
            } else {
                flags.push((a.as_str(), None));
            }
        } else {
            positional.push(a.as_str());
        }
    }
    Ok((flags, positional))
}

fn flag(flags: &[(&str, Option<&str>)], name: &str) -> bool {
    flags.iter().any(|(f, _)| *f == name)
}

fn value<'a>(flags: &[(&'a str, Option<&'a str>)], name: &str) -> Option<&'a str> {
    flags.iter().find(|(f, _)| *f == name).and_then(|(_, v)| *v)
}

fn check_flags(flags: &[(&str, Option<&str>)], known: &[&str]) -> Result<(), Usage> {
    match flags.iter().find(|(f, _)| !known.contains(f)) {
        Some((f, _)) => Err(Usage(format!("unknown option {f}"))),
        None => Ok(()),
    }
}

fn one_name<'a>(positional: &[&'a str], command: &str) -> Result<&'a str, Usage> {
    match positional {
        [name] => Ok(name),
        _ => Err(Usage(format!("{command} takes one container name or id"))),
    }
}

fn print_json(v: &serde_json::Value) -> Result<(), Failure> {
    say!("{v:#}");
    Ok(())
}

fn run(args: &[String]) -> Result<(), Failure> {
    // Global options come before the command.
    let mut host: Option<&str> = None;
    let mut context: Option<&str> = None;
    let mut timeout: Option<Duration> = None;
    let mut rest = args;
    loop {
        match rest {
            [opt, v, tail @ ..] if opt == "--host" || opt == "-H" => {
                host = Some(v);
                rest = tail;
            }
            [opt, v, tail @ ..] if opt == "--context" || opt == "-c" => {
                context = Some(v);
                rest = tail;
            }
            [opt, v, tail @ ..] if opt == "--timeout-ms" => {
                let ms: u64 = v
                    .parse()
                    .map_err(|_| Usage(format!("--timeout-ms takes milliseconds, not {v:?}")))?;
                timeout = Some(Duration::from_millis(ms));
                rest = tail;
            }
            _ => break,
        }
    }
    let mut builder = Client::builder_for(host.map(std::ffi::OsStr::new), context)?;
    if let Some(t) = timeout {
        builder = builder.head_timeout(t).idle_timeout(t);
    }
    let Some((command, rest)) = rest.split_first() else {
        return Err(Usage("no command given".into()).into());
    };
    let client = builder.build();
    match command.as_str() {
        "ping" => {
            no_args(rest, "ping")?;
            let ping = client.ping()?;
            say!(
                "{} (API {}, {})",
                ping.body,
                ping.api_version.as_deref().unwrap_or("unknown"),
                ping.os_type.as_deref().unwrap_or("unknown OS")
            );
        }
        "version" => {
            no_args(rest, "version")?;
            print_json(&client.version()?)?;
        }
        "info" => {
            no_args(rest, "info")?;
            print_json(&client.info()?)?;
        }
        "images" => {
            no_args(rest, "images")?;
            print_json(&client.list_images(&ListImagesOptions::default())?)?;
        }
        "ps" => {
            let (flags, positional) = parse(rest, &[])?;
            check_flags(&flags, &["-a", "--all"])?;
            if !positional.is_empty() {
                return Err(Usage("ps takes no arguments".into()).into());
            }
            let opts = ListContainersOptions {
                all: flag(&flags, "-a") || flag(&flags, "--all"),
                ..Default::default()
            };
            print_json(&client.list_containers(&opts)?)?;
        }
        "inspect" => {
            let (flags, positional) = parse(rest, &[])?;
            check_flags(&flags, &[])?;
            print_json(&client.inspect_container(one_name(&positional, "inspect")?)?)?;
        }
        "logs" => {
            let (flags, positional) = parse(rest, &["--tail"])?;
            check_flags(&flags, &["-f", "--follow", "--tail"])?;
            let name = one_name(&positional, "logs")?;
            let opts = LogsOptions {
                follow: flag(&flags, "-f") || flag(&flags, "--follow"),
                tail: value(&flags, "--tail").map(str::to_string),
                ..Default::default()
            };
            let mut logs = client.container_logs(name, &opts)?;
            let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
            while let Some((stream, data)) = logs.next_chunk()? {
                let written = match stream {
                    StreamKind::Stderr => err.write_all(data).and_then(|()| err.flush()),
                    _ => out.write_all(data).and_then(|()| out.flush()),
                };
                output(written)?;
            }
        }
        "start" | "stop" => {
            let (flags, positional) = parse(rest, &[])?;
            check_flags(&flags, &[])?;
            let name = one_name(&positional, command)?;
            if command == "start" {
                client.start_container(name)?;
            } else {
                client.stop_container(name, None)?;
            }
            say!("{name}");
        }
        "rm" => {
            let (flags, positional) = parse(rest, &[])?;
            check_flags(&flags, &["-f", "--force"])?;
            let name = one_name(&positional, "rm")?;
            let opts = RemoveContainerOptions {
                force: flag(&flags, "-f") || flag(&flags, "--force"),
                ..Default::default()
            };
            client.remove_container(name, &opts)?;
            say!("{name}");
        }
        "events" => {
            let (flags, positional) = parse(rest, &["--since", "--until"])?;
            check_flags(&flags, &["--since", "--until"])?;
            if !positional.is_empty() {
                return Err(Usage("events takes no arguments".into()).into());
            }
            let opts = EventsOptions {
                since: value(&flags, "--since").map(str::to_string),
                until: value(&flags, "--until").map(str::to_string),
                ..Default::default()
            };
            for event in client.events(&opts)? {
                say!("{}", event?);
            }
        }
        "pull" | "push" => {
            let (flags, positional) = parse(rest, &[])?;
            check_flags(&flags, &[])?;
            let image = one_name(&positional, command)?;
            let progress = if command == "pull" {
                client.pull(image, &PullOptions::default())?
            } else {
                client.push(image, &PushOptions::default())?
            };
            show_progress(progress)?;
        }
        "login" => {
            let (flags, positional) = parse(rest, &["-u", "--username"])?;
            check_flags(&flags, &["-u", "--username"])?;
            let server = one_name(&positional, "login")?;
            let user = value(&flags, "-u")
                .or_else(|| value(&flags, "--username"))
                .ok_or_else(|| Usage("login needs -u USER".into()))?;
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .map_err(|e| docksock::Error::io("reading the password from stdin", e))?;
            let password = password.trim_end_matches(['\n', '\r']);
            let answer = client.login(&RegistryAuth::basic(user, password, server))?;
            say!("{}", answer["Status"].as_str().unwrap_or("Login Succeeded"));
        }
        "logout" => {
            let (flags, positional) = parse(rest, &[])?;
            check_flags(&flags, &[])?;
            let server = one_name(&positional, "logout")?;
            client.logout(server)?;
            say!("Removing login credentials for {server}");
        }
        other => return Err(Usage(format!("unknown command {other:?}")).into()),
    }
    Ok(())
}

/// Prints a pull or push stream a line per message (`id: status current/total`), then the
/// digest.
fn show_progress(mut progress: Progress) -> Result<(), Failure> {
    for msg in &mut progress {
        let msg = msg?;
        let mut line = String::new();
        if let Some(id) = &msg.id {
            line.push_str(id);
            line.push_str(": ");
        }
        line.push_str(msg.status.as_deref().unwrap_or(""));
        if let (Some(cur), Some(total)) = (msg.current, msg.total) {
            line.push_str(&format!(" {cur}/{total}"));
        }
        say!("{line}");
    }
    let done = progress.finish()?;
    if let Some(d) = done.digest {
        say!("digest: {d}");
    }
    Ok(())
}

fn no_args(rest: &[String], command: &str) -> Result<(), Usage> {
    if rest.is_empty() {
        Ok(())
    } else {
        Err(Usage(format!("{command} takes no arguments")))
    }
}
