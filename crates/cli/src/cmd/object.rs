//! `network` and `volume`: `ls`, `create`, `rm`, `inspect`, `prune`.

use docksock::api::{networks, volumes};
use docksock::Client;
use serde_json::{json, Map, Value};

use super::{each, filters, json_of, Handler};
use crate::args::{opt, switch, Args, Spec};
use crate::fmt;
use crate::json::{obj, Json};
use crate::out;
use crate::template::Template;
use crate::Failure;

pub(super) static COMMANDS: &[(&Spec, Handler)] = &[
    (&NET_LS, network_ls),
    (&NET_CREATE, network_create),
    (&NET_RM, network_rm),
    (&NET_INSPECT, network_inspect),
    (&NET_PRUNE, network_prune),
    (&VOL_LS, volume_ls),
    (&VOL_CREATE, volume_create),
    (&VOL_RM, volume_rm),
    (&VOL_INSPECT, volume_inspect),
    (&VOL_PRUNE, volume_prune),
];

const MANY: usize = usize::MAX;

static NET_LS: Spec = Spec {
    name: "network ls",
    usage: "",
    about: "List networks",
    flags: &[
        opt(Some('f'), "filter", "filter", "Provide filter values (e.g. \"driver=bridge\")"),
        opt(None, "format", "string", "Format output using a custom template ('table', 'table TEMPLATE', 'json', or a Go template)"),
        switch(None, "no-trunc", "Do not truncate the output"),
        switch(Some('q'), "quiet", "Only display network IDs"),
    ],
    min: 0,
    max: 0,
    stop_at_positional: false,
};

const NET_HEADERS: &[(&str, &str)] = &[
    ("ID", "NETWORK ID"),
    ("Name", "NAME"),
    ("Driver", "DRIVER"),
    ("Scope", "SCOPE"),
    ("IPv6", "IPV6"),
    ("Internal", "INTERNAL"),
    ("Labels", "LABELS"),
    ("CreatedAt", "CREATED AT"),
];

fn labels(v: &Json) -> String {
    let mut l: Vec<String> = v
        .fields()
        .iter()
        .map(|(k, v)| format!("{k}={}", v.str()))
        .collect();
    l.sort();
    l.join(",")
}

fn network_ls(client: &Client, a: &Args) -> Result<(), Failure> {
    let f = filters(a)?;
    let list = json_of(client.run(networks::list(f.as_ref()))?)?;
    let trunc = !a.on("no-trunc");
    let mut rows: Vec<Json> = list
        .items()
        .iter()
        .map(|n| {
            let id = n.get("Id").str();
            obj(vec![
                ("CreatedAt", n.get("Created").str().to_owned()),
                ("Driver", n.get("Driver").str().to_owned()),
                ("ID", if trunc { fmt::short_id(id) } else { id }.to_owned()),
                ("IPv6", n.get("EnableIPv6").truthy().to_string()),
                ("Internal", n.get("Internal").truthy().to_string()),
                ("Labels", labels(n.get("Labels"))),
                ("Name", n.get("Name").str().to_owned()),
                ("Scope", n.get("Scope").str().to_owned()),
            ])
        })
        .collect();
    // docker sorts networks by name.
    rows.sort_by(|x, y| x.get("Name").str().cmp(y.get("Name").str()));
    if a.on("quiet") {
        let text: String = rows
            .iter()
            .map(|r| format!("{}\n", r.get("ID").str()))
            .collect();
        return out::print(&text);
    }
    let format = out::format(
        a.get("format"),
        "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}",
        NET_HEADERS,
    )?;
    out::rows(&format, NET_HEADERS, &rows)
}

static NET_CREATE: Spec = Spec {
    name: "network create",
    usage: "NETWORK",
    about: "Create a network",
    flags: &[
        opt(
            Some('d'),
            "driver",
            "string",
            "Driver to manage the Network (default \"bridge\")",
        ),
        opt(
            None,
            "gateway",
            "string",
            "IPv4 or IPv6 Gateway for the master subnet",
        ),
        switch(None, "internal", "Restrict external access to the network"),
        switch(None, "ipv6", "Enable or disable IPv6 networking"),
        opt(None, "label", "list", "Set metadata on a network"),
        opt(Some('o'), "opt", "map", "Set driver specific options"),
        opt(
            None,
            "subnet",
            "string",
            "Subnet in CIDR format that represents a network segment",
        ),
    ],
    min: 1,
    max: 1,
    stop_at_positional: false,
};

fn kv_map(items: Vec<&str>) -> Map<String, Value> {
    items
        .into_iter()
        .map(|s| {
            let (k, v) = s.split_once('=').unwrap_or((s, ""));
            (k.to_owned(), json!(v))
        })
        .collect()
}

fn network_create(client: &Client, a: &Args) -> Result<(), Failure> {
    let mut body = Map::new();
    body.insert("Name".into(), json!(a.pos[0]));
    body.insert("Driver".into(), json!(a.get("driver").unwrap_or("bridge")));
    if a.on("internal") {
        body.insert("Internal".into(), json!(true));
    }
    if a.on("ipv6") {
        body.insert("EnableIPv6".into(), json!(true));
    }
    body.insert("Labels".into(), Value::Object(kv_map(a.all("label"))));
    body.insert("Options".into(), Value::Object(kv_map(a.all("opt"))));
    if let Some(subnet) = a.get("subnet") {
        let mut cfg = Map::new();
        cfg.insert("Subnet".into(), json!(subnet));
        if let Some(g) = a.get("gateway") {
            cfg.insert("Gateway".into(), json!(g));
        }
        body.insert("IPAM".into(), json!({"Driver": "default", "Config": [cfg]}));
    }
    let v = client.create_network(&Value::Object(body))?;
    out::line(v["Id"].as_str().unwrap_or_default())
}

static NET_RM: Spec = Spec {
    name: "network rm",
    usage: "NETWORK [NETWORK...]",
    about: "Remove one or more networks",
    flags: &[switch(
        Some('f'),
        "force",
        "Do not error if the network does not exist",
    )],
    min: 1,
    max: MANY,
    stop_at_positional: false,
};

fn network_rm(client: &Client, a: &Args) -> Result<(), Failure> {
    let force = a.on("force");
    each(&a.pos, |n| match client.remove_network(n) {
        Ok(()) => Ok(Some(n.to_owned())),
        Err(e) if force && super::is_not_found(&e) => Ok(None),
        Err(e) => Err(e.into()),
    })
}

/// `network inspect` / `volume inspect`: the objects as a JSON array, or through `-f`.
fn inspect_each(
    a: &Args,
    mut get: impl FnMut(&str) -> Result<Json, Failure>,
) -> Result<(), Failure> {
    let template = match a.get("format") {
        None | Some("") => None,
        Some("json") => Some(Template::parse("{{json .}}").map_err(Failure::Msg)?),
        Some(f) => Some(
            Template::parse(f).map_err(|e| Failure::Msg(format!("template parsing error: {e}")))?,
        ),
    };
    let mut found = Vec::new();
    let result = each(&a.pos, |name| {
        let v = get(name)?;
        match &template {
            Some(t) => Ok(Some(
                t.execute(&v)
                    .map_err(|e| Failure::Msg(format!("template: {e}")))?,
            )),
            None => {
                found.push(v);
                Ok(None)
            }
        }
    });
    if template.is_none() {
        out::line(&Json::Arr(found).to_indented("    "))?;
    }
    result
}

static NET_INSPECT: Spec = Spec {
    name: "network inspect",
    usage: "NETWORK [NETWORK...]",
    about: "Display detailed information on one or more networks",
    flags: &[
        opt(
            Some('f'),
            "format",
            "string",
            "Format output using a custom template",
        ),
        switch(Some('v'), "verbose", "Verbose output for diagnostics"),
    ],
    min: 1,
    max: MANY,
    stop_at_positional: false,
};

fn network_inspect(client: &Client, a: &Args) -> Result<(), Failure> {
    let opts = docksock::InspectNetworkOptions {
        verbose: a.on("verbose"),
        ..Default::default()
    };
    inspect_each(a, |n| json_of(client.run(networks::inspect(n, &opts))?))
}

static NET_PRUNE: Spec = Spec {
    name: "network prune",
    usage: "",
    about: "Remove all unused networks",
    flags: &[
        opt(
            None,
            "filter",
            "filter",
            "Provide filter values (e.g. \"until=<timestamp>\")",
        ),
        switch(Some('f'), "force", "Do not prompt for confirmation"),
    ],
    min: 0,
    max: 0,
    stop_at_positional: false,
};

/// docker asks before pruning; without a terminal to ask on, `-f` is required.
pub(crate) fn confirm(a: &Args, what: &str) -> Result<bool, Failure> {
    if a.on("force") {
        return Ok(true);
    }
    if !crate::term::stdin_is_tty() {
        return Err(Failure::Msg(format!(
            "docksock: refusing to remove {what} without confirmation: use -f (stdin is not a terminal)"
        )));
    }
    out::print(&format!(
        "WARNING! This will remove {what}.\nAre you sure you want to continue? [y/N] "
    ))?;
    let mut answer = String::new();
    let _ = std::io::stdin().read_line(&mut answer);
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

fn network_prune(client: &Client, a: &Args) -> Result<(), Failure> {
    if !confirm(a, "all custom networks not used by at least one container")? {
        return Ok(());
    }
    let v = client.prune_networks(filters(a)?.as_ref())?;
    let deleted: Vec<&str> = v["NetworksDeleted"]
        .as_array()
        .map(|l| l.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !deleted.is_empty() {
        out::line(&format!("Deleted Networks:\n{}", deleted.join("\n")))?;
    }
    Ok(())
}

static VOL_LS: Spec = Spec {
    name: "volume ls",
    usage: "",
    about: "List volumes",
    flags: &[
        opt(Some('f'), "filter", "filter", "Provide filter values (e.g. \"dangling=true\")"),
        opt(None, "format", "string", "Format output using a custom template ('table', 'table TEMPLATE', 'json', or a Go template)"),
        switch(Some('q'), "quiet", "Only display volume names"),
    ],
    min: 0,
    max: 0,
    stop_at_positional: false,
};

const VOL_HEADERS: &[(&str, &str)] = &[
    ("Driver", "DRIVER"),
    ("Name", "VOLUME NAME"),
    ("Scope", "SCOPE"),
    ("Mountpoint", "MOUNTPOINT"),
    ("Labels", "LABELS"),
    ("Links", "LINKS"),
    ("Size", "SIZE"),
];

fn volume_ls(client: &Client, a: &Args) -> Result<(), Failure> {
    let f = filters(a)?;
    let list = json_of(client.run(volumes::list(f.as_ref()))?)?;
    let mut rows: Vec<Json> = list
        .get("Volumes")
        .items()
        .iter()
        .map(|v| {
            obj(vec![
                ("Availability", "N/A".into()),
                ("Driver", v.get("Driver").str().to_owned()),
                ("Group", "N/A".into()),
                ("Labels", labels(v.get("Labels"))),
                ("Links", "N/A".into()),
                ("Mountpoint", v.get("Mountpoint").str().to_owned()),
                ("Name", v.get("Name").str().to_owned()),
                ("Scope", v.get("Scope").str().to_owned()),
                ("Size", "N/A".into()),
                ("Status", "N/A".into()),
            ])
        })
        .collect();
    rows.sort_by(|x, y| x.get("Name").str().cmp(y.get("Name").str()));
    if a.on("quiet") {
        let text: String = rows
            .iter()
            .map(|r| format!("{}\n", r.get("Name").str()))
            .collect();
        return out::print(&text);
    }
    let format = out::format(a.get("format"), "table {{.Driver}}\t{{.Name}}", VOL_HEADERS)?;
    out::rows(&format, VOL_HEADERS, &rows)
}

static VOL_CREATE: Spec = Spec {
    name: "volume create",
    usage: "[VOLUME]",
    about: "Create a volume",
    flags: &[
        opt(
            Some('d'),
            "driver",
            "string",
            "Specify volume driver name (default \"local\")",
        ),
        opt(None, "label", "list", "Set metadata for a volume"),
        opt(Some('o'), "opt", "map", "Set driver specific options"),
    ],
    min: 0,
    max: 1,
    stop_at_positional: false,
};

fn volume_create(client: &Client, a: &Args) -> Result<(), Failure> {
    let body = json!({
        "Name": a.pos.first().map(String::as_str).unwrap_or(""),
        "Driver": a.get("driver").unwrap_or("local"),
        "DriverOpts": Value::Object(kv_map(a.all("opt"))),
        "Labels": Value::Object(kv_map(a.all("label"))),
    });
    let v = client.create_volume(&body)?;
    out::line(v["Name"].as_str().unwrap_or_default())
}

static VOL_RM: Spec = Spec {
    name: "volume rm",
    usage: "VOLUME [VOLUME...]",
    about: "Remove one or more volumes",
    flags: &[switch(
        Some('f'),
        "force",
        "Force the removal of one or more volumes",
    )],
    min: 1,
    max: MANY,
    stop_at_positional: false,
};

fn volume_rm(client: &Client, a: &Args) -> Result<(), Failure> {
    let force = a.on("force");
    each(&a.pos, |n| {
        client.remove_volume(n, force)?;
        Ok(Some(n.to_owned()))
    })
}

static VOL_INSPECT: Spec = Spec {
    name: "volume inspect",
    usage: "VOLUME [VOLUME...]",
    about: "Display detailed information on one or more volumes",
    flags: &[opt(
        Some('f'),
        "format",
        "string",
        "Format output using a custom template",
    )],
    min: 1,
    max: MANY,
    stop_at_positional: false,
};

fn volume_inspect(client: &Client, a: &Args) -> Result<(), Failure> {
    inspect_each(a, |n| json_of(client.run(volumes::inspect(n))?))
}

static VOL_PRUNE: Spec = Spec {
    name: "volume prune",
    usage: "",
    about: "Remove unused local volumes",
    flags: &[
        switch(
            Some('a'),
            "all",
            "Remove all unused volumes, not just anonymous ones",
        ),
        opt(
            None,
            "filter",
            "filter",
            "Provide filter values (e.g. \"label=<label>\")",
        ),
        switch(Some('f'), "force", "Do not prompt for confirmation"),
    ],
    min: 0,
    max: 0,
    stop_at_positional: false,
};

fn volume_prune(client: &Client, a: &Args) -> Result<(), Failure> {
    if !confirm(a, "all local volumes not used by at least one container")? {
        return Ok(());
    }
    let mut f = filters(a)?.unwrap_or_default();
    if a.on("all") {
        f.add("all", "true");
    }
    let v = client.prune_volumes((!f.is_empty()).then_some(&f))?;
    let deleted: Vec<&str> = v["VolumesDeleted"]
        .as_array()
        .map(|l| l.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut text = String::new();
    if !deleted.is_empty() {
        text.push_str(&format!("Deleted Volumes:\n{}\n\n", deleted.join("\n")));
    }
    text.push_str(&format!(
        "Total reclaimed space: {}",
        fmt::human_size(v["SpaceReclaimed"].as_f64().unwrap_or(0.0))
    ));
    out::line(&text)
}
