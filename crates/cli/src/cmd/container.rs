//! Containers: `ps`, `logs`, `start`, `stop`, `restart`, `kill`, `rm`, `wait`, `port`,
//! `rename`, `pause`, `unpause`, `attach`, `top`, `stats`, `export`.

use std::io::Write;

use docksock::api::containers;
use docksock::{
    AttachOptions, Client, ListContainersOptions, LogsOptions, RemoveContainerOptions, StreamKind,
    WaitOptions,
};

use super::{each, filters, json_of, Handler};
use crate::args::{opt, switch, Args, Spec};
use crate::fmt;
use crate::json::{obj, Json};
use crate::out;
use crate::term;
use crate::Failure;

pub(super) static COMMANDS: &[(&Spec, Handler)] = &[
    (&PS, ps),
    (&LOGS, logs),
    (&START, start),
    (&STOP, stop),
    (&RESTART, restart),
    (&KILL, kill),
    (&RM, rm),
    (&WAIT, wait),
    (&PORT, port),
    (&RENAME, rename),
    (&PAUSE, pause),
    (&UNPAUSE, unpause),
    (&ATTACH, attach),
    (&TOP, top),
    (&STATS, stats),
    (&EXPORT, export),
];

const MANY: usize = usize::MAX;

static PS: Spec = Spec {
    name: "ps",
    usage: "",
    about: "List containers",
    flags: &[
        switch(Some('a'), "all", "Show all containers (default shows just running)"),
        opt(Some('f'), "filter", "filter", "Filter output based on conditions provided"),
        opt(None, "format", "string", "Format output using a custom template ('table', 'table TEMPLATE', 'json', or a Go template)"),
        opt(Some('n'), "last", "int", "Show n last created containers (includes all states)"),
        switch(Some('l'), "latest", "Show the latest created container (includes all states)"),
        switch(None, "no-trunc", "Don't truncate output"),
        switch(Some('q'), "quiet", "Only display container IDs"),
        switch(Some('s'), "size", "Display total file sizes"),
    ],
    min: 0,
    max: 0,
    stop_at_positional: false,
};

const PS_TABLE: &str =
    "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";

const PS_HEADERS: &[(&str, &str)] = &[
    ("ID", "CONTAINER ID"),
    ("Image", "IMAGE"),
    ("Command", "COMMAND"),
    ("CreatedAt", "CREATED AT"),
    ("RunningFor", "CREATED"),
    ("Ports", "PORTS"),
    ("State", "STATE"),
    ("Status", "STATUS"),
    ("Size", "SIZE"),
    ("Names", "NAMES"),
    ("Labels", "LABELS"),
    ("Mounts", "MOUNTS"),
    ("LocalVolumes", "LOCAL VOLUMES"),
    ("Networks", "NETWORKS"),
];

fn ps(client: &Client, a: &Args) -> Result<(), Failure> {
    let last: Option<u32> = a.num("last")?;
    let limit = if a.on("latest") {
        Some(1)
    } else {
        last.filter(|n| *n > 0)
    };
    let opts = ListContainersOptions {
        all: a.on("all") || limit.is_some(),
        limit,
        size: a.on("size"),
        filters: filters(a)?,
    };
    let list = json_of(super::run_read(client, containers::list(&opts))?)?;
    let trunc = !a.on("no-trunc");
    if a.on("quiet") {
        let mut text = String::new();
        for c in list.items() {
            let id = c.get("Id").str();
            text.push_str(if trunc { fmt::short_id(id) } else { id });
            text.push('\n');
        }
        return out::print(&text);
    }
    let default = if a.on("size") {
        format!("{PS_TABLE}\t{{{{.Size}}}}")
    } else {
        PS_TABLE.to_owned()
    };
    let format = out::format(a.get("format"), &default, PS_HEADERS)?;
    let rows: Vec<Json> = list.items().iter().map(|c| ps_row(c, trunc)).collect();
    out::rows(&format, PS_HEADERS, &rows)
}

/// One `docker ps` row: the fields of its `--format`, as docker words them.
pub(crate) fn ps_row(c: &Json, trunc: bool) -> Json {
    let id = c.get("Id").str();
    let image = c.get("Image").str();
    let image = if image.is_empty() {
        "<no image>".to_owned()
    } else if trunc {
        let image_id = c.get("ImageID").str();
        if !image_id.is_empty() && fmt::short_id(image_id) == fmt::short_id(image) {
            fmt::short_id(image).to_owned()
        } else {
            familiar(image.split('@').next().unwrap_or(image)).to_owned()
        }
    } else {
        image.to_owned()
    };
    let command = c.get("Command").str();
    let command = fmt::go_quote(&if trunc {
        fmt::ellipsis(command, 20)
    } else {
        command.to_owned()
    });
    let created = c.get("Created").i64().unwrap_or(0);
    let mut names: Vec<&str> = c
        .get("Names")
        .items()
        .iter()
        .map(|n| n.str().trim_start_matches('/'))
        .collect();
    if trunc {
        if let Some(n) = names.iter().find(|n| !n.contains('/')) {
            names = vec![*n];
        }
    }
    let mut labels: Vec<String> = c
        .get("Labels")
        .fields()
        .iter()
        .map(|(k, v)| format!("{k}={}", v.str()))
        .collect();
    labels.sort();
    let mounts: Vec<String> = c
        .get("Mounts")
        .items()
        .iter()
        .map(|m| {
            let name = match m.get("Name").str() {
                "" => m.get("Source").str(),
                n => n,
            };
            if trunc {
                fmt::ellipsis(name, 15)
            } else {
                name.to_owned()
            }
        })
        .collect();
    let local_volumes = c
        .get("Mounts")
        .items()
        .iter()
        .filter(|m| m.get("Driver").str() == "local")
        .count();
    let mut networks: Vec<&str> = c
        .get("NetworkSettings")
        .get("Networks")
        .fields()
        .iter()
        .map(|(k, _)| k.as_str())
        .collect();
    networks.sort_unstable();
    // docker's: the writable layer's size, and the whole when known (both 0 when absent).
    let rw = fmt::human_size_prec(c.get("SizeRw").f64().unwrap_or(0.0), 3);
    let root = c.get("SizeRootFs").f64().unwrap_or(0.0);
    let size = if root > 0.0 {
        format!("{rw} (virtual {})", fmt::human_size_prec(root, 3))
    } else {
        rw
    };
    obj(vec![
        ("Command", command),
        ("CreatedAt", fmt::go_time_string(created)),
        ("ID", if trunc { fmt::short_id(id) } else { id }.to_owned()),
        ("Image", image),
        ("Labels", labels.join(",")),
        ("LocalVolumes", local_volumes.to_string()),
        ("Mounts", mounts.join(",")),
        ("Names", names.join(",")),
        ("Networks", networks.join(",")),
        ("Ports", ports(c.get("Ports"))),
        ("RunningFor", fmt::ago(created)),
        ("Size", size),
        ("State", c.get("State").str().to_owned()),
        ("Status", c.get("Status").str().to_owned()),
    ])
}

/// An image reference as docker shows it: without `docker.io/` and `library/`.
pub(crate) fn familiar(image: &str) -> &str {
    let image = image.strip_prefix("docker.io/").unwrap_or(image);
    image.strip_prefix("library/").unwrap_or(image)
}

/// docker's PORTS column (its `DisplayablePorts`): sorted by container port, address, host
/// port, protocol; ports published on the same number on one address, or not published, are
/// merged into ranges (`80-81/tcp`, `0.0.0.0:80-81->80-81/tcp`); others listed one by one
/// (`127.0.0.1:8080->80/tcp`).
pub(crate) fn ports(list: &Json) -> String {
    let mut ports: Vec<(i64, String, i64, String)> = list
        .items()
        .iter()
        .map(|p| {
            (
                p.get("PrivatePort").i64().unwrap_or(0),
                p.get("IP").str().to_owned(),
                p.get("PublicPort").i64().unwrap_or(0),
                p.get("Type").str().to_owned(),
            )
        })
        .collect();
    ports.sort();
    let join_host = |ip: &str, port: &str| {
        if ip.contains(':') {
            format!("[{ip}]:{port}")
        } else {
            format!("{ip}:{port}")
        }
    };
    let form = |(ip, proto): &(String, String), first: i64, last: i64| {
        let mut group = first.to_string();
        if first != last {
            group = format!("{group}-{last}");
        }
        if !ip.is_empty() {
            group = format!("{}->{group}", join_host(ip, &group));
        }
        format!("{group}/{proto}")
    };
    let mut result = Vec::new();
    // (ip, proto) → (first, last), in the order the keys were first seen.
    let mut groups: Vec<((String, String), i64, i64)> = Vec::new();
    for (private, ip, public, proto) in ports {
        let key = if ip.is_empty() {
            (String::new(), proto.clone())
        } else {
            if public != private {
                result.push(format!(
                    "{}->{private}/{proto}",
                    join_host(&ip, &public.to_string())
                ));
                continue;
            }
            (ip.clone(), proto.clone())
        };
        match groups.iter_mut().find(|g| g.0 == key) {
            None => groups.push((key, private, private)),
            Some(g) if private == g.2 + 1 => g.2 = private,
            Some(g) => {
                result.push(form(&g.0, g.1, g.2));
                g.1 = private;
                g.2 = private;
            }
        }
    }
    for (key, first, last) in &groups {
        result.push(form(key, *first, *last));
    }
    result.join(", ")
}

static LOGS: Spec = Spec {
    name: "logs",
    usage: "CONTAINER",
    about: "Fetch the logs of a container",
    flags: &[
        switch(None, "details", "Show extra details provided to logs"),
        switch(Some('f'), "follow", "Follow log output"),
        opt(None, "since", "string", "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)"),
        opt(Some('n'), "tail", "string", "Number of lines to show from the end of the logs (default \"all\")"),
        switch(Some('t'), "timestamps", "Show timestamps"),
        opt(None, "until", "string", "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)"),
    ],
    min: 1,
    max: 1,
    stop_at_positional: false,
};

fn logs(client: &Client, a: &Args) -> Result<(), Failure> {
    let follow = a.on("follow");
    let opts = LogsOptions {
        follow,
        stdout: true,
        stderr: true,
        since: a.get("since").map(fmt::api_time),
        until: a.get("until").map(fmt::api_time),
        timestamps: a.on("timestamps"),
        tail: a.get("tail").map(str::to_owned),
        ..Default::default()
    };
    let mut demux = client.container_logs(&a.pos[0], &opts)?;
    // Whole chunks go out through one buffer each; a follow flushes after every chunk.
    let mut stdout = std::io::BufWriter::with_capacity(256 * 1024, std::io::stdout().lock());
    let mut stderr = std::io::stderr().lock();
    while let Some((kind, data)) = demux.next_chunk()? {
        let w = if kind == StreamKind::Stderr {
            stdout.flush().and_then(|()| stderr.write_all(data))
        } else if follow {
            stdout.write_all(data).and_then(|()| stdout.flush())
        } else {
            stdout.write_all(data)
        };
        out::check(w)?;
    }
    out::check(stdout.flush())
}

static START: Spec = Spec {
    name: "start",
    usage: "CONTAINER [CONTAINER...]",
    about: "Start one or more stopped containers",
    flags: &[
        switch(
            Some('a'),
            "attach",
            "Attach STDOUT/STDERR and forward signals",
        ),
        switch(Some('i'), "interactive", "Attach container's STDIN"),
    ],
    min: 1,
    max: MANY,
    stop_at_positional: false,
};

fn start(client: &Client, a: &Args) -> Result<(), Failure> {
    if a.on("attach") || a.on("interactive") {
        if a.pos.len() > 1 {
            return Err(Failure::Msg(
                "you cannot start and attach multiple containers at once".into(),
            ));
        }
        let id = &a.pos[0];
        let info = client.inspect_container(id)?;
        let tty = info["Config"]["Tty"].as_bool().unwrap_or(false);
        let stdin = a.on("interactive") && info["Config"]["OpenStdin"].as_bool().unwrap_or(false);
        let stream = client.attach_container(
            id,
            &AttachOptions {
                stream: true,
                stdin,
                stdout: true,
                stderr: true,
                tty: Some(tty),
                // The daemon watches for the same keys (they never reach it: they are
                // caught here), so that its default ones pass through.
                detach_keys: Some(a.get("detach-keys").unwrap_or("ctrl-p,ctrl-q").to_owned()),
                ..Default::default()
            },
        )?;
        let wait = client.run(containers::wait(id, &next_exit()))?;
        client.start_container(id)?;
        let ended = term::session(
            stream,
            term::Session {
                tty,
                stdin,
                resize: tty.then(|| resizer(client, id)),
                detach_keys: detach_keys(a)?,
            },
        )?;
        if ended == term::Ended::Detached {
            return Ok(());
        }
        return exit_with(wait_code(wait)?);
    }
    each(&a.pos, |id| {
        client.start_container(id)?;
        Ok(Some(id.to_owned()))
    })
}

/// A wait for the container's next exit.
pub(crate) fn next_exit() -> WaitOptions {
    WaitOptions {
        condition: Some("next-exit".into()),
        ..Default::default()
    }
}

/// The exit code in a wait's answer.
pub(crate) fn wait_code(resp: docksock::Response) -> Result<i64, Failure> {
    let v = json_of(resp)?;
    let msg = v.get("Error").get("Message").str();
    if !msg.is_empty() {
        return Err(Failure::Msg(format!(
            "docksock: waiting for the container: {msg}"
        )));
    }
    Ok(v.get("StatusCode").i64().unwrap_or(0))
}

/// Ends with the container's exit code (as a process status: its low 8 bits).
pub(crate) fn exit_with(code: i64) -> Result<(), Failure> {
    if code == 0 {
        Ok(())
    } else {
        Err(Failure::Exit((code & 0xff) as u8))
    }
}

/// `--detach-keys`, parsed (docker's default when not given).
pub(crate) fn detach_keys(a: &Args) -> Result<Option<Vec<u8>>, Failure> {
    a.get("detach-keys")
        .map(term::parse_detach_keys)
        .transpose()
        .map_err(|e| crate::args::Usage(e).into())
}

/// Resizes a container's TTY.
pub(crate) fn resizer(client: &Client, id: &str) -> Box<dyn Fn(u32, u32) + Send> {
    let (client, id) = (client.clone(), id.to_owned());
    Box::new(move |h, w| {
        let _ = client.resize_container(&id, h, w);
    })
}

static STOP: Spec = Spec {
    name: "stop",
    usage: "CONTAINER [CONTAINER...]",
    about: "Stop one or more running containers",
    flags: STOP_FLAGS,
    min: 1,
    max: MANY,
    stop_at_positional: false,
};

fn stop(client: &Client, a: &Args) -> Result<(), Failure> {
    let t: Option<u32> = a.num("time")?;
    let signal = a.get("signal");
    each(&a.pos, |id| {
        let call =
            containers::stop(id, t, Some(docksock::DEFAULT_HEAD_TIMEOUT)).opt("signal", signal);
        client.run(call)?.bytes()?;
        Ok(Some(id.to_owned()))
    })
}

/// `stop` and `restart` take the same flags.
const STOP_FLAGS: &[crate::args::Flag] = &[
    opt(
        Some('s'),
        "signal",
        "string",
        "Signal to send to the container",
    ),
    opt(
        Some('t'),
        "time",
        "int",
        "Seconds to wait before killing the container",
    ),
];

static RESTART: Spec = Spec {
    name: "restart",
    usage: "CONTAINER [CONTAINER...]",
    about: "Restart one or more containers",
    flags: STOP_FLAGS,
    min: 1,
    max: MANY,
    stop_at_positional: false,
};

fn restart(client: &Client, a: &Args) -> Result<(), Failure> {
    let t: Option<u32> = a.num("time")?;
    let signal = a.get("signal");
    each(&a.pos, |id| {
        let call =
            containers::restart(id, t, Some(docksock::DEFAULT_HEAD_TIMEOUT)).opt("signal", signal);
        client.run(call)?.bytes()?;
        Ok(Some(id.to_owned()))
    })
}

static KILL: Spec = Spec {
    name: "kill",
    usage: "CONTAINER [CONTAINER...]",
    about: "Kill one or more running containers",
    flags: &[opt(
        Some('s'),
        "signal",
        "string",
        "Signal to send to the container",
    )],
    min: 1,
    max: MANY,
    stop_at_positional: false,
};

fn kill(client: &Client, a: &Args) -> Result<(), Failure> {
    each(&a.pos, |id| {
        client.kill_container(id, a.get("signal"))?;
        Ok(Some(id.to_owned()))
    })
}

static RM: Spec = Spec {
    name: "rm",
    usage: "CONTAINER [CONTAINER...]",
    about: "Remove one or more containers",
    flags: &[
        switch(
            Some('f'),
            "force",
            "Force the removal of a running container (uses SIGKILL)",
        ),
        switch(Some('l'), "link", "Remove the specified link"),
        switch(
            Some('v'),
            "volumes",
            "Remove anonymous volumes associated with the container",
        ),
    ],
    min: 1,
    max: MANY,
    stop_at_positional: false,
};

fn rm(client: &Client, a: &Args) -> Result<(), Failure> {
    let opts = RemoveContainerOptions {
        force: a.on("force"),
        volumes: a.on("volumes"),
        link: a.on("link"),
    };
    each(&a.pos, |id| {
        client.remove_container(id, &opts)?;
        Ok(Some(id.to_owned()))
    })
}

static WAIT: Spec = Spec {
    name: "wait",
    usage: "CONTAINER [CONTAINER...]",
    about: "Block until one or more containers stop, then print their exit codes",
    flags: &[],
    min: 1,
    max: MANY,
    stop_at_positional: false,
};

fn wait(client: &Client, a: &Args) -> Result<(), Failure> {
    let mut last = 0;
    each(&a.pos, |id| {
        let code = client.wait_container(id, &WaitOptions::default())?;
        last = code;
        Ok(Some(code.to_string()))
    })?;
    // docker's own exit status is 0 whatever the codes; the codes are printed.
    let _ = last;
    Ok(())
}

static PORT: Spec = Spec {
    name: "port",
    usage: "CONTAINER [PRIVATE_PORT[/PROTO]]",
    about: "List port mappings or a specific mapping for the container",
    flags: &[],
    min: 1,
    max: 2,
    stop_at_positional: false,
};

fn port(client: &Client, a: &Args) -> Result<(), Failure> {
    let v = json_of(client.run(containers::inspect(&a.pos[0]))?)?;
    let bindings = v.get("NetworkSettings").get("Ports");
    let want = a.pos.get(1).map(|p| {
        if p.contains('/') {
            p.clone()
        } else {
            format!("{p}/tcp")
        }
    });
    let mut text = String::new();
    let mut found = false;
    for (port, hosts) in bindings.fields() {
        if want.as_ref().is_some_and(|w| w != port) {
            continue;
        }
        for h in hosts.items() {
            found = true;
            let ip = h.get("HostIp").str();
            let ip = if ip.contains(':') {
                format!("[{ip}]")
            } else {
                ip.to_owned()
            };
            let hostport = format!("{ip}:{}", h.get("HostPort").str());
            if want.is_some() {
                text.push_str(&hostport);
            } else {
                text.push_str(&format!("{port} -> {hostport}"));
            }
            text.push('\n');
        }
    }
    if let (Some(w), false) = (&want, found) {
        return Err(Failure::Msg(format!(
            "Error: No public port '{w}' published for {}",
            a.pos[0]
        )));
    }
    out::print(&text)
}

static RENAME: Spec = Spec {
    name: "rename",
    usage: "CONTAINER NEW_NAME",
    about: "Rename a container",
    flags: &[],
    min: 2,
    max: 2,
    stop_at_positional: false,
};

fn rename(client: &Client, a: &Args) -> Result<(), Failure> {
    client.rename_container(&a.pos[0], &a.pos[1])?;
    Ok(())
}

static PAUSE: Spec = Spec {
    name: "pause",
    usage: "CONTAINER [CONTAINER...]",
    about: "Pause all processes within one or more containers",
    flags: &[],
    min: 1,
    max: MANY,
    stop_at_positional: false,
};

fn pause(client: &Client, a: &Args) -> Result<(), Failure> {
    each(&a.pos, |id| {
        client.pause_container(id)?;
        Ok(Some(id.to_owned()))
    })
}

static UNPAUSE: Spec = Spec {
    name: "unpause",
    usage: "CONTAINER [CONTAINER...]",
    about: "Unpause all processes within one or more containers",
    flags: &[],
    min: 1,
    max: MANY,
    stop_at_positional: false,
};

fn unpause(client: &Client, a: &Args) -> Result<(), Failure> {
    each(&a.pos, |id| {
        client.unpause_container(id)?;
        Ok(Some(id.to_owned()))
    })
}

static ATTACH: Spec = Spec {
    name: "attach",
    usage: "CONTAINER",
    about: "Attach local standard input, output, and error streams to a running container",
    flags: &[
        opt(
            None,
            "detach-keys",
            "string",
            "Override the key sequence for detaching a container",
        ),
        switch(None, "no-stdin", "Do not attach STDIN"),
    ],
    min: 1,
    max: 1,
    stop_at_positional: false,
};

fn attach(client: &Client, a: &Args) -> Result<(), Failure> {
    let id = &a.pos[0];
    let info = client.inspect_container(id)?;
    if info["State"]["Running"] != true {
        return Err(Failure::Msg(
            "You cannot attach to a stopped container, start it first".into(),
        ));
    }
    let tty = info["Config"]["Tty"].as_bool().unwrap_or(false);
    let stdin = !a.on("no-stdin") && info["Config"]["OpenStdin"].as_bool().unwrap_or(false);
    if tty && stdin && !term::stdin_is_tty() {
        return Err(Failure::Msg("the input device is not a TTY".into()));
    }
    let stream = client.attach_container(
        id,
        &AttachOptions {
            stream: true,
            stdin,
            stdout: true,
            stderr: true,
            tty: Some(tty),
            detach_keys: Some(a.get("detach-keys").unwrap_or("ctrl-p,ctrl-q").to_owned()),
            ..Default::default()
        },
    )?;
    // The exit code comes from a wait asked now, as docker's attach does: an inspect after
    // the output ends can still see the container running (Podman).
    let wait = client.run(containers::wait(id, &next_exit()))?;
    let ended = term::session(
        stream,
        term::Session {
            tty,
            stdin,
            resize: tty.then(|| resizer(client, id)),
            detach_keys: detach_keys(a)?,
        },
    )?;
    if ended == term::Ended::Detached {
        return Ok(());
    }
    exit_with(wait_code(wait)?)
}

static TOP: Spec = Spec {
    name: "top",
    usage: "CONTAINER [ps OPTIONS]",
    about: "Display the running processes of a container",
    flags: &[],
    min: 1,
    max: MANY,
    stop_at_positional: true,
};

fn top(client: &Client, a: &Args) -> Result<(), Failure> {
    let ps_args = a.pos[1..].join(" ");
    let ps_args = (!ps_args.is_empty()).then_some(ps_args.as_str());
    let v = json_of(client.run(containers::top(&a.pos[0], ps_args))?)?;
    let titles: Vec<&str> = v.get("Titles").items().iter().map(Json::str).collect();
    let mut text = titles.join("\t");
    text.push('\n');
    for p in v.get("Processes").items() {
        let cells: Vec<&str> = p.items().iter().map(Json::str).collect();
        text.push_str(&cells.join("\t"));
        text.push('\n');
    }
    out::print(&fmt::tabwrite(&text))
}

static STATS: Spec = Spec {
    name: "stats",
    usage: "[CONTAINER...]",
    about: "Display a live stream of container(s) resource usage statistics",
    flags: &[
        switch(Some('a'), "all", "Show all containers (default shows just running)"),
        opt(None, "format", "string", "Format output using a custom template ('table', 'table TEMPLATE', 'json', or a Go template)"),
        switch(None, "no-stream", "Disable streaming stats and only pull the first result"),
        switch(None, "no-trunc", "Do not truncate output"),
    ],
    min: 0,
    max: MANY,
    stop_at_positional: false,
};

const STATS_TABLE: &str = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";

const STATS_HEADERS: &[(&str, &str)] = &[
    ("ID", "CONTAINER ID"),
    ("Container", "CONTAINER"),
    ("Name", "NAME"),
    ("CPUPerc", "CPU %"),
    ("MemUsage", "MEM USAGE / LIMIT"),
    ("MemPerc", "MEM %"),
    ("NetIO", "NET I/O"),
    ("BlockIO", "BLOCK I/O"),
    ("PIDs", "PIDS"),
];

fn stats(client: &Client, a: &Args) -> Result<(), Failure> {
    let names: Vec<String> = if a.pos.is_empty() {
        let list = json_of(client.run(containers::list(&ListContainersOptions {
            all: a.on("all"),
            ..Default::default()
        }))?)?;
        list.items()
            .iter()
            .map(|c| c.get("Id").str().to_owned())
            .collect()
    } else {
        a.pos.clone()
    };
    let format = out::format(a.get("format"), STATS_TABLE, STATS_HEADERS)?;
    let trunc = !a.on("no-trunc");
    let stream = !a.on("no-stream");
    // One stream per container, each read on a thread of its own; the table is redrawn from
    // the latest sample of each.
    let latest = std::sync::Arc::new(std::sync::Mutex::new(vec![None::<Json>; names.len()]));
    let mut handles = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let (client, name, latest) = (client.clone(), name.clone(), latest.clone());
        handles.push(std::thread::spawn(move || -> Result<(), String> {
            let mut prev: Option<Json> = None;
            let msgs = client
                .stats_stream(&name)
                .map_err(|e| super::daemon_message(&e))?;
            for (n, msg) in msgs.enumerate() {
                let v = crate::json::from_value(&msg.map_err(|e| super::daemon_message(&e))?);
                let row = stats_row(&v, prev.as_ref(), &name, trunc);
                if let Ok(mut l) = latest.lock() {
                    l[i] = Some(row);
                }
                prev = Some(v);
                // The first sample has no previous one to measure CPU against: docker's
                // `--no-stream` shows the second.
                if !stream && n >= 1 {
                    break;
                }
            }
            Ok(())
        }));
    }
    if !stream {
        for h in handles {
            if let Ok(Err(e)) = h.join() {
                out::err_line(&e);
            }
        }
        let rows: Vec<Json> = latest
            .lock()
            .map(|l| l.iter().flatten().cloned().collect())
            .unwrap_or_default();
        return out::rows(&format, STATS_HEADERS, &rows);
    }
    loop {
        std::thread::sleep(std::time::Duration::from_millis(500));
        let rows: Vec<Json> = latest
            .lock()
            .map(|l| l.iter().flatten().cloned().collect())
            .unwrap_or_default();
        if term::stdout_is_tty() {
            // Clear the screen and home the cursor, as docker redraws.
            out::print("\x1b[2J\x1b[H")?;
        }
        out::rows(&format, STATS_HEADERS, &rows)?;
        if handles.iter().all(std::thread::JoinHandle::is_finished) {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

/// One `docker stats` row from a sample and the one before it (for the CPU share).
fn stats_row(v: &Json, prev: Option<&Json>, name: &str, trunc: bool) -> Json {
    let cpu = v.get("cpu_stats");
    let pre = match prev {
        Some(p) => p.get("cpu_stats"),
        None => v.get("precpu_stats"),
    };
    let total = |c: &Json| c.get("cpu_usage").get("total_usage").f64().unwrap_or(0.0);
    let system = |c: &Json| c.get("system_cpu_usage").f64().unwrap_or(0.0);
    let cpu_delta = total(cpu) - total(pre);
    let sys_delta = system(cpu) - system(pre);
    let online = cpu.get("online_cpus").f64().filter(|n| *n > 0.0).unwrap_or(
        cpu.get("cpu_usage")
            .get("percpu_usage")
            .items()
            .len()
            .max(1) as f64,
    );
    let cpu_perc = if sys_delta > 0.0 && cpu_delta > 0.0 {
        cpu_delta / sys_delta * online * 100.0
    } else {
        0.0
    };
    let mem = v.get("memory_stats");
    let cache = mem
        .get("stats")
        .get("inactive_file")
        .f64()
        .or_else(|| mem.get("stats").get("total_inactive_file").f64())
        .unwrap_or(0.0);
    let usage = (mem.get("usage").f64().unwrap_or(0.0) - cache).max(0.0);
    let limit = mem.get("limit").f64().unwrap_or(0.0);
    let mem_perc = if limit > 0.0 {
        usage / limit * 100.0
    } else {
        0.0
    };
    let (mut rx, mut tx) = (0.0, 0.0);
    for (_, n) in v.get("networks").fields() {
        rx += n.get("rx_bytes").f64().unwrap_or(0.0);
        tx += n.get("tx_bytes").f64().unwrap_or(0.0);
    }
    let (mut read, mut write) = (0.0, 0.0);
    for e in v
        .get("blkio_stats")
        .get("io_service_bytes_recursive")
        .items()
    {
        match e.get("op").str().to_ascii_lowercase().as_str() {
            "read" => read += e.get("value").f64().unwrap_or(0.0),
            "write" => write += e.get("value").f64().unwrap_or(0.0),
            _ => {}
        }
    }
    let id = v.get("id").str();
    let id = if trunc { fmt::short_id(id) } else { id };
    obj(vec![
        (
            "BlockIO",
            format!(
                "{} / {}",
                fmt::human_size_prec(read, 3),
                fmt::human_size_prec(write, 3)
            ),
        ),
        ("CPUPerc", format!("{cpu_perc:.2}%")),
        ("Container", name.to_owned()),
        ("ID", id.to_owned()),
        ("MemPerc", format!("{mem_perc:.2}%")),
        (
            "MemUsage",
            format!("{} / {}", fmt::bytes_size(usage), fmt::bytes_size(limit)),
        ),
        (
            "Name",
            v.get("name").str().trim_start_matches('/').to_owned(),
        ),
        (
            "NetIO",
            format!(
                "{} / {}",
                fmt::human_size_prec(rx, 3),
                fmt::human_size_prec(tx, 3)
            ),
        ),
        (
            "PIDs",
            v.get("pids_stats")
                .get("current")
                .i64()
                .unwrap_or(0)
                .to_string(),
        ),
    ])
}

static EXPORT: Spec = Spec {
    name: "export",
    usage: "CONTAINER",
    about: "Export a container's filesystem as a tar archive",
    flags: &[opt(
        Some('o'),
        "output",
        "string",
        "Write to a file, instead of STDOUT",
    )],
    min: 1,
    max: 1,
    stop_at_positional: false,
};

fn export(client: &Client, a: &Args) -> Result<(), Failure> {
    let body = client.export_container(&a.pos[0])?;
    super::image::copy_out(body, a.get("output"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(json: &str) -> String {
        ports(&Json::parse(json.as_bytes()).unwrap())
    }

    #[test]
    fn ports_like_docker() {
        assert_eq!(p("[]"), "");
        assert_eq!(
            p(
                r#"[{"PrivatePort":81,"Type":"tcp"},{"PrivatePort":80,"Type":"tcp"},{"PrivatePort":53,"Type":"udp"}]"#
            ),
            "53/udp, 80-81/tcp"
        );
        assert_eq!(
            p(
                r#"[{"IP":"127.0.0.1","PrivatePort":80,"PublicPort":18090,"Type":"tcp"},
                 {"IP":"127.0.0.1","PrivatePort":81,"PublicPort":18091,"Type":"tcp"}]"#
            ),
            "127.0.0.1:18090->80/tcp, 127.0.0.1:18091->81/tcp"
        );
        assert_eq!(
            p(
                r#"[{"IP":"0.0.0.0","PrivatePort":80,"PublicPort":80,"Type":"tcp"},
                 {"IP":"0.0.0.0","PrivatePort":81,"PublicPort":81,"Type":"tcp"},
                 {"IP":"::","PrivatePort":80,"PublicPort":8080,"Type":"tcp"}]"#
            ),
            "[::]:8080->80/tcp, 0.0.0.0:80-81->80-81/tcp"
        );
    }
}
