//! `run`, `create` and `exec`: docker's flags turned into the API's container and exec
//! configurations, the session (`-it`), and docker's exit codes (125 when the daemon refused,
//! 126 when the command cannot be run, 127 when it is not found, else the container's).

use docksock::api::containers;
use docksock::{AttachOptions, Client, RemoveContainerOptions, WaitOptions};
use serde_json::{json, Map, Value};

use super::container::{detach_keys, exit_with, resizer, wait_code};
use super::{daemon_message, Handler};
use crate::args::{opt, switch, Args, Flag, Spec, Usage};
use crate::out;
use crate::term;
use crate::Failure;

pub(super) static COMMANDS: &[(&Spec, Handler)] = &[(&RUN, run), (&CREATE, create), (&EXEC, exec)];

/// The flags `run` and `create` share.
macro_rules! create_flags {
    ($($extra:expr),* $(,)?) => {
        &[
            $($extra,)*
            opt(None, "add-host", "list", "Add a custom host-to-IP mapping (host:ip)"),
            opt(None, "cpus", "decimal", "Number of CPUs"),
            opt(None, "dns", "list", "Set custom DNS servers"),
            opt(Some('e'), "env", "list", "Set environment variables"),
            opt(None, "entrypoint", "string", "Overwrite the default ENTRYPOINT of the image"),
            opt(None, "env-file", "list", "Read in a file of environment variables"),
            opt(None, "expose", "list", "Expose a port or a range of ports"),
            opt(Some('h'), "hostname", "string", "Container host name"),
            switch(None, "init", "Run an init inside the container that forwards signals and reaps processes"),
            switch(Some('i'), "interactive", "Keep STDIN open even if not attached"),
            opt(Some('l'), "label", "list", "Set meta data on a container"),
            opt(Some('m'), "memory", "bytes", "Memory limit"),
            opt(None, "mount", "mount", "Attach a filesystem mount to the container"),
            opt(None, "name", "string", "Assign a name to the container"),
            opt(None, "network", "network", "Connect a container to a network"),
            switch(None, "privileged", "Give extended privileges to this container"),
            opt(Some('p'), "publish", "list", "Publish a container's port(s) to the host"),
            switch(Some('P'), "publish-all", "Publish all exposed ports to random ports"),
            switch(None, "read-only", "Mount the container's root filesystem as read only"),
            opt(None, "restart", "string", "Restart policy to apply when a container exits (default \"no\")"),
            switch(None, "rm", "Automatically remove the container when it exits"),
            opt(None, "stop-signal", "string", "Signal to stop the container"),
            opt(None, "stop-timeout", "int", "Timeout (in seconds) to stop a container"),
            switch(Some('t'), "tty", "Allocate a pseudo-TTY"),
            opt(Some('u'), "user", "string", "Username or UID (format: <name|uid>[:<group|gid>])"),
            opt(Some('v'), "volume", "list", "Bind mount a volume"),
            opt(Some('w'), "workdir", "string", "Working directory inside the container"),
        ]
    };
}

static RUN_FLAGS: &[Flag] = create_flags!(
    switch(
        Some('d'),
        "detach",
        "Run container in background and print container ID"
    ),
    opt(
        None,
        "detach-keys",
        "string",
        "Override the key sequence for detaching a container"
    ),
);

static RUN: Spec = Spec {
    name: "run",
    usage: "IMAGE [COMMAND] [ARG...]",
    about: "Create and run a new container from an image",
    flags: RUN_FLAGS,
    min: 1,
    max: usize::MAX,
    stop_at_positional: true,
};

static CREATE: Spec = Spec {
    name: "create",
    usage: "IMAGE [COMMAND] [ARG...]",
    about: "Create a new container",
    flags: create_flags!(),
    min: 1,
    max: usize::MAX,
    stop_at_positional: true,
};

/// `KEY=VALUE` from `-e`; a bare `KEY` takes the value from this environment (left out if
/// unset), as docker does.
fn env_entry(e: &str) -> Option<String> {
    if e.contains('=') {
        Some(e.to_owned())
    } else {
        std::env::var(e).ok().map(|v| format!("{e}={v}"))
    }
}

fn env_list(a: &Args) -> Result<Vec<Value>, Failure> {
    let mut env = Vec::new();
    for file in a.all("env-file") {
        let text = std::fs::read_to_string(file)
            .map_err(|e| Failure::Msg(format!("docksock: reading env file {file}: {e}")))?;
        for line in text.lines() {
            let line = line.trim_start();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            env.extend(env_entry(line).map(Value::String));
        }
    }
    env.extend(
        a.all("env")
            .into_iter()
            .filter_map(env_entry)
            .map(Value::String),
    );
    Ok(env)
}

/// Splits `a:b:c` on colons outside brackets (`[::1]:80:80`).
fn split_colons(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ':' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

fn port_range(s: &str) -> Result<(u32, u32), Usage> {
    let bad = || Usage(format!("invalid port: {s:?}"));
    match s.split_once('-') {
        Some((a, b)) => Ok((a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?)),
        None => {
            let p = s.parse().map_err(|_| bad())?;
            Ok((p, p))
        }
    }
}

/// `-p [ip:][hostPort:]containerPort[/proto]` into ExposedPorts and PortBindings.
fn publish(
    spec: &str,
    exposed: &mut Map<String, Value>,
    bindings: &mut Map<String, Value>,
) -> Result<(), Usage> {
    let (addr, proto) = match spec.rsplit_once('/') {
        Some((a, p)) => (a, p),
        None => (spec, "tcp"),
    };
    let parts = split_colons(addr);
    let (ip, host, container) = match parts.as_slice() {
        [c] => ("", "", *c),
        [h, c] => ("", *h, *c),
        [ip, h, c] => (*ip, *h, *c),
        _ => return Err(Usage(format!("invalid publish spec: {spec:?}"))),
    };
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    let (c0, c1) = port_range(container)?;
    let host_range = if host.is_empty() {
        None
    } else {
        Some(port_range(host)?)
    };
    for (i, port) in (c0..=c1).enumerate() {
        let key = format!("{port}/{proto}");
        exposed.insert(key.clone(), json!({}));
        let host_port = match host_range {
            None => String::new(),
            Some((h0, h1)) if h0 == h1 && c0 != c1 => h0.to_string(),
            Some((h0, h1)) if h1 - h0 == c1 - c0 => (h0 + i as u32).to_string(),
            Some((h0, h1)) => format!("{h0}-{h1}"),
        };
        let entry = bindings.entry(key).or_insert_with(|| json!([]));
        if let Some(list) = entry.as_array_mut() {
            list.push(json!({"HostIp": ip, "HostPort": host_port}));
        }
    }
    Ok(())
}

/// `--mount type=bind,source=/a,target=/b,readonly`.
fn mount(spec: &str) -> Result<Value, Usage> {
    let mut m = Map::new();
    m.insert("Type".into(), json!("volume"));
    for field in spec.split(',') {
        let (k, v) = match field.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v)),
            None => (field.trim(), None),
        };
        match k {
            "type" => {
                m.insert("Type".into(), json!(v.unwrap_or("volume")));
            }
            "source" | "src" => {
                m.insert("Source".into(), json!(v.unwrap_or("")));
            }
            "target" | "destination" | "dst" => {
                m.insert("Target".into(), json!(v.unwrap_or("")));
            }
            "readonly" | "ro" => {
                let on = !matches!(v, Some("false" | "0"));
                m.insert("ReadOnly".into(), json!(on));
            }
            "consistency" => {
                m.insert("Consistency".into(), json!(v.unwrap_or("")));
            }
            other => {
                return Err(Usage(format!(
                    "invalid field {other:?} in --mount {spec:?}"
                )));
            }
        }
    }
    if !m.contains_key("Target") {
        return Err(Usage(format!("--mount {spec:?}: target is required")));
    }
    Ok(Value::Object(m))
}

/// `--restart no|always|unless-stopped|on-failure[:N]`.
fn restart_policy(s: &str) -> Result<Value, Usage> {
    let (name, count) = match s.split_once(':') {
        Some((n, c)) => (
            n,
            c.parse::<i64>()
                .map_err(|_| Usage(format!("invalid restart policy {s:?}: bad count")))?,
        ),
        None => (s, 0),
    };
    match name {
        "no" | "always" | "unless-stopped" | "on-failure" => {
            Ok(json!({"Name": if name == "no" { "" } else { name }, "MaximumRetryCount": count}))
        }
        _ => Err(Usage(format!("invalid restart policy {s:?}"))),
    }
}

/// The container configuration (`POST /containers/create` body) of `run`/`create` flags.
pub(crate) fn container_config(a: &Args, detach: bool) -> Result<Value, Failure> {
    let image = &a.pos[0];
    let interactive = a.on("interactive");
    let mut exposed = Map::new();
    let mut bindings = Map::new();
    for p in a.all("publish") {
        publish(p, &mut exposed, &mut bindings)?;
    }
    for e in a.all("expose") {
        let (port, proto) = e.rsplit_once('/').unwrap_or((e, "tcp"));
        let (p0, p1) = port_range(port)?;
        for p in p0..=p1 {
            exposed.insert(format!("{p}/{proto}"), json!({}));
        }
    }
    let mut labels = Map::new();
    for l in a.all("label") {
        let (k, v) = l.split_once('=').unwrap_or((l, ""));
        labels.insert(k.to_owned(), json!(v));
    }
    let mut binds = Vec::new();
    let mut volumes = Map::new();
    for v in a.all("volume") {
        if split_colons(v).len() == 1 {
            volumes.insert(v.to_owned(), json!({}));
        } else {
            binds.push(json!(v));
        }
    }
    let mounts = a
        .all("mount")
        .into_iter()
        .map(mount)
        .collect::<Result<Vec<_>, _>>()?;
    let mut host = Map::new();
    host.insert("AutoRemove".into(), json!(a.on("rm")));
    if !binds.is_empty() {
        host.insert("Binds".into(), Value::Array(binds));
    }
    if !mounts.is_empty() {
        host.insert("Mounts".into(), Value::Array(mounts));
    }
    if !bindings.is_empty() {
        host.insert("PortBindings".into(), Value::Object(bindings));
    }
    if a.on("publish-all") {
        host.insert("PublishAllPorts".into(), json!(true));
    }
    if let Some(n) = a.get("network") {
        host.insert("NetworkMode".into(), json!(n));
    }
    if let Some(r) = a.get("restart") {
        host.insert("RestartPolicy".into(), restart_policy(r)?);
    }
    if a.on("privileged") {
        host.insert("Privileged".into(), json!(true));
    }
    if a.on("init") {
        host.insert("Init".into(), json!(true));
    }
    if a.on("read-only") {
        host.insert("ReadonlyRootfs".into(), json!(true));
    }
    if let Some(m) = a.get("memory") {
        let bytes = crate::fmt::parse_bytes(m)
            .ok_or_else(|| Usage(format!("invalid argument {m:?} for \"-m, --memory\" flag")))?;
        host.insert("Memory".into(), json!(bytes));
    }
    if let Some(c) = a.get("cpus") {
        let cpus: f64 = c
            .parse()
            .map_err(|_| Usage(format!("invalid argument {c:?} for \"--cpus\" flag")))?;
        host.insert("NanoCpus".into(), json!((cpus * 1e9) as i64));
    }
    let dns = a.all("dns");
    if !dns.is_empty() {
        host.insert("Dns".into(), json!(dns));
    }
    let hosts = a.all("add-host");
    if !hosts.is_empty() {
        host.insert("ExtraHosts".into(), json!(hosts));
    }
    let mut c = Map::new();
    if let Some(h) = a.get("hostname") {
        c.insert("Hostname".into(), json!(h));
    }
    if let Some(u) = a.get("user") {
        c.insert("User".into(), json!(u));
    }
    c.insert("AttachStdin".into(), json!(interactive && !detach));
    c.insert("AttachStdout".into(), json!(!detach));
    c.insert("AttachStderr".into(), json!(!detach));
    if !exposed.is_empty() {
        c.insert("ExposedPorts".into(), Value::Object(exposed));
    }
    c.insert("Tty".into(), json!(a.on("tty")));
    c.insert("OpenStdin".into(), json!(interactive));
    c.insert("StdinOnce".into(), json!(interactive && !detach));
    let env = env_list(a)?;
    if !env.is_empty() {
        c.insert("Env".into(), Value::Array(env));
    }
    if a.pos.len() > 1 {
        c.insert("Cmd".into(), json!(a.pos[1..]));
    }
    c.insert("Image".into(), json!(image));
    if !volumes.is_empty() {
        c.insert("Volumes".into(), Value::Object(volumes));
    }
    if let Some(w) = a.get("workdir") {
        c.insert("WorkingDir".into(), json!(w));
    }
    if let Some(e) = a.get("entrypoint") {
        c.insert("Entrypoint".into(), json!([e]));
        if a.pos.len() == 1 {
            // docker: an entrypoint given on the command line resets the image's command.
            c.insert("Cmd".into(), json!([]));
        }
    }
    if !labels.is_empty() {
        c.insert("Labels".into(), Value::Object(labels));
    }
    if let Some(s) = a.get("stop-signal") {
        c.insert("StopSignal".into(), json!(s));
    }
    if let Some(t) = a.num::<i64>("stop-timeout")? {
        c.insert("StopTimeout".into(), json!(t));
    }
    c.insert("HostConfig".into(), Value::Object(host));
    Ok(Value::Object(c))
}

/// Creates the container; a refusal is docker's 125, with its "Unable to find image" line
/// when the image is missing.
fn create_container(client: &Client, a: &Args, config: &Value) -> Result<String, Failure> {
    match client.create_container(a.get("name"), config) {
        Ok(created) => {
            for w in &created.warnings {
                out::err_line(&format!("WARNING: {w}"));
            }
            Ok(created.id)
        }
        Err(e) => {
            if super::is_not_found(&e) && e.to_string().contains("image") {
                out::err_line(&format!("Unable to find image '{}' locally", a.pos[0]));
            }
            out::err_line(&daemon_message(&e));
            Err(Failure::Exit(125))
        }
    }
}

fn create(client: &Client, a: &Args) -> Result<(), Failure> {
    let config = container_config(a, true)?;
    let id = create_container(client, a, &config)?;
    out::line(&id)
}

/// docker's status for a container that could not be started: 127 for a command not found,
/// 126 for one that cannot be run, 125 for anything else.
pub(crate) fn start_failure_code(e: &docksock::Error) -> u8 {
    let msg = e.to_string();
    if msg.contains("executable file not found") || msg.contains("no such file or directory") {
        127
    } else if msg.contains("permission denied") || msg.contains("cannot execute") {
        126
    } else {
        125
    }
}

fn run(client: &Client, a: &Args) -> Result<(), Failure> {
    let keys = detach_keys(a)?;
    let detach = a.on("detach");
    let (tty, interactive) = (a.on("tty"), a.on("interactive"));
    if tty && interactive && !detach && !term::stdin_is_tty() {
        out::err_line("the input device is not a TTY");
        return Err(Failure::Exit(1));
    }
    if detach && a.on("rm") && a.get("restart").is_some_and(|r| r != "no") {
        return Err(Usage("conflicting options: --restart and --rm".into()).into());
    }
    let config = container_config(a, detach)?;
    let id = create_container(client, a, &config)?;
    let fail_start = |e: docksock::Error| {
        out::err_line(&daemon_message(&e));
        if a.on("rm") {
            let _ = client.remove_container(
                &id,
                &RemoveContainerOptions {
                    force: true,
                    ..Default::default()
                },
            );
        }
        Failure::Exit(start_failure_code(&e))
    };
    if detach {
        client.start_container(&id).map_err(fail_start)?;
        return out::line(&id);
    }
    let stream = client
        .attach_container(
            &id,
            &AttachOptions {
                stream: true,
                stdin: interactive,
                stdout: true,
                stderr: true,
                tty: Some(tty),
                // The daemon watches for the same keys (caught here before they reach it).
                detach_keys: Some(a.get("detach-keys").unwrap_or("ctrl-p,ctrl-q").to_owned()),
                ..Default::default()
            },
        )
        // Podman prepares the container (and finds its command missing) at attach.
        .map_err(fail_start)?;
    // The wait is asked before the start, so the exit is never missed (the daemon answers its
    // head at once). Not `removed` for `--rm`: Podman 4.3 answers that one with 0 at once.
    let wait_opts = WaitOptions {
        condition: Some("next-exit".into()),
        ..Default::default()
    };
    let wait = client.run(containers::wait(&id, &wait_opts)).map_err(|e| {
        out::err_line(&daemon_message(&e));
        Failure::Exit(125)
    })?;
    client.start_container(&id).map_err(fail_start)?;
    let ended = term::session(
        stream,
        term::Session {
            tty,
            stdin: interactive,
            resize: tty.then(|| resizer(client, &id)),
            detach_keys: keys,
        },
    )?;
    if ended == term::Ended::Detached {
        return Ok(());
    }
    let code = wait_code(wait)?;
    if a.on("rm") {
        await_removal(client, &id);
    }
    exit_with(code)
}

/// With `--rm`, returns once the daemon has removed the container (as docker's `run --rm`
/// does), or after 10 s.
fn await_removal(client: &Client, id: &str) {
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(10) {
        match client.inspect_container(id) {
            Err(e) if super::is_not_found(&e) => return,
            Err(_) => return,
            Ok(_) => std::thread::sleep(std::time::Duration::from_millis(10)),
        }
    }
}

static EXEC: Spec = Spec {
    name: "exec",
    usage: "CONTAINER COMMAND [ARG...]",
    about: "Execute a command in a running container",
    flags: &[
        switch(
            Some('d'),
            "detach",
            "Detached mode: run command in the background",
        ),
        opt(
            None,
            "detach-keys",
            "string",
            "Override the key sequence for detaching a container",
        ),
        opt(Some('e'), "env", "list", "Set environment variables"),
        opt(
            None,
            "env-file",
            "list",
            "Read in a file of environment variables",
        ),
        switch(
            Some('i'),
            "interactive",
            "Keep STDIN open even if not attached",
        ),
        switch(
            None,
            "privileged",
            "Give extended privileges to the command",
        ),
        switch(Some('t'), "tty", "Allocate a pseudo-TTY"),
        opt(
            Some('u'),
            "user",
            "string",
            "Username or UID (format: \"<name|uid>[:<group|gid>]\")",
        ),
        opt(
            Some('w'),
            "workdir",
            "string",
            "Working directory inside the container",
        ),
    ],
    min: 2,
    max: usize::MAX,
    stop_at_positional: true,
};

fn exec(client: &Client, a: &Args) -> Result<(), Failure> {
    let keys = detach_keys(a)?;
    // Flags end at the container's name: what follows is the command.
    let detach = a.on("detach");
    let (tty, interactive) = (a.on("tty"), a.on("interactive"));
    if tty && interactive && !detach && !term::stdin_is_tty() {
        out::err_line("the input device is not a TTY");
        return Err(Failure::Exit(1));
    }
    let container = &a.pos[0];
    let mut c = Map::new();
    if let Some(u) = a.get("user") {
        c.insert("User".into(), json!(u));
    }
    c.insert("Privileged".into(), json!(a.on("privileged")));
    c.insert("Tty".into(), json!(tty));
    c.insert("AttachStdin".into(), json!(interactive && !detach));
    c.insert("AttachStdout".into(), json!(!detach));
    c.insert("AttachStderr".into(), json!(!detach));
    c.insert(
        "DetachKeys".into(),
        json!(a.get("detach-keys").unwrap_or("ctrl-p,ctrl-q")),
    );
    let env = env_list(a)?;
    if !env.is_empty() {
        c.insert("Env".into(), Value::Array(env));
    }
    if let Some(w) = a.get("workdir") {
        c.insert("WorkingDir".into(), json!(w));
    }
    c.insert("Cmd".into(), json!(a.pos[1..]));
    let exec_id = client.create_exec(container, &Value::Object(c))?;
    if detach {
        client.start_exec_detached(&exec_id)?;
        return Ok(());
    }
    let stream = client.start_exec(&exec_id)?;
    let resize: Option<Box<dyn Fn(u32, u32) + Send>> = tty.then(|| {
        let (client, id) = (client.clone(), exec_id.clone());
        Box::new(move |h, w| {
            let _ = client.resize_exec(&id, h, w);
        }) as Box<dyn Fn(u32, u32) + Send>
    });
    let ended = term::session(
        stream,
        term::Session {
            tty,
            stdin: interactive,
            resize,
            detach_keys: keys,
        },
    )?;
    if ended == term::Ended::Detached {
        return Ok(());
    }
    // The exit code, once the daemon has recorded it.
    let started = std::time::Instant::now();
    loop {
        let v = client.inspect_exec(&exec_id)?;
        if v["Running"] == false {
            if let Some(code) = v["ExitCode"].as_i64() {
                return exit_with(code);
            }
        }
        if started.elapsed() > std::time::Duration::from_secs(10) {
            return Err(Failure::Msg(format!(
                "docksock: exec {exec_id}: the output ended but the daemon still reports it running"
            )));
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}
