//! Contexts: `context ls`, `context use`, `context show`. They read and write the context
//! store and `config.json` only (the library's [`docksock::Environment`]), so they work when
//! no daemon answers, and `context use default` mends a `currentContext` that names a
//! context gone from the store.

use docksock::{Environment, DEFAULT_CONTEXT};

use crate::args::{opt, switch, Args, Spec};
use crate::json::Json;
use crate::{out, Failure, Global};

/// A context command: it needs the global options, not a client.
pub(crate) type ContextHandler = fn(&Global, &Args) -> Result<(), Failure>;

pub(crate) static COMMANDS: &[(&Spec, ContextHandler)] =
    &[(&LS, ls), (&LIST, ls), (&USE, use_context), (&SHOW, show)];

const LS_FLAGS: &[crate::args::Flag] = &[
    opt(
        None,
        "format",
        "string",
        "Format output using a custom template ('table', 'json' or a Go template)",
    ),
    switch(Some('q'), "quiet", "Only show context names"),
];

static LS: Spec = Spec {
    name: "context ls",
    usage: "",
    about: "List contexts",
    flags: LS_FLAGS,
    min: 0,
    max: 0,
    stop_at_positional: false,
};

static LIST: Spec = Spec {
    name: "context list",
    usage: "",
    about: "List contexts",
    flags: LS_FLAGS,
    min: 0,
    max: 0,
    stop_at_positional: false,
};

static USE: Spec = Spec {
    name: "context use",
    usage: "CONTEXT",
    about: "Set the current docker context",
    flags: &[],
    min: 1,
    max: 1,
    stop_at_positional: false,
};

static SHOW: Spec = Spec {
    name: "context show",
    usage: "",
    about: "Print the name of the current context",
    flags: &[],
    min: 0,
    max: 0,
    stop_at_positional: false,
};

const HEADERS: &[(&str, &str)] = &[
    ("Name", "NAME"),
    ("Description", "DESCRIPTION"),
    ("DockerEndpoint", "DOCKER ENDPOINT"),
    ("Error", "ERROR"),
];

/// The context in use: `--context`, else `default` with `--host`, else the environment's.
fn current(global: &Global, env: &Environment) -> Result<String, Failure> {
    if let Some(c) = global.context.as_deref().filter(|c| !c.is_empty()) {
        return Ok(c.to_owned());
    }
    if global.host.is_some() {
        return Ok(DEFAULT_CONTEXT.to_owned());
    }
    Ok(env.current_context_name()?)
}

fn ls(global: &Global, a: &Args) -> Result<(), Failure> {
    let env = Environment::from_process();
    let now = current(global, &env)?;
    let contexts = env.contexts()?;
    if a.on("quiet") {
        let text: String = contexts.iter().map(|c| format!("{}\n", c.name)).collect();
        return out::print(&text);
    }
    let json = a.get("format") == Some("json");
    let rows: Vec<Json> = contexts
        .iter()
        .map(|c| {
            let is_current = c.name == now;
            // docker marks the current context in the table's name column only.
            let name = if is_current && !json && a.get("format").is_none() {
                format!("{} *", c.name)
            } else {
                c.name.clone()
            };
            Json::Obj(vec![
                ("Name".into(), Json::Str(name)),
                ("Description".into(), Json::Str(c.description.clone())),
                ("DockerEndpoint".into(), Json::Str(c.host.clone())),
                ("Current".into(), Json::Bool(is_current)),
                (
                    "Error".into(),
                    Json::Str(c.error.clone().unwrap_or_default()),
                ),
            ])
        })
        .collect();
    let format = out::format(
        a.get("format"),
        "table {{.Name}}\t{{.Description}}\t{{.DockerEndpoint}}\t{{.Error}}",
        HEADERS,
    )?;
    out::rows(&format, HEADERS, &rows)
}

fn use_context(_: &Global, a: &Args) -> Result<(), Failure> {
    let name = a.pos.first().map(String::as_str).unwrap_or_default();
    let env = Environment::from_process();
    env.use_context(name)?;
    out::line(name)?;
    if env.docker_host.is_some() {
        out::err_line(&format!(
            "Warning: DOCKER_HOST environment variable overrides the active context. To use \
             \"{name}\", either set the global --context flag, or unset DOCKER_HOST \
             environment variable."
        ));
    }
    Ok(())
}

fn show(global: &Global, _: &Args) -> Result<(), Failure> {
    let env = Environment::from_process();
    out::line(&current(global, &env)?)
}
