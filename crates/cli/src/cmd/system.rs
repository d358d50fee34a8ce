//! The daemon: `ping`, `version`, `info`, `events`, `system df`, `system prune` (and
//! `system info`, `system events`).

use docksock::api::{containers, images, system};
use docksock::{Client, DataUsageOptions, EventsOptions, Filters};

use super::object::confirm;
use super::{filters, json_of, Handler};
use crate::args::{opt, switch, Args, Spec};
use crate::fmt;
use crate::json::{obj, Json};
use crate::out;
use crate::template::Template;
use crate::Failure;

pub(super) static COMMANDS: &[(&Spec, Handler)] = &[
    (&PING, ping),
    (&VERSION, version),
    (&INFO, info),
    (&SYSTEM_INFO, info),
    (&EVENTS, events),
    (&SYSTEM_EVENTS, events),
    (&DF, df),
    (&PRUNE, prune),
];

static PING: Spec = Spec {
    name: "ping",
    usage: "",
    about: "Check that the daemon answers, and show its API version",
    flags: &[],
    min: 0,
    max: 0,
    stop_at_positional: false,
};

fn ping(client: &Client, _: &Args) -> Result<(), Failure> {
    let ping = client.ping()?;
    out::line(&format!(
        "{} (API {}, {})",
        ping.body,
        ping.api_version.as_deref().unwrap_or("unknown"),
        ping.os_type.as_deref().unwrap_or("unknown OS")
    ))
}

/// Runs a `--format` template (or `json`) on one object.
fn format_one(format: &str, v: &Json) -> Result<(), Failure> {
    if format == "json" {
        return out::line(&v.to_compact());
    }
    let t = Template::parse(&format.replace("\\n", "\n").replace("\\t", "\t"))
        .map_err(|e| Failure::Msg(format!("template parsing error: {e}")))?;
    let text = t
        .execute(v)
        .map_err(|e| Failure::Msg(format!("template: {e}")))?;
    out::line(&text)
}

static VERSION: Spec = Spec {
    name: "version",
    usage: "",
    about: "Show the docksock and Docker version information",
    flags: &[opt(
        Some('f'),
        "format",
        "string",
        "Format output using a custom template ('json' or a Go template)",
    )],
    min: 0,
    max: 0,
    stop_at_positional: false,
};

fn version(client: &Client, a: &Args) -> Result<(), Failure> {
    let api = client.api_version()?;
    let server = json_of(client.run(system::version())?)?;
    let os_arch = format!("{}/{}", std::env::consts::OS, go_arch());
    let client_info = obj(vec![
        ("Version", env!("CARGO_PKG_VERSION").to_owned()),
        ("ApiVersion", api.to_string()),
        ("Os", std::env::consts::OS.to_owned()),
        ("Arch", go_arch().to_owned()),
    ]);
    if let Some(f) = a.get("format") {
        let v = Json::Obj(vec![
            ("Client".into(), client_info),
            ("Server".into(), server),
        ]);
        return format_one(f, &v);
    }
    let mut text = format!(
        "Client:\n Version:           {}\n API version:       {api}\n OS/Arch:           {os_arch}\n\nServer:\n",
        env!("CARGO_PKG_VERSION")
    );
    let s = |k: &str| server.get(k).str().to_owned();
    text.push_str(&format!(
        " Engine:\n  Version:          {}\n  API version:      {} (minimum version {})\n  Go version:       {}\n  Git commit:       {}\n  Built:            {}\n  OS/Arch:          {}/{}\n  Experimental:     {}\n",
        s("Version"),
        s("ApiVersion"),
        s("MinAPIVersion"),
        s("GoVersion"),
        s("GitCommit"),
        s("BuildTime"),
        s("Os"),
        s("Arch"),
        server.get("Experimental").truthy()
    ));
    for c in server.get("Components").items() {
        let name = c.get("Name").str();
        if name == "Engine" {
            continue;
        }
        text.push_str(&format!(
            " {name}:\n  Version:          {}\n",
            c.get("Version").str()
        ));
        if let Some(commit) = c.get("Details").field("GitCommit") {
            text.push_str(&format!("  GitCommit:        {}\n", commit.str()));
        }
    }
    out::print(&text)
}

/// Go's name for this architecture, as docker shows it.
fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    }
}

static INFO: Spec = Spec {
    name: "info",
    usage: "",
    about: "Display system-wide information",
    flags: &[opt(
        Some('f'),
        "format",
        "string",
        "Format output using a custom template ('json' or a Go template)",
    )],
    min: 0,
    max: 0,
    stop_at_positional: false,
};

static SYSTEM_INFO: Spec = Spec {
    name: "system info",
    ..INFO
};

fn info(client: &Client, a: &Args) -> Result<(), Failure> {
    let v = json_of(client.run(system::info())?)?;
    if let Some(f) = a.get("format") {
        return format_one(f, &v);
    }
    let g = |k: &str| -> String {
        match v.get(k) {
            Json::Str(s) => s.clone(),
            Json::Num(n) => n.clone(),
            Json::Bool(b) => b.to_string(),
            _ => String::new(),
        }
    };
    let mut text = format!(
        "Client:\n Version:    {}\n\nServer:\n Containers: {}\n  Running: {}\n  Paused: {}\n  Stopped: {}\n Images: {}\n Server Version: {}\n Storage Driver: {}\n",
        env!("CARGO_PKG_VERSION"),
        g("Containers"),
        g("ContainersRunning"),
        g("ContainersPaused"),
        g("ContainersStopped"),
        g("Images"),
        g("ServerVersion"),
        g("Driver"),
    );
    for pair in v.get("DriverStatus").items() {
        let p = pair.items();
        if p.len() == 2 {
            text.push_str(&format!("  {}: {}\n", p[0].str(), p[1].str()));
        }
    }
    text.push_str(&format!(
        " Logging Driver: {}\n Cgroup Driver: {}\n Cgroup Version: {}\n Kernel Version: {}\n Operating System: {}\n OSType: {}\n Architecture: {}\n CPUs: {}\n Total Memory: {}\n Name: {}\n ID: {}\n Docker Root Dir: {}\n Debug Mode: {}\n Experimental: {}\n Live Restore Enabled: {}\n",
        g("LoggingDriver"),
        g("CgroupDriver"),
        g("CgroupVersion"),
        g("KernelVersion"),
        g("OperatingSystem"),
        g("OSType"),
        g("Architecture"),
        g("NCPU"),
        fmt::bytes_size(v.get("MemTotal").f64().unwrap_or(0.0)),
        g("Name"),
        g("ID"),
        g("DockerRootDir"),
        g("Debug"),
        g("ExperimentalBuild"),
        g("LiveRestoreEnabled"),
    ));
    for w in v.get("Warnings").items() {
        text.push_str(&format!("{}\n", w.str()));
    }
    out::print(&text)
}

static EVENTS: Spec = Spec {
    name: "events",
    usage: "",
    about: "Get real time events from the server",
    flags: &[
        opt(
            Some('f'),
            "filter",
            "filter",
            "Filter output based on conditions provided",
        ),
        opt(
            None,
            "format",
            "string",
            "Format output using a custom template ('json' or a Go template)",
        ),
        opt(
            None,
            "since",
            "string",
            "Show all events created since timestamp",
        ),
        opt(
            None,
            "until",
            "string",
            "Stream events until this timestamp",
        ),
    ],
    min: 0,
    max: 0,
    stop_at_positional: false,
};

static SYSTEM_EVENTS: Spec = Spec {
    name: "system events",
    ..EVENTS
};

/// docker's event line: `TIME TYPE ACTION ID (k=v, …)`.
pub(crate) fn event_line(e: &Json) -> String {
    let mut line = String::new();
    if let Some(nanos) = e.get("timeNano").i64().filter(|n| *n != 0) {
        line.push_str(&fmt::rfc3339_nano(
            nanos.div_euclid(1_000_000_000),
            nanos.rem_euclid(1_000_000_000) as u32,
        ));
        line.push(' ');
    } else if let Some(t) = e.get("time").i64().filter(|t| *t != 0) {
        line.push_str(&fmt::rfc3339_nano(t, 0));
        line.push(' ');
    }
    let actor = e.get("Actor");
    line.push_str(&format!(
        "{} {} {}",
        e.get("Type").str(),
        e.get("Action").str(),
        actor.get("ID").str()
    ));
    let mut attrs: Vec<(&str, &str)> = actor
        .get("Attributes")
        .fields()
        .iter()
        .map(|(k, v)| (k.as_str(), v.str()))
        .collect();
    if !attrs.is_empty() {
        attrs.sort_unstable();
        let parts: Vec<String> = attrs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        line.push_str(&format!(" ({})", parts.join(", ")));
    }
    line
}

fn events(client: &Client, a: &Args) -> Result<(), Failure> {
    let opts = EventsOptions {
        since: a.get("since").map(fmt::api_time),
        until: a.get("until").map(fmt::api_time),
        filters: filters(a)?,
    };
    let template = match a.get("format") {
        None | Some("") => None,
        Some("json") => Some(Template::parse("{{json .}}").map_err(Failure::Msg)?),
        Some(f) => Some(
            Template::parse(&f.replace("\\n", "\n").replace("\\t", "\t"))
                .map_err(|e| Failure::Msg(format!("template parsing error: {e}")))?,
        ),
    };
    let resp = client.run(system::events(&opts))?;
    let mut body = resp.into_body();
    // Events are JSON objects one after another; each is parsed with its field order kept.
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let n = match std::io::Read::read(&mut body, &mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(docksock::Error::from_io("reading the event stream", e).into()),
        };
        buf.extend_from_slice(&chunk[..n]);
        while let Some(end) = message_end(&buf) {
            let raw: Vec<u8> = buf.drain(..end).collect();
            // Whitespace and json-seq's RS between messages.
            let skip = |b: &u8| b.is_ascii_whitespace() || *b == 0x1e;
            let start = raw.iter().position(|b| !skip(b)).unwrap_or(raw.len());
            let text = &raw[start..];
            if text.is_empty() {
                continue;
            }
            let e = Json::parse(text)
                .map_err(|err| Failure::Msg(format!("docksock: an event is not JSON: {err}")))?;
            let line = match &template {
                Some(t) => t
                    .execute(&e)
                    .map_err(|err| Failure::Msg(format!("template: {err}")))?,
                None => event_line(&e),
            };
            out::line(&line)?;
        }
        if buf.len() > 1 << 20 {
            return Err(Failure::Msg("docksock: an event larger than 1 MiB".into()));
        }
    }
    Ok(())
}

/// The end of the first complete JSON object in `buf` (brace depth, strings skipped).
fn message_end(buf: &[u8]) -> Option<usize> {
    let (mut depth, mut in_str, mut esc, mut started) = (0usize, false, false, false);
    for (i, &b) in buf.iter().enumerate() {
        if in_str {
            match (esc, b) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => {
                depth += 1;
                started = true;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if started && depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

static DF: Spec = Spec {
    name: "system df",
    usage: "",
    about: "Show docker disk usage",
    flags: &[opt(None, "format", "string", "Format output using a custom template ('table', 'table TEMPLATE', 'json', or a Go template)")],
    min: 0,
    max: 0,
    stop_at_positional: false,
};

const DF_HEADERS: &[(&str, &str)] = &[
    ("Type", "TYPE"),
    ("TotalCount", "TOTAL"),
    ("Active", "ACTIVE"),
    ("Size", "SIZE"),
    ("Reclaimable", "RECLAIMABLE"),
];

fn df(client: &Client, a: &Args) -> Result<(), Failure> {
    let v = json_of(client.run(system::df(&DataUsageOptions::default()))?)?;
    let pct = |reclaim: f64, size: f64| {
        if size > 0.0 {
            format!(
                "{} ({}%)",
                fmt::human_size(reclaim),
                (reclaim * 100.0 / size) as i64
            )
        } else {
            fmt::human_size(reclaim)
        }
    };
    let row = |t: &str, total: usize, active: usize, size: String, reclaim: String| {
        obj(vec![
            ("Active", active.to_string()),
            ("Reclaimable", reclaim),
            ("Size", size),
            ("TotalCount", total.to_string()),
            ("Type", t.to_owned()),
        ])
    };
    let imgs = v.get("Images").items();
    let img_size = v.get("LayersSize").f64().unwrap_or(0.0);
    let img_active = imgs
        .iter()
        .filter(|i| i.get("Containers").i64().unwrap_or(0) > 0)
        .count();
    let img_reclaim: f64 = imgs
        .iter()
        .filter(|i| i.get("Containers").i64().unwrap_or(0) == 0)
        .map(|i| {
            let size = i.get("Size").f64().unwrap_or(0.0);
            let shared = i.get("SharedSize").f64().unwrap_or(0.0).max(0.0);
            size - shared
        })
        .sum();
    let ctrs = v.get("Containers").items();
    let ctr_size: f64 = ctrs
        .iter()
        .map(|c| c.get("SizeRw").f64().unwrap_or(0.0))
        .sum();
    let running = |c: &&Json| c.get("State").str() == "running";
    let ctr_active = ctrs.iter().filter(running).count();
    let ctr_reclaim: f64 = ctrs
        .iter()
        .filter(|c| !running(c))
        .map(|c| c.get("SizeRw").f64().unwrap_or(0.0))
        .sum();
    let vols = v.get("Volumes").items();
    let vsize = |x: &Json| x.get("UsageData").get("Size").f64().unwrap_or(0.0).max(0.0);
    let refs = |x: &Json| x.get("UsageData").get("RefCount").i64().unwrap_or(0);
    let vol_size: f64 = vols.iter().map(vsize).sum();
    let vol_active = vols.iter().filter(|x| refs(x) > 0).count();
    let vol_reclaim: f64 = vols.iter().filter(|x| refs(x) == 0).map(vsize).sum();
    let cache = v.get("BuildCache").items();
    let bsize = |x: &Json| x.get("Size").f64().unwrap_or(0.0);
    let cache_size: f64 = cache
        .iter()
        .filter(|x| !x.get("Shared").truthy())
        .map(bsize)
        .sum();
    let cache_active = cache.iter().filter(|x| x.get("InUse").truthy()).count();
    let cache_reclaim: f64 = cache
        .iter()
        .filter(|x| !x.get("Shared").truthy() && !x.get("InUse").truthy())
        .map(bsize)
        .sum();
    let rows = vec![
        row(
            "Images",
            imgs.len(),
            img_active,
            fmt::human_size(img_size),
            pct(img_reclaim, img_size),
        ),
        row(
            "Containers",
            ctrs.len(),
            ctr_active,
            fmt::human_size(ctr_size),
            pct(ctr_reclaim, ctr_size),
        ),
        row(
            "Local Volumes",
            vols.len(),
            vol_active,
            fmt::human_size(vol_size),
            pct(vol_reclaim, vol_size),
        ),
        row(
            "Build Cache",
            cache.len(),
            cache_active,
            fmt::human_size(cache_size),
            fmt::human_size(cache_reclaim),
        ),
    ];
    let format = out::format(
        a.get("format"),
        "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}",
        DF_HEADERS,
    )?;
    out::rows(&format, DF_HEADERS, &rows)
}

static PRUNE: Spec = Spec {
    name: "system prune",
    usage: "",
    about: "Remove unused data",
    flags: &[
        switch(
            Some('a'),
            "all",
            "Remove all unused images not just dangling ones",
        ),
        opt(
            None,
            "filter",
            "filter",
            "Provide filter values (e.g. \"label=<key>=<value>\")",
        ),
        switch(Some('f'), "force", "Do not prompt for confirmation"),
        switch(None, "volumes", "Prune anonymous volumes"),
    ],
    min: 0,
    max: 0,
    stop_at_positional: false,
};

fn strings(v: &serde_json::Value, key: &str, field: Option<&str>) -> Vec<String> {
    v[key]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|x| match field {
                    None => x.as_str().map(str::to_owned),
                    Some(f) => x.as_object().and_then(|o| {
                        o.iter()
                            .find(|(k, _)| k.as_str() == f || field == Some("*"))
                            .and_then(|(k, v)| v.as_str().map(|s| format!("{k}: {s}")))
                    }),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn prune(client: &Client, a: &Args) -> Result<(), Failure> {
    let mut what = vec![
        "all stopped containers",
        "all networks not used by at least one container",
    ];
    if a.on("volumes") {
        what.push("all anonymous volumes not used by at least one container");
    }
    what.push(if a.on("all") {
        "all images without at least one container associated to them"
    } else {
        "all dangling images"
    });
    what.push("unused build cache");
    if !confirm(a, &what.join(",\n  - "))? {
        return Ok(());
    }
    let base = filters(a)?.unwrap_or_default();
    let f = (!base.is_empty()).then_some(&base);
    let mut reclaimed = 0.0;
    let mut text = String::new();
    let c = client.prune_containers(f)?;
    let ids = strings(&c, "ContainersDeleted", None);
    if !ids.is_empty() {
        text.push_str(&format!("Deleted Containers:\n{}\n\n", ids.join("\n")));
    }
    reclaimed += c["SpaceReclaimed"].as_f64().unwrap_or(0.0);
    let n = client.prune_networks(f)?;
    let ids = strings(&n, "NetworksDeleted", None);
    if !ids.is_empty() {
        text.push_str(&format!("Deleted Networks:\n{}\n\n", ids.join("\n")));
    }
    if a.on("volumes") {
        let v = client.prune_volumes(f)?;
        let ids = strings(&v, "VolumesDeleted", None);
        if !ids.is_empty() {
            text.push_str(&format!("Deleted Volumes:\n{}\n\n", ids.join("\n")));
        }
        reclaimed += v["SpaceReclaimed"].as_f64().unwrap_or(0.0);
    }
    let mut img_filters = base.clone();
    img_filters.add("dangling", if a.on("all") { "false" } else { "true" });
    let i = crate::json::from_value(&client.run(images::prune(Some(&img_filters)))?.json()?);
    let mut deleted = Vec::new();
    for item in i.get("ImagesDeleted").items() {
        for (k, x) in item.fields() {
            deleted.push(format!("{}: {}", k.to_lowercase(), x.str()));
        }
    }
    if !deleted.is_empty() {
        text.push_str(&format!("Deleted Images:\n{}\n\n", deleted.join("\n")));
    }
    reclaimed += i.get("SpaceReclaimed").f64().unwrap_or(0.0);
    let cache_opts = docksock::BuildPruneOptions {
        all: a.on("all"),
        ..Default::default()
    };
    // Engines without a build cache endpoint (404) have nothing to prune there.
    match client.prune_build_cache(&cache_opts) {
        Ok(b) => {
            let ids = strings(&b, "CachesDeleted", None);
            if !ids.is_empty() {
                text.push_str(&format!(
                    "Deleted build cache objects:\n{}\n\n",
                    ids.join("\n")
                ));
            }
            reclaimed += b["SpaceReclaimed"].as_f64().unwrap_or(0.0);
        }
        Err(e) if super::is_not_found(&e) => {}
        Err(e) => return Err(e.into()),
    }
    let _ = containers::prune(None::<&Filters>);
    text.push_str(&format!(
        "Total reclaimed space: {}",
        fmt::human_size(reclaimed)
    ));
    out::line(&text)
}
