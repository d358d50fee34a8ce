//! The one integration-test binary of the workspace. Tests that need a Docker daemon use
//! `docksock_tests::daemon()`: in CI (`CI` set) a missing daemon fails the test; elsewhere the
//! test is skipped with a loud message.

// Blocking client against the real dockerd: ping, version, info, images.
mod blocking_images;
// Blocking client against the real dockerd: container lifecycle, logs, attach, exec, wait.
mod blocking_containers;
// Blocking client against the real dockerd: events, stats, build, errors, 1 GiB streaming.
mod blocking_streams;
// Blocking client against the real daemon: networks create/inspect/connect/disconnect/remove/prune.
mod blocking_networks;
// Blocking client against the real daemon: volumes, a file shared through two containers' mounts, prune.
mod blocking_volumes;
// Blocking client against the real daemon: archive put/head/get, changes, export, update, rename,
// pause, unpause, TTY resize.
mod blocking_archive;
// Blocking client against the real daemon: commit, history, image prune, save/load, registry calls.
mod blocking_image_ops;
// Blocking client against the real daemon and the test registry: pull, push, login, credential
// helpers, DOCKER_AUTH_CONFIG, X-Registry-Config.
mod blocking_registry;
// Blocking client against the real daemon: ping HEAD, data usage, auth, container prune, plugins.
mod blocking_system;
// Blocking client against the scripted fault server: Swarm, plugin and registry calls' encoding.
mod blocking_calls_wire;
// Blocking client against the scripted fault server: drip, mid-body close, hang, garbage.
mod blocking_faults;
// Blocking client against the scripted fault server: restart and retry, early answers to uploads.
mod blocking_faults_retry;
// Blocking client against the scripted fault server: hijacked streams, negotiation, whole calls.
mod blocking_faults_calls;
// Blocking client against the scripted fault server: timeouts under a signal storm, memory caps.
mod blocking_limits;
// Blocking client against the real dockerd: duplex exec and attach, TTY sessions, resize.
mod blocking_duplex;
// Blocking client against the real daemon: `docker cp`-like copies (feature `archive`): 1 GiB
// in and out in constant memory, a tree with modes, times and links, refusals.
mod blocking_archive_copy;
// mio adapter against the real dockerd: 50 containers' logs, events, wait, in one thread.
mod mio_daemon;
// mio adapter against a socket pair: pipelining, refusals, retry, early answers, cancel.
mod mio_pair;
// mio adapter against the scripted fault server: partial writes, drip, stall, mid-body close.
mod mio_faults;
// Typed models: every recorded dockerd 20.10 JSON response decodes into its model.
mod models_wire;
// Typed models against the real dockerd: typed calls, live responses decoded.
mod models_daemon;
// Blocking client against the scripted fault server: logs, attach and exec framing from the
// response's Content-Type (API 1.42+), the container's or exec's Tty before.
mod blocking_stream_type;
// Blocking client against the real daemon: logs, attach and exec framing of TTY and non-TTY
// containers, declared by the engine from API 1.42.
mod blocking_stream_type_daemon;
// Blocking client against the scripted fault server: events as json-seq, jsonl and x-ndjson.
mod blocking_json_seq;
// Blocking client against the real daemon and the scripted fault server: attach over a
// WebSocket (handshake, frames, close), Podman's missing route set aside.
mod blocking_websocket;
// Blocking client against the real daemon: version negotiation, builder and DOCKER_API_VERSION
// pins.
mod blocking_negotiation;
// Swarm mode against a daemon of its own (`-swarm` engine): init, tokens, unlock key, nodes,
// secrets and configs mounted into a 3-replica service, logs, tasks, scale, rollback, leave.
mod swarm_daemon;
// tcp://, TLS, ssh:// and contexts against the servers of scripts/transports.
mod transports;
