//! Command-line parsing the way docker's flags behave: `-it` (short flags combined), `-n5`,
//! `-p 80:80`, `--name=x`, `--rm=false`, repeated flags (`-e A -e B`), `--` to end the flags,
//! and `--help` (or `-h`) on every command. Commands whose trailing words belong to the
//! container (`run IMAGE CMD…`, `exec C CMD…`) stop at their first positional argument.

use std::fmt::Write as _;

/// A flag a command accepts.
pub(crate) struct Flag {
    /// The one-letter form (`'a'` for `-a`), if any.
    pub(crate) short: Option<char>,
    /// The long name, without dashes; the key the command reads it by.
    pub(crate) long: &'static str,
    /// The value's name for flags that take one (`"string"`), `None` for switches.
    pub(crate) value: Option<&'static str>,
    /// One line of help.
    pub(crate) help: &'static str,
}

/// A switch.
pub(crate) const fn switch(short: Option<char>, long: &'static str, help: &'static str) -> Flag {
    Flag {
        short,
        long,
        value: None,
        help,
    }
}

/// A flag with a value.
pub(crate) const fn opt(
    short: Option<char>,
    long: &'static str,
    value: &'static str,
    help: &'static str,
) -> Flag {
    Flag {
        short,
        long,
        value: Some(value),
        help,
    }
}

/// What a command is and takes.
pub(crate) struct Spec {
    /// The command as typed (`"network ls"`).
    pub(crate) name: &'static str,
    /// The positional part of the usage line (`"CONTAINER [CONTAINER...]"`).
    pub(crate) usage: &'static str,
    /// One line saying what it does.
    pub(crate) about: &'static str,
    /// Its flags.
    pub(crate) flags: &'static [Flag],
    /// Fewest positional arguments.
    pub(crate) min: usize,
    /// Most positional arguments (`usize::MAX`: any number).
    pub(crate) max: usize,
    /// Whether flag parsing stops at the first positional argument.
    pub(crate) stop_at_positional: bool,
}

/// A command line that could not be understood (docker exits 125 for these).
#[derive(Debug)]
pub(crate) struct Usage(pub(crate) String);

/// What the user asked: the help, or flags and arguments.
pub(crate) enum Parse {
    Help(String),
    Args(Args),
}

/// Parsed flags and positional arguments.
#[derive(Debug, Default)]
pub(crate) struct Args {
    flags: Vec<(&'static str, Option<String>)>,
    /// The positional arguments.
    pub(crate) pos: Vec<String>,
}

impl Args {
    /// Whether switch `long` was given (and not as `--long=false`).
    pub(crate) fn on(&self, long: &str) -> bool {
        self.flags
            .iter()
            .rev()
            .find(|(f, _)| *f == long)
            .is_some_and(|(_, v)| v.as_deref() != Some("false"))
    }

    /// The last value of `long`.
    pub(crate) fn get(&self, long: &str) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|(f, _)| *f == long)
            .and_then(|(_, v)| v.as_deref())
    }

    /// Every value of `long`, in order.
    pub(crate) fn all(&self, long: &str) -> Vec<&str> {
        self.flags
            .iter()
            .filter(|(f, _)| *f == long)
            .filter_map(|(_, v)| v.as_deref())
            .collect()
    }

    /// The value of `long` as a number.
    pub(crate) fn num<T: std::str::FromStr>(&self, long: &str) -> Result<Option<T>, Usage> {
        match self.get(long) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                Usage(format!(
                    "invalid argument {v:?} for \"--{long}\" flag: not a number"
                ))
            }),
        }
    }
}

impl Spec {
    /// Parses `argv` (the words after the command's name).
    pub(crate) fn parse(&'static self, argv: &[String]) -> Result<Parse, Usage> {
        let mut args = Args::default();
        let mut i = 0;
        let mut flags_done = false;
        while i < argv.len() {
            let a = &argv[i];
            i += 1;
            if flags_done || a == "-" || !a.starts_with('-') {
                args.pos.push(a.clone());
                if self.stop_at_positional {
                    flags_done = true;
                }
                continue;
            }
            if a == "--" {
                flags_done = true;
                continue;
            }
            if a == "--help" || a == "-h" {
                return Ok(Parse::Help(self.help()));
            }
            if let Some(long) = a.strip_prefix("--") {
                let (name, inline) = match long.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_owned())),
                    None => (long, None),
                };
                let flag = self
                    .flags
                    .iter()
                    .find(|f| f.long == name)
                    .ok_or_else(|| self.usage(format!("unknown flag: --{name}")))?;
                let value = match (flag.value, inline) {
                    (None, v) => v,
                    (Some(_), Some(v)) => Some(v),
                    (Some(_), None) => {
                        let v = argv.get(i).ok_or_else(|| {
                            self.usage(format!("flag needs an argument: --{name}"))
                        })?;
                        i += 1;
                        Some(v.clone())
                    }
                };
                args.flags.push((flag.long, value));
                continue;
            }
            // Short flags, possibly combined: `-it`, `-n5`, `-p80:80`.
            let shorts: Vec<char> = a[1..].chars().collect();
            let mut j = 0;
            while j < shorts.len() {
                let c = shorts[j];
                j += 1;
                if c == 'h' && !self.flags.iter().any(|f| f.short == Some('h')) {
                    return Ok(Parse::Help(self.help()));
                }
                let flag = self
                    .flags
                    .iter()
                    .find(|f| f.short == Some(c))
                    .ok_or_else(|| self.usage(format!("unknown shorthand flag: '{c}' in {a}")))?;
                if flag.value.is_none() {
                    args.flags.push((flag.long, None));
                    continue;
                }
                let rest: String = shorts[j..].iter().collect();
                let value = if !rest.is_empty() {
                    rest.strip_prefix('=').unwrap_or(&rest).to_owned()
                } else {
                    let v = argv.get(i).ok_or_else(|| {
                        self.usage(format!("flag needs an argument: '{c}' in -{c}"))
                    })?;
                    i += 1;
                    v.clone()
                };
                args.flags.push((flag.long, Some(value)));
                break;
            }
        }
        let n = args.pos.len();
        if n < self.min || n > self.max {
            let want = match (self.min, self.max) {
                (0, 0) => "no arguments".to_owned(),
                (a, b) if a == b => {
                    format!("exactly {a} argument{}", if a == 1 { "" } else { "s" })
                }
                (a, usize::MAX) => {
                    format!("at least {a} argument{}", if a == 1 { "" } else { "s" })
                }
                (a, b) => format!("between {a} and {b} arguments"),
            };
            return Err(self.usage(format!("\"docksock {}\" requires {want}.", self.name)));
        }
        Ok(Parse::Args(args))
    }

    fn usage(&self, msg: String) -> Usage {
        Usage(format!(
            "{msg}\nSee 'docksock {} --help'.\n\nUsage:  docksock {} {}",
            self.name,
            self.name,
            self.usage_line()
        ))
    }

    fn usage_line(&self) -> String {
        if self.flags.is_empty() {
            self.usage.to_owned()
        } else {
            format!("[OPTIONS] {}", self.usage)
        }
    }

    /// The `--help` text.
    pub(crate) fn help(&self) -> String {
        let mut out = format!(
            "\nUsage:  docksock {} {}\n\n{}\n",
            self.name,
            self.usage_line(),
            self.about
        );
        if !self.flags.is_empty() {
            out.push_str("\nOptions:\n");
            // Sorted by long name, as docker lists them.
            let mut flags: Vec<&Flag> = self.flags.iter().collect();
            flags.sort_by_key(|f| f.long);
            let lefts: Vec<String> = flags
                .iter()
                .map(|f| {
                    let short = f.short.map_or("    ".to_owned(), |c| format!("-{c}, "));
                    match f.value {
                        Some(v) => format!("  {short}--{} {v}", f.long),
                        None => format!("  {short}--{}", f.long),
                    }
                })
                .collect();
            let w = lefts.iter().map(String::len).max().unwrap_or(0);
            for (left, f) in lefts.iter().zip(flags) {
                let _ = writeln!(out, "{left:w$}   {}", f.help);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static SPEC: Spec = Spec {
        name: "t",
        usage: "X [ARG...]",
        about: "a test",
        flags: &[
            switch(Some('i'), "interactive", "keep stdin open"),
            switch(Some('t'), "tty", "a tty"),
            opt(Some('e'), "env", "list", "set a variable"),
            opt(Some('n'), "last", "int", "last n"),
            switch(None, "rm", "remove"),
        ],
        min: 1,
        max: usize::MAX,
        stop_at_positional: true,
    };

    fn parse(words: &[&str]) -> Result<Args, String> {
        let v: Vec<String> = words.iter().map(|s| s.to_string()).collect();
        match SPEC.parse(&v) {
            Ok(Parse::Args(a)) => Ok(a),
            Ok(Parse::Help(h)) => Err(format!("help: {h}")),
            Err(Usage(u)) => Err(u),
        }
    }

    #[test]
    fn combined_valued_repeated_and_stop() {
        let a = parse(&[
            "-it",
            "-e",
            "A=1",
            "--env=B=2",
            "-n5",
            "--rm",
            "img",
            "sh",
            "-c",
            "x",
        ])
        .unwrap();
        assert!(a.on("interactive") && a.on("tty") && a.on("rm"));
        assert_eq!(a.all("env"), ["A=1", "B=2"]);
        assert_eq!(a.num::<u32>("last").unwrap(), Some(5));
        assert_eq!(a.pos, ["img", "sh", "-c", "x"]);
        let a = parse(&["--rm=false", "x"]).unwrap();
        assert!(!a.on("rm"));
    }

    #[test]
    fn errors_and_help() {
        assert!(parse(&["-z", "x"])
            .unwrap_err()
            .contains("unknown shorthand flag: 'z' in -z"));
        assert!(parse(&["--zz", "x"])
            .unwrap_err()
            .contains("unknown flag: --zz"));
        assert!(parse(&["-e"])
            .unwrap_err()
            .contains("flag needs an argument"));
        assert!(parse(&[])
            .unwrap_err()
            .contains("requires at least 1 argument"));
        let h = parse(&["--help"]).unwrap_err();
        assert!(h.contains("Usage:  docksock t [OPTIONS] X [ARG...]"), "{h}");
        assert!(h.contains("-e, --env list"), "{h}");
        assert!(parse(&["x", "--help"])
            .unwrap()
            .pos
            .contains(&"--help".to_owned()));
    }
}
