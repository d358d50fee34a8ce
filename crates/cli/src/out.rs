//! Writing to standard output and error, and the `--format` machinery shared by list
//! commands: docker's default tables, `table TEMPLATE`, `json`, or any template.

use std::io::Write;

use crate::json::Json;
use crate::template::Template;
use crate::Failure;

/// The outcome of a write: a closed pipe ends the command quietly.
pub(crate) fn check(written: std::io::Result<()>) -> Result<(), Failure> {
    match written {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Failure::OutputClosed),
        Err(e) => Err(docksock::Error::io("writing the output", e).into()),
    }
}

/// Writes `text` to standard output.
pub(crate) fn print(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    check(out.write_all(text.as_bytes()).and_then(|()| out.flush()))
}

/// Writes `text` and a newline to standard output.
pub(crate) fn line(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    check(
        out.write_all(text.as_bytes())
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush()),
    )
}

/// Writes `text` and a newline to standard error.
pub(crate) fn err_line(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// How a list is printed.
pub(crate) enum Format {
    /// Rows through the template, aligned, with a header (the same template run on the
    /// column titles).
    Table(Template),
    /// One JSON object a line.
    Json,
    /// Each row through the template, one a line.
    Plain(Template),
}

/// Parses `--format` (`None`: the command's `default`, a `table …` format). `headers` maps
/// each row field to its column title.
pub(crate) fn format(
    given: Option<&str>,
    default: &str,
    headers: &[(&str, &str)],
) -> Result<Format, Failure> {
    let f = match given {
        None | Some("" | "table") => default,
        Some(f) => f,
    };
    if f == "json" {
        return Ok(Format::Json);
    }
    let parse = |t: &str| {
        Template::parse(&unescape(t))
            .map_err(|e| Failure::Msg(format!("template parsing error: {e}")))
    };
    match f.strip_prefix("table") {
        Some(rest) => {
            let _ = headers;
            Ok(Format::Table(parse(rest.trim_start())?))
        }
        None => Ok(Format::Plain(parse(f)?)),
    }
}

/// `\t` and `\n` typed in a format mean tab and newline, as docker reads them.
fn unescape(s: &str) -> String {
    s.replace("\\t", "\t").replace("\\n", "\n")
}

/// Prints `rows` in `format`; `headers` names the columns of a table.
pub(crate) fn rows(
    format: &Format,
    headers: &[(&str, &str)],
    rows: &[Json],
) -> Result<(), Failure> {
    let exec = |t: &Template, row: &Json| {
        t.execute(row)
            .map_err(|e| Failure::Msg(format!("template: {e}")))
    };
    match format {
        Format::Json => {
            let mut text = String::new();
            for r in rows {
                text.push_str(&r.to_compact());
                text.push('\n');
            }
            print(&text)
        }
        Format::Plain(t) => {
            let mut text = String::new();
            for r in rows {
                text.push_str(&exec(t, r)?);
                text.push('\n');
            }
            print(&text)
        }
        Format::Table(t) => {
            let header_row = Json::Obj(
                headers
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), Json::Str((*v).to_owned())))
                    .collect(),
            );
            let mut text = exec(t, &header_row)?;
            text.push('\n');
            for r in rows {
                text.push_str(&exec(t, r)?);
                text.push('\n');
            }
            print(&crate::fmt::tabwrite(&text))
        }
    }
}
