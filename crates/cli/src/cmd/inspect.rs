//! `inspect`: containers, images, networks and volumes, as docker prints them (a JSON array
//! indented by four spaces) or through `-f TEMPLATE`.

use docksock::api::{containers, images, networks, volumes};
use docksock::{Client, InspectNetworkOptions};

use super::{daemon_message, is_not_found, json_of, Handler};
use crate::args::{opt, switch, Args, Spec};
use crate::json::Json;
use crate::out;
use crate::template::Template;
use crate::Failure;

pub(super) static COMMANDS: &[(&Spec, Handler)] = &[(&INSPECT, inspect)];

static INSPECT: Spec = Spec {
    name: "inspect",
    usage: "NAME|ID [NAME|ID...]",
    about: "Return low-level information on Docker objects",
    flags: &[
        opt(
            Some('f'),
            "format",
            "string",
            "Format output using a custom template ('json' or a Go template)",
        ),
        switch(
            Some('s'),
            "size",
            "Display total file sizes if the type is container",
        ),
        opt(
            None,
            "type",
            "string",
            "Only inspect objects of the given type (container, image, network, volume)",
        ),
    ],
    min: 1,
    max: usize::MAX,
    stop_at_positional: false,
};

/// The object types, in the order docker tries them.
const TYPES: &[&str] = &["container", "image", "network", "volume"];

/// Inspects `name` as `kind`; `None` when there is no such object of that kind.
fn inspect_as(
    client: &Client,
    kind: &str,
    name: &str,
    size: bool,
) -> Result<Option<Json>, Failure> {
    let net_opts = InspectNetworkOptions::default();
    let call = match kind {
        "container" => {
            let c = containers::inspect(name);
            if size {
                c.query("size", "1")
            } else {
                c
            }
        }
        "image" => images::inspect(name),
        "network" => networks::inspect(name, &net_opts),
        "volume" => volumes::inspect(name),
        other => {
            return Err(Failure::Msg(format!(
                "\"{other}\" is not a valid value for --type"
            )))
        }
    };
    match client.run(call) {
        Ok(resp) => Ok(Some(json_of(resp)?)),
        Err(e) if is_not_found(&e) => Ok(None),
        // A name that cannot be an object of this kind (`repo/name` as a container id) is
        // not one; a reference the daemon cannot parse is no image.
        Err(docksock::Error::InvalidArgument { .. }) => Ok(None),
        Err(docksock::Error::Api { status: 400, .. }) if kind != "container" => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn inspect(client: &Client, a: &Args) -> Result<(), Failure> {
    let kinds: Vec<&str> = match a.get("type") {
        Some(t) if TYPES.contains(&t) => vec![t],
        Some(t) => {
            return Err(Failure::Msg(format!(
                "\"{t}\" is not a valid value for --type"
            )))
        }
        None => TYPES.to_vec(),
    };
    let template = match a.get("format") {
        None | Some("") => None,
        Some("json") => Some(Template::parse("{{json .}}").map_err(Failure::Msg)?),
        Some(f) => Some(
            Template::parse(&f.replace("\\n", "\n").replace("\\t", "\t"))
                .map_err(|e| Failure::Msg(format!("template parsing error: {e}")))?,
        ),
    };
    let mut found = Vec::new();
    let mut failed = false;
    for name in &a.pos {
        let mut hit = None;
        for kind in &kinds {
            match inspect_as(client, kind, name, a.on("size")) {
                Ok(Some(v)) => {
                    hit = Some(v);
                    break;
                }
                Ok(None) => {}
                Err(Failure::Docker(e)) => {
                    out::err_line(&daemon_message(&e));
                    failed = true;
                    hit = None;
                    break;
                }
                Err(other) => return Err(other),
            }
        }
        match hit {
            Some(v) => {
                if let Some(t) = &template {
                    // Each object prints as it is found, as docker's template output does.
                    match t.execute(&v) {
                        Ok(text) => out::line(&text)?,
                        Err(e) => {
                            out::err_line(&format!("template: {e}"));
                            return Err(Failure::Exit(1));
                        }
                    }
                } else {
                    found.push(v);
                }
            }
            None if !failed => {
                out::err_line(&format!("Error: No such object: {name}"));
                failed = true;
            }
            None => {}
        }
    }
    if template.is_none() {
        out::line(&Json::Arr(found).to_indented("    "))?;
    }
    if failed {
        Err(Failure::Exit(1))
    } else {
        Ok(())
    }
}
