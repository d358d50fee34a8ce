//! The `docksock` binary, run as a user runs it: usage and `--help`, a scripted daemon, the real
//! daemon (commands, exit codes, output formats), `run -it`/`exec -it` through a real
//! pseudo-terminal, and parity with the `docker` CLI on the same objects.

mod basics;
mod commands;
mod context;
mod parity;
mod pty;
mod support;
mod transfer;
