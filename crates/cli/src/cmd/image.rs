//! Images: `images`, `rmi`, `tag`, `build`, `save`, `load`, `import`, `history`.

use std::io::{Read, Write};

use docksock::api::images;
use docksock::{
    BuildOptions, Client, ListImagesOptions, LoadOptions, RemoveImageOptions, SaveImagesOptions,
};

use super::container::familiar;
use super::{daemon_message, each, filters, json_of, Handler};
use crate::args::{opt, switch, Args, Spec};
use crate::fmt;
use crate::json::{obj, Json};
use crate::out;
use crate::Failure;

pub(super) static COMMANDS: &[(&Spec, Handler)] = &[
    (&IMAGES, images_cmd),
    (&RMI, rmi),
    (&TAG, tag),
    (&BUILD, build),
    (&SAVE, save),
    (&LOAD, load),
    (&IMPORT, import),
    (&HISTORY, history),
];

static IMAGES: Spec = Spec {
    name: "images",
    usage: "[REPOSITORY[:TAG]]",
    about: "List images",
    flags: &[
        switch(Some('a'), "all", "Show all images (default hides intermediate images)"),
        switch(None, "digests", "Show digests"),
        opt(Some('f'), "filter", "filter", "Filter output based on conditions provided"),
        opt(None, "format", "string", "Format output using a custom template ('table', 'table TEMPLATE', 'json', or a Go template)"),
        switch(None, "no-trunc", "Don't truncate output"),
        switch(Some('q'), "quiet", "Only show image IDs"),
    ],
    min: 0,
    max: 1,
    stop_at_positional: false,
};

const IMAGES_TABLE: &str = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
const IMAGES_DIGESTS_TABLE: &str =
    "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";

const IMAGES_HEADERS: &[(&str, &str)] = &[
    ("Repository", "REPOSITORY"),
    ("Tag", "TAG"),
    ("Digest", "DIGEST"),
    ("ID", "IMAGE ID"),
    ("CreatedSince", "CREATED"),
    ("CreatedAt", "CREATED AT"),
    ("Size", "SIZE"),
    ("Containers", "CONTAINERS"),
    ("SharedSize", "SHARED SIZE"),
    ("UniqueSize", "UNIQUE SIZE"),
    ("VirtualSize", "VIRTUAL SIZE"),
];

fn images_cmd(client: &Client, a: &Args) -> Result<(), Failure> {
    let mut f = filters(a)?.unwrap_or_default();
    if let Some(r) = a.pos.first() {
        f.add("reference", r);
    }
    let opts = ListImagesOptions {
        all: a.on("all"),
        digests: a.on("digests"),
        filters: (!f.is_empty()).then_some(f),
        ..Default::default()
    };
    let list = json_of(super::run_read(client, images::list(&opts))?)?;
    let trunc = !a.on("no-trunc");
    let rows: Vec<Json> = list
        .items()
        .iter()
        .flat_map(|i| image_rows(i, trunc))
        .collect();
    if a.on("quiet") {
        let mut text = String::new();
        // One line a row, as docker's (an image with two tags shows twice).
        for r in &rows {
            text.push_str(r.get("ID").str());
            text.push('\n');
        }
        return out::print(&text);
    }
    let default = if a.on("digests") {
        IMAGES_DIGESTS_TABLE
    } else {
        IMAGES_TABLE
    };
    let format = out::format(a.get("format"), default, IMAGES_HEADERS)?;
    out::rows(&format, IMAGES_HEADERS, &rows)
}

/// Splits `repo:tag` at the tag's colon (not a registry port's).
pub(crate) fn split_tag(reference: &str) -> (&str, Option<&str>) {
    match reference.rfind(':') {
        Some(i) if !reference[i + 1..].contains('/') => {
            (&reference[..i], Some(&reference[i + 1..]))
        }
        _ => (reference, None),
    }
}

/// The rows `docker images` shows for one image: one per tag, one per digest of an
/// untagged repository, or one `<none> <none>`.
fn image_rows(i: &Json, trunc: bool) -> Vec<Json> {
    let id = i.get("Id").str();
    let shown_id = if trunc {
        fmt::short_id(id).to_owned()
    } else {
        id.to_owned()
    };
    let created = i.get("Created").i64().unwrap_or(0);
    let size = i.get("Size").f64().unwrap_or(0.0);
    let shared = i.get("SharedSize").f64().unwrap_or(-1.0);
    let containers = i.get("Containers").i64().unwrap_or(-1);
    let row = |repo: &str, tag: &str, digest: &str| {
        obj(vec![
            (
                "Containers",
                if containers < 0 {
                    "N/A".into()
                } else {
                    containers.to_string()
                },
            ),
            ("CreatedAt", fmt::go_time_string(created)),
            ("CreatedSince", fmt::ago(created)),
            ("Digest", digest.to_owned()),
            ("ID", shown_id.clone()),
            ("Repository", repo.to_owned()),
            (
                "SharedSize",
                if shared < 0.0 {
                    "N/A".into()
                } else {
                    fmt::human_size_prec(shared, 3)
                },
            ),
            ("Size", fmt::human_size_prec(size, 3)),
            ("Tag", tag.to_owned()),
            (
                "UniqueSize",
                if shared < 0.0 {
                    "N/A".into()
                } else {
                    fmt::human_size_prec(size - shared, 3)
                },
            ),
            ("VirtualSize", fmt::human_size_prec(size, 3)),
        ])
    };
    let tags: Vec<&str> = i
        .get("RepoTags")
        .items()
        .iter()
        .map(Json::str)
        .filter(|t| *t != "<none>:<none>")
        .collect();
    let digests: Vec<&str> = i
        .get("RepoDigests")
        .items()
        .iter()
        .map(Json::str)
        .filter(|d| *d != "<none>@<none>")
        .collect();
    let digest_of = |repo: &str| {
        digests
            .iter()
            .find_map(|d| {
                d.split_once('@')
                    .filter(|(r, _)| *r == repo)
                    .map(|(_, d)| d)
            })
            .unwrap_or("<none>")
    };
    let mut rows = Vec::new();
    let mut tagged_repos = Vec::new();
    for t in &tags {
        let (repo, tag) = split_tag(t);
        tagged_repos.push(repo);
        rows.push(row(
            familiar(repo),
            tag.unwrap_or("<none>"),
            digest_of(repo),
        ));
    }
    for d in &digests {
        if let Some((repo, digest)) = d.split_once('@') {
            if !tagged_repos.contains(&repo) {
                rows.push(row(familiar(repo), "<none>", digest));
            }
        }
    }
    if rows.is_empty() {
        rows.push(row("<none>", "<none>", "<none>"));
    }
    rows
}

static RMI: Spec = Spec {
    name: "rmi",
    usage: "IMAGE [IMAGE...]",
    about: "Remove one or more images",
    flags: &[
        switch(Some('f'), "force", "Force removal of the image"),
        switch(None, "no-prune", "Do not delete untagged parents"),
    ],
    min: 1,
    max: usize::MAX,
    stop_at_positional: false,
};

fn rmi(client: &Client, a: &Args) -> Result<(), Failure> {
    let opts = RemoveImageOptions {
        force: a.on("force"),
        noprune: a.on("no-prune"),
    };
    each(&a.pos, |name| {
        let v = crate::json::from_value(&client.remove_image(name, &opts)?);
        let mut lines = Vec::new();
        for item in v.items() {
            for (k, label) in [("Untagged", "Untagged"), ("Deleted", "Deleted")] {
                let s = item.get(k).str();
                if !s.is_empty() {
                    lines.push(format!("{label}: {s}"));
                }
            }
        }
        Ok((!lines.is_empty()).then(|| lines.join("\n")))
    })
}

static TAG: Spec = Spec {
    name: "tag",
    usage: "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
    about: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
    flags: &[],
    min: 2,
    max: 2,
    stop_at_positional: false,
};

fn tag(client: &Client, a: &Args) -> Result<(), Failure> {
    let (repo, tag) = split_tag(&a.pos[1]);
    client.tag_image(&a.pos[0], repo, Some(tag.unwrap_or("latest")))?;
    Ok(())
}

static BUILD: Spec = Spec {
    name: "build",
    usage: "PATH",
    about: "Build an image from a Dockerfile (the context directory is streamed as a tar)",
    flags: &[
        opt(None, "build-arg", "list", "Set build-time variables"),
        opt(
            Some('f'),
            "file",
            "string",
            "Name of the Dockerfile (default: \"PATH/Dockerfile\")",
        ),
        opt(None, "label", "list", "Set metadata for an image"),
        switch(None, "no-cache", "Do not use cache when building the image"),
        opt(
            None,
            "network",
            "string",
            "Set the networking mode for the RUN instructions during build",
        ),
        switch(
            None,
            "pull",
            "Always attempt to pull a newer version of the image",
        ),
        switch(
            Some('q'),
            "quiet",
            "Suppress the build output and print image ID on success",
        ),
        switch(
            None,
            "rm",
            "Remove intermediate containers after a successful build (default true)",
        ),
        opt(
            Some('t'),
            "tag",
            "list",
            "Name and optionally a tag in the \"name:tag\" format",
        ),
        opt(
            None,
            "target",
            "string",
            "Set the target build stage to build",
        ),
    ],
    min: 1,
    max: 1,
    stop_at_positional: false,
};

fn kv(s: &str) -> (String, String) {
    match s.split_once('=') {
        Some((k, v)) => (k.to_owned(), v.to_owned()),
        None => (s.to_owned(), std::env::var(s).unwrap_or_default()),
    }
}

fn build(client: &Client, a: &Args) -> Result<(), Failure> {
    let dir = std::path::Path::new(&a.pos[0]);
    let dockerfile = a.get("file").map(|f| {
        // A path given from here is made relative to the context, as docker does.
        let p = std::path::Path::new(f);
        match p.strip_prefix(dir) {
            Ok(rel) => rel.to_string_lossy().into_owned(),
            Err(_) => f.to_owned(),
        }
    });
    let tags = a.all("tag");
    let opts = BuildOptions {
        tag: tags.first().map(|t| (*t).to_owned()),
        more_tags: tags.iter().skip(1).map(|t| (*t).to_owned()).collect(),
        dockerfile,
        quiet: a.on("quiet"),
        nocache: a.on("no-cache"),
        pull: a.on("pull"),
        buildargs: a.all("build-arg").into_iter().map(kv).collect(),
        labels: a.all("label").into_iter().map(kv).collect(),
        networkmode: a.get("network").map(str::to_owned),
        target: a.get("target").map(str::to_owned),
        rm: Some(true),
        ..Default::default()
    };
    let context = crate::tar::TarDir::new(dir).map_err(|e| {
        Failure::Msg(format!(
            "docksock: reading the build context {}: {e}",
            dir.display()
        ))
    })?;
    let quiet = a.on("quiet");
    let mut image_id = String::new();
    for msg in client.build_image(context, &opts)? {
        let msg = match msg {
            Ok(m) => m,
            Err(docksock::Error::Stream { message, .. }) => {
                return Err(Failure::Msg(message.trim_end().to_owned()))
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(id) = msg["aux"]["ID"].as_str() {
            image_id = id.to_owned();
        }
        if quiet {
            if let Some(s) = msg["stream"].as_str() {
                if s.trim().starts_with("sha256:") {
                    image_id = s.trim().to_owned();
                }
            }
            continue;
        }
        progress_line(&msg)?;
    }
    if quiet {
        out::line(&image_id)?;
    }
    Ok(())
}

/// Prints one message of a progress stream (build, load) as docker's plain output does.
pub(crate) fn progress_line(msg: &serde_json::Value) -> Result<(), Failure> {
    if let Some(s) = msg["stream"].as_str() {
        return out::print(s);
    }
    if let Some(status) = msg["status"].as_str() {
        let mut line = String::new();
        if let Some(id) = msg["id"].as_str() {
            line.push_str(id);
            line.push_str(": ");
        }
        line.push_str(status);
        if let Some(p) = msg["progress"].as_str() {
            line.push(' ');
            line.push_str(p);
        }
        return out::line(&line);
    }
    Ok(())
}

/// Copies a tar body to a file (`-o`) or to stdout (never a terminal).
pub(crate) fn copy_out(mut body: impl Read, output: Option<&str>) -> Result<(), Failure> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut sink: Box<dyn Write> = match output {
        Some(path) => Box::new(
            std::fs::File::create(path)
                .map_err(|e| Failure::Msg(format!("docksock: creating {path}: {e}")))?,
        ),
        None => {
            if crate::term::stdout_is_tty() {
                return Err(Failure::Msg(
                    "cowardly refusing to save to a terminal. Use the -o flag or redirect".into(),
                ));
            }
            Box::new(std::io::stdout().lock())
        }
    };
    loop {
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(docksock::Error::from_io("reading the archive", e).into()),
        };
        out::check(sink.write_all(&buf[..n]))?;
    }
    out::check(sink.flush())
}

static SAVE: Spec = Spec {
    name: "save",
    usage: "IMAGE [IMAGE...]",
    about: "Save one or more images to a tar archive (streamed to STDOUT by default)",
    flags: &[opt(
        Some('o'),
        "output",
        "string",
        "Write to a file, instead of STDOUT",
    )],
    min: 1,
    max: usize::MAX,
    stop_at_positional: false,
};

fn save(client: &Client, a: &Args) -> Result<(), Failure> {
    if a.get("output").is_none() && crate::term::stdout_is_tty() {
        return Err(Failure::Msg(
            "cowardly refusing to save to a terminal. Use the -o flag or redirect".into(),
        ));
    }
    let body = client.save_images(&SaveImagesOptions {
        names: a.pos.clone(),
        ..Default::default()
    })?;
    copy_out(body, a.get("output"))
}

/// An input archive: a file, or stdin.
fn input(path: Option<&str>) -> Result<Box<dyn Read + Send>, Failure> {
    match path {
        Some("-") | None => Ok(Box::new(std::io::stdin())),
        Some(p) => {
            Ok(Box::new(std::fs::File::open(p).map_err(|e| {
                Failure::Msg(format!("docksock: opening {p}: {e}"))
            })?))
        }
    }
}

static LOAD: Spec = Spec {
    name: "load",
    usage: "",
    about: "Load an image from a tar archive or STDIN",
    flags: &[
        opt(
            Some('i'),
            "input",
            "string",
            "Read from tar archive file, instead of STDIN",
        ),
        switch(Some('q'), "quiet", "Suppress the load output"),
    ],
    min: 0,
    max: 0,
    stop_at_positional: false,
};

fn load(client: &Client, a: &Args) -> Result<(), Failure> {
    if a.get("input").is_none() && crate::term::stdin_is_tty() {
        return Err(Failure::Msg(
            "requested load from stdin, but stdin is empty".into(),
        ));
    }
    let tar = input(a.get("input"))?;
    let opts = LoadOptions {
        quiet: a.on("quiet"),
        ..Default::default()
    };
    for msg in client.load_images(tar, &opts)? {
        match msg {
            Ok(m) => progress_line(&m)?,
            Err(docksock::Error::Stream { message, .. }) => return Err(Failure::Msg(message)),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

static IMPORT: Spec = Spec {
    name: "import",
    usage: "file|- [REPOSITORY[:TAG]]",
    about: "Import the contents from a tarball to create a filesystem image",
    flags: &[],
    min: 1,
    max: 2,
    stop_at_positional: false,
};

fn import(client: &Client, a: &Args) -> Result<(), Failure> {
    let tar = input(Some(&a.pos[0]))?;
    let (repo, tag) = match a.pos.get(1) {
        Some(r) => {
            let (repo, tag) = split_tag(r);
            (repo.to_owned(), tag.unwrap_or("latest").to_owned())
        }
        None => (String::new(), String::new()),
    };
    let id = client.import_image(tar, &repo, &tag).map_err(|e| match e {
        docksock::Error::Stream { message, .. } => Failure::Msg(message),
        other => Failure::Msg(daemon_message(&other)),
    })?;
    out::line(&id)
}

static HISTORY: Spec = Spec {
    name: "history",
    usage: "IMAGE",
    about: "Show the history of an image",
    flags: &[
        opt(
            None,
            "format",
            "string",
            "Format output using a custom template",
        ),
        switch(
            Some('H'),
            "human",
            "Print sizes and dates in human readable format (default true)",
        ),
        switch(None, "no-trunc", "Don't truncate output"),
        switch(Some('q'), "quiet", "Only show image IDs"),
    ],
    min: 1,
    max: 1,
    stop_at_positional: false,
};

const HISTORY_HEADERS: &[(&str, &str)] = &[
    ("ID", "IMAGE"),
    ("CreatedSince", "CREATED"),
    ("CreatedAt", "CREATED AT"),
    ("CreatedBy", "CREATED BY"),
    ("Size", "SIZE"),
    ("Comment", "COMMENT"),
];

fn history(client: &Client, a: &Args) -> Result<(), Failure> {
    let v = json_of(client.run(images::history(&a.pos[0], None))?)?;
    let trunc = !a.on("no-trunc");
    let rows: Vec<Json> = v
        .items()
        .iter()
        .map(|h| {
            let id = h.get("Id").str();
            let id = if id == "<missing>" || !trunc {
                id.to_owned()
            } else {
                fmt::short_id(id).to_owned()
            };
            let created = h.get("Created").i64().unwrap_or(0);
            let by = h.get("CreatedBy").str().replace('\t', " ");
            obj(vec![
                ("Comment", h.get("Comment").str().to_owned()),
                ("CreatedAt", fmt::rfc3339(created)),
                ("CreatedBy", if trunc { fmt::ellipsis(&by, 45) } else { by }),
                ("CreatedSince", fmt::ago(created)),
                ("ID", id),
                (
                    "Size",
                    fmt::human_size_prec(h.get("Size").f64().unwrap_or(0.0), 3),
                ),
            ])
        })
        .collect();
    if a.on("quiet") {
        let text: String = rows
            .iter()
            .map(|r| format!("{}\n", r.get("ID").str()))
            .collect();
        return out::print(&text);
    }
    let format = out::format(
        a.get("format"),
        "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}",
        HISTORY_HEADERS,
    )?;
    out::rows(&format, HISTORY_HEADERS, &rows)
}
