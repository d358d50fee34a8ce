//! Shared helpers of the integration tests (`tests/tests/it`).
//!
//! * [`fault_server`] — a scripted Unix-socket server for faults a daemon won't produce.
//! * [`mio_rig`] — one mio connection in its own poll loop, with an output log.
//! * [`tar`] — a tiny ustar writer and a generated 1 GiB-capable tar stream.
//! * [`registry`] — the test registry beside the engine, private `DOCKER_CONFIG`s and
//!   credential helpers written by the test.
//! * [`daemon`] — a client for the real dockerd, or a loud skip (a failure in CI).
//! * [`swarm_daemon`] — the same for the daemon of the Swarm-mode tests (a daemon of their own).
//! * [`busybox_image`] — the test image, imported through the client's own import call.
//! * [`private_image`] — an image of the test's own, for tests that remove, tag or re-import one.
//! * [`ContainerGuard`], [`unique_name`] — per-test containers that are removed even when the
//!   test fails.
//! * [`Engine`], [`set_aside`] — which engine the suite runs against (Docker Engine 20.10 to
//!   28.5, Podman 4.3), and a loud, counted record of the checks an engine's own bug forces a
//!   test to leave out.

pub mod fault_server;
pub mod mio_rig;
pub mod registry;
pub mod tar;

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use docksock::{Client, RemoveContainerOptions, RemoveImageOptions, WaitOptions};

/// The tag of the busybox test image.
pub const BUSYBOX_IMAGE: &str = "docksock-test/busybox:latest";

/// A client for the real daemon (`DOCKER_HOST`, default `/var/run/docker.sock`) if it answers
/// `/_ping`. Otherwise: with `CI` set, panics; else prints a loud banner and returns `None`
/// (the test then returns early: skipped).
pub fn daemon() -> Option<Client> {
    let result = Client::from_env().and_then(|c| c.ping().map(|_| c));
    match result {
        Ok(client) => Some(client),
        Err(e) if std::env::var_os("CI").is_some() => {
            panic!("CI is set but the Docker daemon does not answer /_ping: {e}")
        }
        Err(e) => {
            eprintln!(
                "\n\
                 ************************************************************************\n\
                 *** SKIPPED: no Docker daemon ({e})\n\
                 *** run scripts/dockerd (or scripts/test) to start one\n\
                 ************************************************************************\n"
            );
            None
        }
    }
}

/// A client for the daemon the Swarm-mode tests may turn into a single-node swarm, and the
/// address it advertises: `DOCKSOCK_SWARM_HOST` (`unix:///path`; `scripts/test` starts the
/// `-swarm` sibling of its engine with `scripts/engine` and sets it) and `DOCKSOCK_SWARM_ADDR`
/// (default `192.0.2.1`, the address `scripts/engine` gives that daemon's namespace). Never
/// the suite's shared daemon: a swarm there would change what every other test sees.
///
/// `DOCKSOCK_NO_SWARM=<reason>` (set by `scripts/test` for an engine without Swarm mode, e.g.
/// Podman) skips loudly, also in CI. Otherwise, when the variable is missing or the daemon does
/// not answer `/_ping`: with `CI` set, panics; else prints a loud banner and returns `None`.
pub fn swarm_daemon() -> Option<(Client, String)> {
    let skip = |why: String| {
        eprintln!(
            "\n\
             ************************************************************************\n\
             *** SKIPPED: no Swarm-mode daemon ({why})\n\
             ************************************************************************\n"
        );
        None
    };
    if let Some(reason) = std::env::var_os("DOCKSOCK_NO_SWARM") {
        return skip(format!("DOCKSOCK_NO_SWARM: {}", reason.to_string_lossy()));
    }
    let ci = std::env::var_os("CI").is_some();
    let Some(host) = std::env::var_os("DOCKSOCK_SWARM_HOST").filter(|h| !h.is_empty()) else {
        let why = "DOCKSOCK_SWARM_HOST is not set; scripts/test sets it to the socket of \
                   `scripts/engine docker-28.5-swarm`";
        if ci {
            panic!("CI is set but {why}");
        }
        return skip(why.to_owned());
    };
    let result = Client::builder()
        .host(&host)
        .map(|b| b.build())
        .and_then(|c| c.ping().map(|_| c));
    let addr = std::env::var("DOCKSOCK_SWARM_ADDR").unwrap_or_else(|_| "192.0.2.1".to_owned());
    match result {
        Ok(client) => Some((client, addr)),
        Err(e) if ci => panic!(
            "CI is set but the Swarm-mode daemon at DOCKSOCK_SWARM_HOST={} does not answer \
             /_ping: {e}",
            host.to_string_lossy()
        ),
        Err(e) => skip(format!("{}: {e}", host.to_string_lossy())),
    }
}

/// The repository's `scripts/` directory.
pub fn scripts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("scripts")
}

/// The busybox rootfs tar: `$DOCKSOCK_BUSYBOX_TAR` if it exists, else built with
/// `scripts/busybox-rootfs` into `target/busybox-rootfs.tar` (atomically, so concurrent test
/// processes are fine).
pub fn busybox_tar() -> PathBuf {
    if let Some(p) = std::env::var_os("DOCKSOCK_BUSYBOX_TAR") {
        let p = PathBuf::from(p);
        if p.is_file() {
            return p;
        }
    }
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("target")
        .join("busybox-rootfs.tar");
    let status = std::process::Command::new(scripts_dir().join("busybox-rootfs"))
        .arg(&out)
        .status()
        .expect("running scripts/busybox-rootfs");
    assert!(status.success(), "scripts/busybox-rootfs failed: {status}");
    out
}

/// The busybox test image ([`BUSYBOX_IMAGE`]), imported from [`busybox_tar`] through
/// `Client::import_image` at most once per process and daemon (not at all if the daemon already
/// has it, so parallel test processes do not pile up copies). Returns the image name.
pub fn busybox_image(client: &Client) -> String {
    // The sockets (daemons) that have it: the Swarm tests use a daemon of their own.
    static DONE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
    let mut done = DONE.lock().unwrap_or_else(|e| e.into_inner());
    if !done.iter().any(|p| p == client.socket_path()) {
        if client.inspect_image(BUSYBOX_IMAGE).is_err() {
            let tar = std::fs::File::open(busybox_tar()).expect("opening the busybox tar");
            let (repo, tag) = BUSYBOX_IMAGE.split_once(':').expect("name:tag");
            let id = client
                .import_image(tar, repo, tag)
                .expect("importing the busybox image");
            assert!(id.starts_with("sha256:"), "import returned {id:?}");
        }
        done.push(client.socket_path().to_owned());
    }
    BUSYBOX_IMAGE.to_owned()
}

/// A copy of the busybox test image that belongs to one test: imported from [`busybox_tar`] as
/// `docksock-test/<test>:<pid>-<nanos>` and removed (forced) when the guard drops. Tests that
/// remove, tag or re-import an image use this, never the shared [`BUSYBOX_IMAGE`]: a second tag
/// on a shared image turns another test's expected 409 (image in use) into 200 `Untagged`.
///
/// Every import creates a new image (the daemon stamps it with the time of the import), so the
/// copy has exactly one name.
pub fn private_image(client: &Client, test: &str) -> ImageGuard {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let repo = format!("docksock-test/{test}");
    let tag = format!("{}-{nanos}", std::process::id());
    let name = format!("{repo}:{tag}");
    let guard = ImageGuard::new(client, name.clone());
    let tar = std::fs::File::open(busybox_tar()).expect("opening the busybox tar");
    let id = client
        .import_image(tar, &repo, &tag)
        .unwrap_or_else(|e| panic!("importing {name}: {e}"));
    assert!(id.starts_with("sha256:"), "import returned {id:?}");
    // The client names the image `repo:tag` even where the engine ignored the tag; Podman 4.3
    // also names it `repo:latest`: drop that name, so that the copy has exactly one.
    if client
        .inspect_image(&format!("{repo}:latest"))
        .is_ok_and(|v| v["Id"] == id.as_str())
    {
        client
            .remove_image(&format!("{repo}:latest"), &RemoveImageOptions::default())
            .unwrap_or_else(|e| panic!("untagging {repo}:latest: {e}"));
    }
    guard
}

/// Waits (up to 30 s) for a container to exit and returns its exit code; panics on failure.
pub fn wait_exit(docker: &Client, id: &str) -> i64 {
    docker
        .wait_container(
            id,
            &WaitOptions {
                timeout: docksock::Timeout::After(std::time::Duration::from_secs(30)),
                ..Default::default()
            },
        )
        .expect("wait for the container to exit")
}

/// A container name unique to this test and process: `docksock-it-<test>-<pid>`.
pub fn unique_name(test: &str) -> String {
    format!("docksock-it-{test}-{}", std::process::id())
}

/// Force-removes its container (and volumes) when dropped, also when the test panics.
#[derive(Debug)]
pub struct ContainerGuard {
    client: Client,
    /// The container id (or name).
    pub id: String,
}

impl ContainerGuard {
    /// Guards the container `id`.
    pub fn new(client: &Client, id: impl Into<String>) -> Self {
        ContainerGuard {
            client: client.clone(),
            id: id.into(),
        }
    }

    /// Creates a container named `name` from `config` (removing a leftover of the same name
    /// first) and guards it.
    pub fn create(client: &Client, name: &str, config: &serde_json::Value) -> Self {
        let _ = client.remove_container(
            name,
            &RemoveContainerOptions {
                force: true,
                volumes: true,
                link: false,
            },
        );
        let created = client
            .create_container(Some(name), config)
            .unwrap_or_else(|e| panic!("creating {name}: {e}"));
        ContainerGuard::new(client, created.id)
    }
}

impl Drop for ContainerGuard {
    fn drop(&mut self) {
        let _ = self.client.remove_container(
            &self.id,
            &RemoveContainerOptions {
                force: true,
                volumes: true,
                link: false,
            },
        );
    }
}

/// Removes its image (forced) when dropped.
#[derive(Debug)]
pub struct ImageGuard {
    client: Client,
    /// The image name or id.
    pub name: String,
}

impl ImageGuard {
    /// Guards the image `name`.
    pub fn new(client: &Client, name: impl Into<String>) -> Self {
        ImageGuard {
            client: client.clone(),
            name: name.into(),
        }
    }
}

impl Drop for ImageGuard {
    fn drop(&mut self) {
        let _ = self.client.remove_image(
            &self.name,
            &RemoveImageOptions {
                force: true,
                noprune: false,
            },
        );
    }
}

/// A field of `/proc/self/status` in KiB (`VmHWM` is the peak resident set size, `VmRSS` the
/// current one).
pub fn proc_status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// Resets `VmHWM` to the current RSS (`echo 5 > /proc/self/clear_refs`). Returns false where
/// the kernel does not allow it.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// How far the resident set size rose above its level at [`PeakRss::start`], measured two
/// ways so that the check never passes blind:
///
/// * `VmHWM` (the kernel's peak), but only when it was brought down to the current RSS at the
///   start — [`reset_peak_rss`] is tried, and its effect is checked, not assumed: a kernel that
///   accepts the write without resetting leaves an older peak above the current RSS, and growth
///   up to that old peak would not show;
/// * always, the highest `VmRSS` a sampling thread reads every millisecond.
///
/// The result is the larger of the valid measurements.
pub struct PeakRss {
    rss_before: u64,
    /// `VmHWM` at the start, when it equalled the RSS (the peak was reset or never higher).
    hwm_before: Option<u64>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    sampler: std::thread::JoinHandle<u64>,
}

/// What [`PeakRss::finish`] measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeakRssGrowth {
    /// The growth of the peak RSS in KiB: the larger of the `VmHWM` and sampled figures.
    pub kib: u64,
    /// The growth `VmHWM` shows, when it could be used.
    pub hwm_kib: Option<u64>,
    /// The growth of the highest sampled `VmRSS`.
    pub sampled_kib: u64,
}

/// Slack between reading `VmHWM` and `VmRSS` (the RSS may move between the two reads).
const HWM_SLACK_KIB: u64 = 1024;

impl PeakRss {
    /// Starts measuring. Panics when `/proc/self/status` has no `VmRSS` (nothing to measure).
    pub fn start() -> Self {
        Self::start_with(reset_peak_rss())
    }

    /// Starts measuring without trusting `VmHWM` unless `use_hwm` (tests of the fallback).
    pub fn start_with(use_hwm: bool) -> Self {
        let rss_before = proc_status_kib("VmRSS").expect("VmRSS in /proc/self/status");
        let hwm = proc_status_kib("VmHWM");
        let hwm_before = hwm.filter(|&h| use_hwm && h <= rss_before + HWM_SLACK_KIB);
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let sampler = std::thread::spawn(move || {
            let mut max = 0;
            loop {
                let done = flag.load(std::sync::atomic::Ordering::Acquire);
                max = max.max(proc_status_kib("VmRSS").expect("VmRSS"));
                if done {
                    return max;
                }
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        });
        PeakRss {
            rss_before,
            hwm_before,
            stop,
            sampler,
        }
    }

    /// Stops measuring and returns the growth.
    pub fn finish(self) -> PeakRssGrowth {
        let hwm_after = proc_status_kib("VmHWM");
        self.stop.store(true, std::sync::atomic::Ordering::Release);
        let max_rss = self.sampler.join().expect("the RSS sampler");
        let hwm_kib = self
            .hwm_before
            .zip(hwm_after)
            .map(|(before, after)| after.saturating_sub(before));
        let sampled_kib = max_rss.saturating_sub(self.rss_before);
        PeakRssGrowth {
            kib: hwm_kib.unwrap_or(0).max(sampled_kib),
            hwm_kib,
            sampled_kib,
        }
    }
}

/// The engine that answers on the daemon socket, told by `GET /version`: Podman's Docker-compatible
/// service lists a component named `Podman Engine`; anything else is taken for Docker Engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Engine {
    /// Docker Engine (dockerd), with its version (`28.5.2+dfsg4`).
    Docker(String),
    /// Podman's Docker-compatible service, with its version (`4.3.1`).
    Podman(String),
}

impl Engine {
    /// The engine behind `client` (asked once per process).
    pub fn of(client: &Client) -> Engine {
        static ENGINE: OnceLock<Engine> = OnceLock::new();
        ENGINE
            .get_or_init(|| {
                let version = client.version().expect("GET /version");
                Engine::from_version(&version)
            })
            .clone()
    }

    /// The engine described by a `GET /version` answer.
    pub fn from_version(version: &serde_json::Value) -> Engine {
        let components = version["Components"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        match components.iter().find(|c| c["Name"] == "Podman Engine") {
            Some(podman) => Engine::Podman(podman["Version"].as_str().unwrap_or("").to_owned()),
            None => Engine::Docker(version["Version"].as_str().unwrap_or("").to_owned()),
        }
    }

    /// True for Podman.
    pub fn is_podman(&self) -> bool {
        matches!(self, Engine::Podman(_))
    }

    /// True for a Podman release older than `major.minor`.
    pub fn is_podman_before(&self, major: u64, minor: u64) -> bool {
        match self {
            Engine::Podman(v) => {
                let mut parts = v
                    .split(|c: char| !c.is_ascii_digit())
                    .map(|p| p.parse().unwrap_or(0));
                let have = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
                have < (major, minor)
            }
            Engine::Docker(_) => false,
        }
    }
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Engine::Docker(v) => write!(f, "Docker {v}"),
            Engine::Podman(v) => write!(f, "Podman {v}"),
        }
    }
}

/// Records that `test` leaves out a check on `engine` because of a bug of that engine which no
/// client can hide (`reason` names it). Prints a loud `SET ASIDE on <engine>: <reason>` line and,
/// when `DOCKSOCK_SET_ASIDE_LOG` names a file, appends `<engine>\t<test>\t<reason>` to it (the
/// test scripts count and print these after the run). The rest of the test still runs.
pub fn set_aside(engine: &Engine, test: &str, reason: &str) {
    eprintln!(
        "\n\
         ************************************************************************\n\
         *** SET ASIDE on {engine}: {reason} ({test})\n\
         ************************************************************************\n"
    );
    if let Some(path) = std::env::var_os("DOCKSOCK_SET_ASIDE_LOG") {
        let line = format!("{engine}\t{test}\t{reason}\n");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path);
        // One write of a short line to an O_APPEND file: concurrent test processes do not
        // interleave.
        if let Err(e) = file.and_then(|mut f| f.write_all(line.as_bytes())) {
            panic!("recording the set-aside in {path:?}: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Touches `mib` MiB, holds them for a while, frees them.
    fn grow(mib: usize) {
        let mut v = vec![0u8; mib << 20];
        for i in (0..v.len()).step_by(4096) {
            v[i] = 1;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        std::hint::black_box(&v);
    }

    /// The two tests measure the same process: one at a time.
    static SERIAL: Mutex<()> = Mutex::new(());

    #[test]
    fn peak_rss_sees_a_transient_allocation_both_ways() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        for use_hwm in [true, false] {
            let peak = PeakRss::start_with(use_hwm);
            grow(64);
            let g = peak.finish();
            assert!(g.sampled_kib >= 60 * 1024, "{use_hwm}: {g:?}");
            assert!(g.kib >= 60 * 1024, "{use_hwm}: {g:?}");
            if !use_hwm {
                assert_eq!(g.hwm_kib, None);
            }
        }
    }

    #[test]
    fn an_old_peak_above_the_rss_is_not_trusted() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        // Raise the peak and free the memory, then measure without a reset.
        grow(64);
        let (hwm, rss) = (
            proc_status_kib("VmHWM").unwrap(),
            proc_status_kib("VmRSS").unwrap(),
        );
        assert!(hwm > rss + HWM_SLACK_KIB, "peak {hwm} KiB, RSS {rss} KiB");
        let g = PeakRss::start_with(true).finish();
        assert_eq!(g.hwm_kib, None, "{g:?}");
    }
}

/// The README's examples, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
