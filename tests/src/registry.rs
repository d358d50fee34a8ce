//! The test registry (`scripts/registry`: distribution 2.8 with htpasswd auth, in the engine's
//! network namespace) and what the registry tests need around it: a private `DOCKER_CONFIG`
//! directory, and credential helpers written by the test that log every request.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The registry the daemon reaches, and its one user.
#[derive(Debug, Clone)]
pub struct TestRegistry {
    /// `host:port` as the daemon reaches it (`127.0.0.1:5000` in the engine's namespace).
    pub addr: String,
    /// The user `scripts/registry` wrote into the htpasswd file.
    pub user: String,
    /// Its password.
    pub password: String,
}

/// The registry `scripts/test` started (`DOCKSOCK_REGISTRY`). Otherwise: with `CI` set, panics;
/// else prints a loud banner and returns `None` (the test is skipped).
pub fn registry() -> Option<TestRegistry> {
    let var = |k: &str, default: &str| std::env::var(k).unwrap_or_else(|_| default.to_owned());
    match std::env::var("DOCKSOCK_REGISTRY") {
        Ok(addr) if !addr.is_empty() => Some(TestRegistry {
            addr,
            user: var("DOCKSOCK_REGISTRY_USER", "docksock"),
            password: var("DOCKSOCK_REGISTRY_PASSWORD", "docksock-registry-password"),
        }),
        _ if std::env::var_os("CI").is_some() => {
            panic!("CI is set but DOCKSOCK_REGISTRY is not: scripts/test starts the registry")
        }
        _ => {
            eprintln!(
                "\n\
                 ************************************************************************\n\
                 *** SKIPPED: no test registry (DOCKSOCK_REGISTRY is not set)\n\
                 *** scripts/test starts one: scripts/registry start ENGINE\n\
                 ************************************************************************\n"
            );
            None
        }
    }
}

/// A fresh directory under `target/tmp/` for one test (a `DOCKER_CONFIG`, a helper's log).
pub fn temp_dir(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("target")
        .join("tmp")
        .join(crate::unique_name(test));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    dir
}

/// The directory of the credential helpers tests write, put in front of this process's
/// `PATH` once (helpers are found on `PATH`, as the docker CLI finds them).
fn helper_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = temp_dir("credential-helpers");
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![dir.clone()];
        dirs.extend(std::env::split_paths(&path));
        let joined = std::env::join_paths(dirs).expect("joining PATH");
        // Once per process, before any helper runs.
        std::env::set_var("PATH", joined);
        dir
    })
}

/// A credential helper written by a test: `docker-credential-<name>`, a shell script that
/// appends `<action> <stdin>` to its log for every request, answers `get` for `registry` with
/// `user`/`secret`, says "credentials not found in native keychain" (exit 1) for any other
/// registry, and accepts `store`, `erase` and `list`.
#[derive(Debug)]
pub struct CredentialHelper {
    /// The helper's name (what `credsStore`/`credHelpers` name).
    pub name: String,
    /// Its request log.
    pub log: PathBuf,
}

impl CredentialHelper {
    /// Writes the helper.
    pub fn new(test: &str, registry: &str, user: &str, secret: &str) -> CredentialHelper {
        let name = crate::unique_name(test);
        let dir = helper_dir();
        let log = dir.join(format!("{name}.log"));
        let answer = serde_json::json!({"ServerURL": registry, "Username": user, "Secret": secret});
        let script = format!(
            "#!/bin/sh\n\
             input=$(cat)\n\
             printf '%s %s\\n' \"$1\" \"$input\" >>'{log}'\n\
             case \"$1\" in\n\
             get)\n\
             \x20   if [ \"$input\" = '{registry}' ]; then printf '%s\\n' '{answer}'; exit 0; fi\n\
             \x20   echo 'credentials not found in native keychain'; exit 1 ;;\n\
             store|erase) exit 0 ;;\n\
             list) printf '{{\"%s\": \"%s\"}}\\n' '{registry}' '{user}'; exit 0 ;;\n\
             *) echo \"unknown action $1\" >&2; exit 2 ;;\n\
             esac\n",
            log = log.display(),
        );
        let path = dir.join(format!("docker-credential-{name}"));
        let tmp = dir.join(format!(".{name}.tmp"));
        let mut f = std::fs::File::create(&tmp).expect("writing the helper");
        f.write_all(script.as_bytes()).expect("writing the helper");
        f.set_permissions(std::fs::Permissions::from_mode(0o755))
            .expect("chmod the helper");
        drop(f);
        std::fs::rename(&tmp, &path).expect("installing the helper");
        CredentialHelper { name, log }
    }

    /// The requests so far: `(action, stdin)` each.
    pub fn requests(&self) -> Vec<(String, String)> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| {
                let (a, i) = l.split_once(' ').unwrap_or((l, ""));
                (a.to_owned(), i.to_owned())
            })
            .collect()
    }

    /// How many `action` requests it had.
    pub fn count(&self, action: &str) -> usize {
        self.requests().iter().filter(|(a, _)| a == action).count()
    }
}
