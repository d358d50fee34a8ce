//! `docksock`: the docker commands people type every day, over the Engine API's Unix socket.
//!
//! ```text
//! docksock [--host URL] [--timeout-ms N] COMMAND [OPTIONS] [ARGS]
//! ```
//!
//! `docksock --help` lists the commands, `docksock COMMAND --help` the flags of one. Output
//! follows docker's: tables, relative times and human sizes, `--format` templates and
//! `--format json`. Exit status as docker's: 0, 1 on an error, 125 for a usage error or a
//! daemon error before `run`'s container started, 126/127 when its command cannot be run,
//! else the container's (or exec's) own code.
//!
//! Modules: [`args`] (flag parsing, help), [`out`] and [`fmt`] (tables, times, sizes),
//! [`template`] (Go templates), [`json`] (ordered JSON), [`term`] (raw mode, window size,
//! signals, the interactive session), [`progress`] (pull and push progress as docker draws
//! it), [`tar`] (tar streams written for build contexts and `cp`), and one module per command
//! group under `cmd`.

mod args;
mod cmd;
mod fmt;
mod json;
mod out;
mod progress;
mod tar;
mod template;
mod term;

use std::process::ExitCode;
use std::time::Duration;

use args::Usage;
use docksock::{Client, ClientBuilder};

/// Why a command ended without success.
#[derive(Debug)]
pub(crate) enum Failure {
    /// A command line that could not be understood (125, as docker).
    Usage(Usage),
    /// An error from the daemon or the connection (1).
    Docker(docksock::Error),
    /// Any other error, already worded (1).
    Msg(String),
    /// The exit status the command decided (a container's code).
    Exit(u8),
    /// Standard output was closed by its reader: nothing to say.
    OutputClosed,
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

/// The options before the command.
#[derive(Default)]
pub(crate) struct Global {
    host: Option<String>,
    context: Option<String>,
    timeout: Option<Duration>,
}

/// The one place the daemon to talk to is chosen, as docker does: `--context`, else `--host`,
/// else `DOCKER_HOST`, `DOCKER_CONTEXT`, the `currentContext` of `config.json`, else the
/// default socket (the library's [`Client::builder_for`]).
pub(crate) fn connect(global: &Global) -> Result<Client, Failure> {
    let mut builder: ClientBuilder = Client::builder_for(
        global.host.as_deref().map(std::ffi::OsStr::new),
        global.context.as_deref(),
    )?;
    if let Some(t) = global.timeout {
        builder = builder.head_timeout(t).idle_timeout(t);
    }
    Ok(builder.build())
}

const MAIN_HELP: &str = "
Usage:  docksock [OPTIONS] COMMAND

A small client for the Docker Engine over its Unix socket

Options:
  -c, --context string   Name of the context to use (default $DOCKER_CONTEXT, then the
                         currentContext of config.json)
  -H, --host string      Daemon to connect to (unix:///path, tcp://host:port, ssh://user@host;
                         default $DOCKER_HOST, then /var/run/docker.sock)
      --timeout-ms int   Response and idle timeout in milliseconds
  -h, --help             Print usage

Containers:
  run, create, exec, ps, logs, start, stop, restart, kill, rm, wait, attach, top, stats,
  port, rename, pause, unpause, export, cp

Images and registries:
  images, rmi, tag, build, save, load, import, history, pull, push, login, logout

Objects and system:
  inspect, network (ls, create, rm, inspect, prune), volume (ls, create, rm, inspect,
  prune), system (df, prune, info, events), context (ls, use, show), info, version,
  events, ping

Run 'docksock COMMAND --help' for more information on a command.
";

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let code = match run(&argv) {
        Ok(()) => 0,
        Err(Failure::Usage(Usage(msg))) => {
            out::err_line(&format!("docksock: {msg}"));
            125
        }
        Err(Failure::Docker(e)) => {
            out::err_line(&cmd::daemon_message(&e));
            1
        }
        Err(Failure::Msg(m)) => {
            out::err_line(&m);
            1
        }
        Err(Failure::Exit(code)) => code,
        Err(Failure::OutputClosed) => 0,
    };
    term::restore();
    ExitCode::from(code)
}

fn run(argv: &[String]) -> Result<(), Failure> {
    let mut global = Global::default();
    let mut rest = argv;
    loop {
        match rest {
            [opt, v, tail @ ..] if opt == "--host" || opt == "-H" => {
                global.host = Some(v.clone());
                rest = tail;
            }
            [opt, tail @ ..] if opt.starts_with("--host=") => {
                global.host = Some(opt["--host=".len()..].to_owned());
                rest = tail;
            }
            [opt, v, tail @ ..] if opt == "--context" || opt == "-c" => {
                global.context = Some(v.clone());
                rest = tail;
            }
            [opt, tail @ ..] if opt.starts_with("--context=") => {
                global.context = Some(opt["--context=".len()..].to_owned());
                rest = tail;
            }
            [opt, v, tail @ ..] if opt == "--timeout-ms" => {
                let ms: u64 = v
                    .parse()
                    .map_err(|_| Usage(format!("--timeout-ms takes milliseconds, not {v:?}")))?;
                global.timeout = Some(Duration::from_millis(ms));
                rest = tail;
            }
            [opt, ..] if opt == "--help" || opt == "-h" => return out::print(MAIN_HELP),
            [opt, ..] if opt.starts_with('-') => {
                return Err(Usage(format!("unknown flag: {opt}\nSee 'docksock --help'.")).into())
            }
            _ => break,
        }
    }
    let Some((command, rest)) = rest.split_first() else {
        return Err(Usage("no command given\nSee 'docksock --help'.".into()).into());
    };
    cmd::dispatch(&global, command, rest)
}
