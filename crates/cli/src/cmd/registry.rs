//! Registries: `pull`, `push`, `login`, `logout`.

use std::io::{BufRead, Write};

use docksock::{Client, DockerConfig, Progress, PullOptions, PushOptions, RegistryAuth};

use super::Handler;
use crate::args::{opt, switch, Args, Spec, Usage};
use crate::out;
use crate::progress::Renderer;
use crate::term;
use crate::Failure;

pub(super) static COMMANDS: &[(&Spec, Handler)] = &[
    (&PULL, pull),
    (&PUSH, push),
    (&LOGIN, login),
    (&LOGOUT, logout),
];

static PULL: Spec = Spec {
    name: "pull",
    usage: "NAME[:TAG|@DIGEST]",
    about: "Download an image from a registry",
    flags: &[
        switch(
            None,
            "disable-content-trust",
            "Skip image verification (default true)",
        ),
        opt(
            None,
            "platform",
            "string",
            "Set platform if server is multi-platform capable",
        ),
        switch(Some('q'), "quiet", "Suppress verbose output"),
    ],
    min: 1,
    max: 1,
    stop_at_positional: false,
};

static PUSH: Spec = Spec {
    name: "push",
    usage: "NAME[:TAG]",
    about: "Upload an image to a registry",
    flags: &[
        switch(
            Some('a'),
            "all-tags",
            "Push all tags of an image to the repository",
        ),
        switch(
            None,
            "disable-content-trust",
            "Skip image signing (default true)",
        ),
        opt(
            None,
            "platform",
            "string",
            "Push a platform-specific manifest as a single-platform image to the registry",
        ),
        switch(Some('q'), "quiet", "Suppress verbose output"),
    ],
    min: 1,
    max: 1,
    stop_at_positional: false,
};

static LOGIN: Spec = Spec {
    name: "login",
    usage: "[SERVER]",
    about: "Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.",
    flags: &[
        opt(
            Some('p'),
            "password",
            "string",
            "Password or Personal Access Token (PAT)",
        ),
        switch(
            None,
            "password-stdin",
            "Take the Password or Personal Access Token (PAT) from stdin",
        ),
        opt(Some('u'), "username", "string", "Username"),
    ],
    min: 0,
    max: 1,
    stop_at_positional: false,
};

static LOGOUT: Spec = Spec {
    name: "logout",
    usage: "[SERVER]",
    about:
        "Log out from a registry.\nIf no server is specified, the default is defined by the daemon.",
    flags: &[],
    min: 0,
    max: 1,
    stop_at_positional: false,
};

/// Docker Hub's address in credential stores.
const INDEX_SERVER: &str = "https://index.docker.io/v1/";

/// Whether `reference` names a tag or a digest (a `:` after the last `/`, or an `@`).
fn has_tag_or_digest(reference: &str) -> bool {
    reference.contains('@')
        || reference
            .rsplit('/')
            .next()
            .is_some_and(|l| l.contains(':'))
}

/// The fully qualified reference docker prints after a pull (`docker.io/library/busybox:latest`).
fn qualified(reference: &str) -> String {
    let (first, rest) = reference.split_once('/').unwrap_or(("", reference));
    let domain_given =
        !first.is_empty() && (first.contains('.') || first.contains(':') || first == "localhost");
    let mut full = if domain_given {
        reference.to_owned()
    } else if reference.contains('/') {
        format!("docker.io/{first}/{rest}")
    } else {
        format!("docker.io/library/{reference}")
    };
    if !has_tag_or_digest(&full) {
        full.push_str(":latest");
    }
    full
}

/// Shows a progress stream (or, with `quiet`, only reads it); an error inside the stream
/// is the command's error.
fn follow(progress: Progress, quiet: bool) -> Result<(), Failure> {
    let terminal = !quiet && term::stdout_is_tty();
    let width = term::window_size().map_or(80, |(_, cols)| cols);
    let stdout = std::io::stdout();
    let mut shown = Renderer::new(stdout.lock(), terminal, width);
    for msg in progress {
        let msg = match msg {
            Ok(m) => m,
            Err(docksock::Error::Stream { message, .. }) => return Err(Failure::Msg(message)),
            Err(e) => return Err(e.into()),
        };
        if !quiet {
            out::check(shown.show(&msg))?;
        }
    }
    Ok(())
}

fn pull(client: &Client, a: &Args) -> Result<(), Failure> {
    let image = a.pos[0].as_str();
    let quiet = a.on("quiet");
    if !has_tag_or_digest(image) && !quiet {
        out::line("Using default tag: latest")?;
    }
    let opts = PullOptions {
        platform: a.get("platform").map(str::to_owned),
        ..Default::default()
    };
    follow(client.pull(image, &opts)?, quiet)?;
    out::line(&qualified(image))
}

fn push(client: &Client, a: &Args) -> Result<(), Failure> {
    let given = a.pos[0].as_str();
    let quiet = a.on("quiet");
    let all = a.on("all-tags");
    if all && has_tag_or_digest(given) {
        return Err(Usage(
            "tag can't be used with --all-tags/-a\nSee 'docksock push --help'.".into(),
        )
        .into());
    }
    let mut image = given.to_owned();
    if !all && !has_tag_or_digest(given) {
        if !quiet {
            out::line("Using default tag: latest")?;
        }
        image.push_str(":latest");
    }
    let opts = PushOptions {
        platform: a.get("platform").map(str::to_owned),
        ..Default::default()
    };
    follow(client.push(&image, &opts)?, quiet)?;
    if quiet {
        out::line(&image)?;
    }
    Ok(())
}

/// Reads one line from the terminal (or stdin), without its line end.
fn read_line(prompt: &str, echo: bool) -> Result<String, Failure> {
    let mut err = std::io::stderr();
    let _ = write!(err, "{prompt}");
    let _ = err.flush();
    let hidden = if echo { None } else { term::echo_off() };
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line);
    if let Some(saved) = hidden {
        term::echo_restore(saved);
        let _ = writeln!(err);
    }
    read.map_err(|e| Failure::Msg(format!("reading from the terminal: {e}")))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn login(client: &Client, a: &Args) -> Result<(), Failure> {
    let server = a.pos.first().map_or(INDEX_SERVER, String::as_str);
    let mut username = a.get("username").unwrap_or("").trim().to_owned();
    let mut password = a.get("password").map(str::to_owned);
    if password.is_some() {
        out::err_line("WARNING! Using --password via the CLI is insecure. Use --password-stdin.");
        if a.on("password-stdin") {
            return Err(Failure::Msg(
                "--password and --password-stdin are mutually exclusive".into(),
            ));
        }
    }
    if a.on("password-stdin") {
        if username.is_empty() {
            return Err(Failure::Msg(
                "Must provide --username with --password-stdin".into(),
            ));
        }
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut text)
            .map_err(|e| Failure::Msg(format!("reading the password from stdin: {e}")))?;
        password = Some(text.trim_end_matches(['\r', '\n']).to_owned());
    }
    if username.is_empty() || password.is_none() {
        if !term::stdin_is_tty() {
            return Err(Failure::Msg(
                "Error: Cannot perform an interactive login from a non TTY device".into(),
            ));
        }
        if username.is_empty() {
            username = read_line("Username: ", true)?.trim().to_owned();
            if username.is_empty() {
                return Err(Failure::Msg("Error: Non-null Username Required".into()));
            }
        }
        if password.is_none() {
            password = Some(read_line("Password: ", false)?);
        }
    }
    let password = password.unwrap_or_default();
    if password.is_empty() {
        return Err(Failure::Msg("Error: Password Required".into()));
    }
    let answer = client.login(&RegistryAuth::basic(username, password, server))?;
    // As docker: a warning when the password went into config.json as it is.
    if let Ok(config) = DockerConfig::from_env() {
        if config.helper(server).is_none() {
            if let Some(path) = config.path() {
                out::err_line(&format!(
                    "WARNING! Your credentials are stored unencrypted in '{}'.\n\
                     Configure a credential helper to remove this warning. See\n\
                     https://docs.docker.com/go/credential-store/\n",
                    path.display()
                ));
            }
        }
    }
    let status = answer
        .get("Status")
        .and_then(serde_json::Value::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or("Login Succeeded");
    out::line(status)
}

fn logout(client: &Client, a: &Args) -> Result<(), Failure> {
    let server = a.pos.first().map_or(INDEX_SERVER, String::as_str);
    let shown = if a.pos.is_empty() {
        INDEX_SERVER
    } else {
        docksock::registry_hostname(server)
    };
    out::line(&format!("Removing login credentials for {shown}"))?;
    client.logout(server)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        assert!(!has_tag_or_digest("127.0.0.1:5000/a/b"));
        assert!(has_tag_or_digest("127.0.0.1:5000/a/b:v1"));
        assert!(has_tag_or_digest("b@sha256:00"));
        assert_eq!(qualified("busybox"), "docker.io/library/busybox:latest");
        assert_eq!(qualified("me/app:1"), "docker.io/me/app:1");
        assert_eq!(qualified("127.0.0.1:5000/a/b"), "127.0.0.1:5000/a/b:latest");
        assert_eq!(qualified("localhost/x@sha256:00"), "localhost/x@sha256:00");
    }
}
