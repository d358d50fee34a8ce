//! A pull or push progress stream shown as docker shows it (its `jsonmessage` package): on a
//! terminal, one line per layer, each redrawn in place (`ID: Downloading [==>   ] 1.2MB/3.4MB`)
//! by moving the cursor up to it and back; otherwise plain lines, progress updates left out.

use std::io::Write;

use docksock::ProgressMessage;

use crate::fmt::human_size;

/// Renders messages to a writer, keeping the line of each layer on a terminal.
pub(crate) struct Renderer<W: Write> {
    out: W,
    terminal: bool,
    /// Terminal width (the bar is drawn only past 110 columns, as docker's).
    width: u32,
    /// The layers being redrawn, in the order of their lines.
    lines: Vec<String>,
}

impl<W: Write> Renderer<W> {
    /// A renderer writing to `out`; `terminal` turns on the redrawn lines.
    pub(crate) fn new(out: W, terminal: bool, width: u32) -> Renderer<W> {
        Renderer {
            out,
            terminal,
            width,
            lines: Vec::new(),
        }
    }

    /// Shows one message (an `aux` message shows nothing).
    pub(crate) fn show(&mut self, msg: &ProgressMessage) -> std::io::Result<()> {
        if msg.aux.is_some() {
            return Ok(());
        }
        let has_progress = msg.raw.get("progressDetail").is_some() || msg.progress.is_some();
        let mut diff = 0;
        match &msg.id {
            Some(id) if has_progress => {
                let line = match self.lines.iter().position(|l| l == id) {
                    Some(i) => i,
                    None => {
                        self.lines.push(id.clone());
                        if self.terminal {
                            self.out.write_all(b"\n")?;
                        }
                        self.lines.len() - 1
                    }
                };
                diff = self.lines.len() - line;
                if self.terminal {
                    write!(self.out, "\x1b[{diff}A")?;
                }
            }
            // Anything that is not a layer's progress starts a new group of lines.
            _ => self.lines.clear(),
        }
        self.display(msg, has_progress)?;
        if msg.id.is_some() && self.terminal && diff > 0 {
            write!(self.out, "\x1b[{diff}B")?;
        }
        self.out.flush()
    }

    fn display(&mut self, msg: &ProgressMessage, has_progress: bool) -> std::io::Result<()> {
        let bar = bar(msg.current, msg.total, self.width);
        let mut endl = "";
        if self.terminal && has_progress {
            self.out.write_all(b"\x1b[2K\r")?;
            endl = "\r";
        } else if !bar.is_empty() {
            // Progress updates are left out of plain output.
            return Ok(());
        }
        if let Some(id) = &msg.id {
            write!(self.out, "{id}: ")?;
        }
        let status = msg.status.as_deref().unwrap_or("");
        if self.terminal && has_progress {
            write!(self.out, "{status} {bar}{endl}")
        } else if let Some(p) = msg.progress.as_deref().filter(|p| !p.is_empty()) {
            write!(self.out, "{status} {p}{endl}")
        } else {
            writeln!(self.out, "{status}{endl}")
        }
    }
}

/// docker's `JSONProgress.String()`: `[=====>    ] 1.2MB/3.4MB` (the bar only on terminals
/// wider than 110 columns), just the size when the total is unknown, nothing without either.
pub(crate) fn bar(current: Option<u64>, total: Option<u64>, width: u32) -> String {
    let current = current.unwrap_or(0);
    let total = total.unwrap_or(0);
    if current == 0 && total == 0 {
        return String::new();
    }
    let cur = human_size(current as f64);
    if total == 0 {
        return format!("{cur:>8}");
    }
    let percent = ((current as f64 / total as f64 * 100.0) as usize / 2).min(50);
    let mut text = String::new();
    if width > 110 {
        text = format!("[{}>{}] ", "=".repeat(percent), " ".repeat(50 - percent));
    }
    if current > total {
        text.push_str(&format!("{cur:>8}"));
    } else {
        text.push_str(&format!("{cur:>8}/{}", human_size(total as f64)));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(terminal: bool, msgs: &[serde_json::Value]) -> String {
        let mut out = Vec::new();
        let mut r = Renderer::new(&mut out, terminal, 120);
        for m in msgs {
            r.show(&ProgressMessage::from_json(m.clone())).unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    fn stream() -> Vec<serde_json::Value> {
        vec![
            json!({"status": "latest: Pulling from library/x", "id": "latest"}),
            json!({"status": "Pulling fs layer", "progressDetail": {}, "id": "aaa"}),
            json!({"status": "Pulling fs layer", "progressDetail": {}, "id": "bbb"}),
            json!({"status": "Downloading", "progressDetail": {"current": 500, "total": 1000}, "id": "aaa"}),
            json!({"status": "Pull complete", "progressDetail": {}, "id": "aaa"}),
            json!({"status": "Digest: sha256:00"}),
        ]
    }

    #[test]
    fn bars_like_docker() {
        assert_eq!(bar(None, None, 200), "");
        assert_eq!(bar(Some(1500), None, 200), "   1.5kB");
        assert_eq!(bar(Some(1_200_000), Some(3_400_000), 80), "   1.2MB/3.4MB");
        let b = bar(Some(50), Some(100), 120);
        assert_eq!(
            b,
            format!("[{}>{}]      50B/100B", "=".repeat(25), " ".repeat(25))
        );
    }

    #[test]
    fn plain_output_drops_progress_updates() {
        assert_eq!(
            render(false, &stream()),
            "latest: latest: Pulling from library/x\naaa: Pulling fs layer\n\
             bbb: Pulling fs layer\naaa: Pull complete\nDigest: sha256:00\n"
        );
    }

    #[test]
    fn terminal_output_redraws_each_layer_in_place() {
        let text = render(true, &stream());
        // `aaa` is two lines above the cursor when `bbb` exists: up 2, redraw, down 2.
        assert!(
            text.contains("\x1b[2A\x1b[2K\raaa: Downloading [")
                && text.contains("500B/1kB\r\x1b[2B"),
            "{text:?}"
        );
        assert!(
            text.contains("\x1b[2A\x1b[2K\raaa: Pull complete \r\x1b[2B"),
            "{text:?}"
        );
        assert!(text.ends_with("Digest: sha256:00\n"), "{text:?}");
    }
}
