//! The commands, one module per group, and the table that dispatches to them.

mod container;
mod context;
mod cp;
mod image;
mod inspect;
mod object;
mod registry;
mod run;
mod system;

use crate::args::{Args, Parse, Spec, Usage};
use crate::{connect, out, Failure, Global};
use docksock::Client;

/// A command: its spec and what runs it.
pub(crate) type Handler = fn(&Client, &Args) -> Result<(), Failure>;

/// Every command: `(name, spec, handler)`; a group's subcommands are named "group sub".
fn commands() -> Vec<(&'static str, &'static Spec, Handler)> {
    let mut all = Vec::new();
    all.extend(container::COMMANDS.iter().map(|(s, h)| (s.name, *s, *h)));
    all.extend(run::COMMANDS.iter().map(|(s, h)| (s.name, *s, *h)));
    all.extend(image::COMMANDS.iter().map(|(s, h)| (s.name, *s, *h)));
    all.extend(inspect::COMMANDS.iter().map(|(s, h)| (s.name, *s, *h)));
    all.extend(object::COMMANDS.iter().map(|(s, h)| (s.name, *s, *h)));
    all.extend(registry::COMMANDS.iter().map(|(s, h)| (s.name, *s, *h)));
    all.extend(cp::COMMANDS.iter().map(|(s, h)| (s.name, *s, *h)));
    all.extend(system::COMMANDS.iter().map(|(s, h)| (s.name, *s, *h)));
    all
}

/// Groups whose first word picks a subcommand; `container X` and `image X` are aliases of
/// the top-level commands.
const GROUPS: &[&str] = &["network", "volume", "system"];

/// Runs `command` with its words.
pub(crate) fn dispatch(global: &Global, command: &str, rest: &[String]) -> Result<(), Failure> {
    if command == "context" {
        return dispatch_context(global, rest);
    }
    let all = commands();
    let (name, rest) = match command {
        "container" | "image" => match rest.split_first() {
            Some((sub, tail)) => (alias(command, sub), tail),
            None => return Err(Usage(format!("\"docksock {command}\" needs a subcommand")).into()),
        },
        g if GROUPS.contains(&g) => match rest.split_first() {
            Some((sub, tail)) if !sub.starts_with('-') => (format!("{g} {sub}"), tail),
            _ => {
                let subs: Vec<&str> = all
                    .iter()
                    .filter_map(|(n, _, _)| n.strip_prefix(g).map(str::trim))
                    .collect();
                let text = format!(
                    "\nUsage:  docksock {g} COMMAND\n\nCommands:\n  {}\n",
                    subs.join("\n  ")
                );
                if rest.is_empty() {
                    out::print(&text)?;
                    return Ok(());
                }
                return out::print(&text);
            }
        },
        other => (other.to_owned(), rest),
    };
    let Some((_, spec, handler)) = all.iter().find(|(n, _, _)| *n == name) else {
        return Err(Usage(format!("unknown command {name:?}\nSee 'docksock --help'.")).into());
    };
    match spec.parse(rest)? {
        Parse::Help(text) => out::print(&text),
        Parse::Args(args) => {
            let client = connect(global)?;
            handler(&client, &args)
        }
    }
}

/// `context SUB`: runs without a client (the store and `config.json` only).
fn dispatch_context(global: &Global, rest: &[String]) -> Result<(), Failure> {
    let sub = match rest.split_first() {
        Some((sub, tail)) if !sub.starts_with('-') => Some((format!("context {sub}"), tail)),
        _ => None,
    };
    let Some((name, tail)) = sub else {
        let subs: Vec<&str> = context::COMMANDS
            .iter()
            .map(|(s, _)| s.name.trim_start_matches("context "))
            .collect();
        return out::print(&format!(
            "\nUsage:  docksock context COMMAND\n\nCommands:\n  {}\n",
            subs.join("\n  ")
        ));
    };
    let Some((spec, handler)) = context::COMMANDS.iter().find(|(s, _)| s.name == name) else {
        return Err(Usage(format!(
            "unknown command {name:?}\nSee 'docksock context --help'."
        ))
        .into());
    };
    match spec.parse(tail)? {
        Parse::Help(text) => out::print(&text),
        Parse::Args(args) => handler(global, &args),
    }
}

/// `container ls` → `ps`, `image ls` → `images`…
fn alias(group: &str, sub: &str) -> String {
    match (group, sub) {
        ("container", "ls" | "list") => "ps".into(),
        ("image", "ls" | "list") => "images".into(),
        ("image", "rm") => "rmi".into(),
        ("container" | "image", other) => other.into(),
        _ => sub.into(),
    }
}

/// docker's wording for an error: the daemon's own message after "Error response from
/// daemon:", others as they are.
pub(crate) fn daemon_message(e: &docksock::Error) -> String {
    match e {
        docksock::Error::Api { message, .. } => format!("Error response from daemon: {message}"),
        other => format!("docksock: {other}"),
    }
}

/// Whether the error is the daemon's 404.
pub(crate) fn is_not_found(e: &docksock::Error) -> bool {
    matches!(e, docksock::Error::Api { status: 404, .. })
}

/// Runs `f` for each name, printing what it returns (if anything) and each error on stderr as
/// docker does; fails (exit 1) if any failed.
pub(crate) fn each(
    names: &[String],
    mut f: impl FnMut(&str) -> Result<Option<String>, Failure>,
) -> Result<(), Failure> {
    let mut failed = false;
    for name in names {
        match f(name) {
            Ok(Some(text)) => out::line(&text)?,
            Ok(None) => {}
            Err(Failure::Docker(e)) => {
                out::err_line(&daemon_message(&e));
                failed = true;
            }
            Err(Failure::Msg(m)) => {
                out::err_line(&m);
                failed = true;
            }
            Err(other) => return Err(other),
        }
    }
    if failed {
        Err(Failure::Exit(1))
    } else {
        Ok(())
    }
}

/// `--filter k=v` flags as the API's filters.
pub(crate) fn filters(args: &Args) -> Result<Option<docksock::Filters>, Failure> {
    let given = args.all("filter");
    if given.is_empty() {
        return Ok(None);
    }
    let mut f = docksock::Filters::default();
    for kv in given {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| Usage(format!("bad format of filter (expected name=value): {kv}")))?;
        f.add(k.trim(), v);
    }
    Ok(Some(f))
}

/// Runs a read whose answer is read tolerantly (a list) without negotiating the API version
/// first: a path without the version prefix is answered in the daemon's own current version
/// (every engine serves both forms), which saves the `HEAD /_ping` round trip — a large part of
/// a short command like `ps`. Errors as [`Client::run`]'s.
pub(crate) fn run_read(
    client: &Client,
    call: docksock::Call<'_>,
) -> Result<docksock::Response, Failure> {
    let op = call.operation();
    let resp = client.send(&call, docksock::Body::empty(), None)?;
    if op.is_success(resp.status) {
        Ok(resp)
    } else {
        Err(resp.into_error().into())
    }
}

/// The whole body of a call, parsed with its field order kept.
pub(crate) fn json_of(resp: docksock::Response) -> Result<crate::json::Json, Failure> {
    let op = String::new();
    let bytes = resp.bytes()?;
    crate::json::Json::parse(&bytes).map_err(|e| {
        Failure::Msg(format!(
            "docksock: the daemon's answer{op} is not JSON: {e}"
        ))
    })
}
