//! The part of Go's `text/template` that `docker … --format` and `inspect -f` users write:
//! `{{.A.B}}`, `{{json .Config}}`, `{{range .Mounts}}…{{end}}`, `{{range $k, $v := .X}}`,
//! `{{if}}…{{else}}…{{end}}`, `{{with}}`, pipes (`{{.Name | upper}}`), variables, `{{- -}}`
//! trimming, and the functions docker adds (`json`, `join`, `split`, `upper`, `lower`,
//! `title`, `truncate`, `pad`, `println`) beside Go's (`index`, `len`, `eq`, `ne`, `lt`,
//! `le`, `gt`, `ge`, `not`, `and`, `or`, `print`, `printf`).
//!
//! Values are JSON: a missing field prints `<no value>`, `null` prints `<nil>`, an array
//! `[a b]`, an object `map[k:v]` (keys sorted), as Go prints decoded JSON.

use crate::json::Json;

/// A parsed template.
#[derive(Debug)]
pub(crate) struct Template {
    nodes: Vec<Node>,
    /// Whether the source names a variable (`$`…): only then is the data kept as `$` too.
    has_vars: bool,
}

#[derive(Debug)]
enum Node {
    Text(String),
    Action(Pipe),
    If(Pipe, Vec<Node>, Vec<Node>),
    With(Pipe, Vec<Node>, Vec<Node>),
    Range(Pipe, Vec<Node>, Vec<Node>),
}

#[derive(Debug, Default)]
struct Pipe {
    decl: Vec<String>,
    cmds: Vec<Vec<Arg>>,
}

#[derive(Debug)]
enum Arg {
    Field(Vec<String>),
    Var(String, Vec<String>),
    Lit(Json),
    Ident(String),
    Sub(Pipe, Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Field(Vec<String>),
    Var(String, Vec<String>),
    Str(String),
    Num(String),
    Ident(String),
    LParen,
    RParen(Vec<String>),
    Pipe,
    Comma,
    Declare,
}

/// A value while executing: `None` is Go's "no value" (a missing map key).
type Val = Option<Json>;

/// Most nested ranges and calls a template may hold.
const MAX_DEPTH: usize = 100;

impl Template {
    /// Parses `src`; the error says what and where.
    pub(crate) fn parse(src: &str) -> Result<Template, String> {
        let pieces = split(src)?;
        let mut it = pieces.into_iter().peekable();
        let (nodes, end) = parse_nodes(&mut it, 0)?;
        if let Some(end) = end {
            return Err(format!("unexpected {{{{{end}}}}}"));
        }
        Ok(Template {
            nodes,
            has_vars: src.contains('$'),
        })
    }

    /// Runs the template with `data` as dot.
    pub(crate) fn execute(&self, data: &Json) -> Result<String, String> {
        let mut out = String::new();
        let dot = Some(data.clone());
        let mut vars = if self.has_vars {
            vec![("$".to_owned(), dot.clone())]
        } else {
            Vec::new()
        };
        exec_nodes(&self.nodes, &dot, &mut vars, &mut out, 0)?;
        Ok(out)
    }
}

enum Piece {
    Text(String),
    Action(String),
}

/// Splits the source into text and actions, applying `{{-` and `-}}` trimming.
fn split(src: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut rest = src;
    let mut trim_next = false;
    while let Some(open) = rest.find("{{") {
        let mut text = &rest[..open];
        if trim_next {
            text = text.trim_start();
        }
        let after = &rest[open + 2..];
        let (after, trim_left) = match after.strip_prefix("- ") {
            Some(a) => (a, true),
            None => (after, false),
        };
        if trim_left {
            text = text.trim_end();
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text.to_owned()));
        }
        let close = find_close(after).ok_or("unclosed action: no }}")?;
        let mut inner = &after[..close];
        trim_next = false;
        if let Some(i) = inner.strip_suffix(" -") {
            inner = i;
            trim_next = true;
        }
        let inner = inner.trim();
        if !(inner.starts_with("/*") && inner.ends_with("*/")) {
            pieces.push(Piece::Action(inner.to_owned()));
        }
        rest = &after[close + 2..];
    }
    let text = if trim_next { rest.trim_start() } else { rest };
    if !text.is_empty() {
        pieces.push(Piece::Text(text.to_owned()));
    }
    Ok(pieces)
}

/// The position of the `}}` closing an action, skipping quoted strings.
fn find_close(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'`' => {
                i += 1;
                while i < b.len() && b[i] != b'`' {
                    i += 1;
                }
            }
            b'}' if b.get(i + 1) == Some(&b'}') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

type Pieces = std::iter::Peekable<std::vec::IntoIter<Piece>>;

/// Parses nodes up to an `{{end}}` or `{{else…}}`, which it returns.
fn parse_nodes(it: &mut Pieces, depth: usize) -> Result<(Vec<Node>, Option<String>), String> {
    if depth > MAX_DEPTH {
        return Err("template nested too deep".into());
    }
    let mut nodes = Vec::new();
    while let Some(piece) = it.next() {
        let action = match piece {
            Piece::Text(t) => {
                nodes.push(Node::Text(t));
                continue;
            }
            Piece::Action(a) => a,
        };
        let word = action.split_whitespace().next().unwrap_or("");
        match word {
            "end" => return Ok((nodes, Some("end".into()))),
            "else" => return Ok((nodes, Some(action))),
            "if" | "with" | "range" => {
                let pipe = parse_pipe(&action[word.len()..])?;
                let (body, end) = parse_nodes(it, depth + 1)?;
                let mut else_body = Vec::new();
                match end.as_deref() {
                    Some("end") => {}
                    Some(e) if e.starts_with("else") => {
                        let rest = e["else".len()..].trim();
                        if rest.is_empty() {
                            let (b, end2) = parse_nodes(it, depth + 1)?;
                            if end2.as_deref() != Some("end") {
                                return Err(format!("{{{{{word}}}}} without {{{{end}}}}"));
                            }
                            else_body = b;
                        } else if let Some(cond) = rest.strip_prefix("if ") {
                            // `else if X` is an if nested in the else branch, sharing the end.
                            let pipe2 = parse_pipe(cond)?;
                            let (b, end2) = parse_nodes(it, depth + 1)?;
                            let mut else2 = Vec::new();
                            match end2.as_deref() {
                                Some("end") => {}
                                Some("else") => {
                                    let (b3, end3) = parse_nodes(it, depth + 1)?;
                                    if end3.as_deref() != Some("end") {
                                        return Err("else if without {{end}}".into());
                                    }
                                    else2 = b3;
                                }
                                _ => return Err("else if without {{end}}".into()),
                            }
                            else_body = vec![Node::If(pipe2, b, else2)];
                        } else {
                            return Err(format!("unexpected {{{{{e}}}}}"));
                        }
                    }
                    _ => return Err(format!("{{{{{word}}}}} without {{{{end}}}}")),
                }
                nodes.push(match word {
                    "if" => Node::If(pipe, body, else_body),
                    "with" => Node::With(pipe, body, else_body),
                    _ => Node::Range(pipe, body, else_body),
                });
            }
            _ => nodes.push(Node::Action(parse_pipe(&action)?)),
        }
    }
    Ok((nodes, None))
}

fn field_chain(s: &str) -> Vec<String> {
    s.split('.')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let mut toks = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let word_end = |mut j: usize| {
        while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_' || chars[j] == '.')
        {
            j += 1;
        }
        j
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '|' => {
                toks.push(Tok::Pipe);
                i += 1;
            }
            ',' => {
                toks.push(Tok::Comma);
                i += 1;
            }
            '(' => {
                toks.push(Tok::LParen);
                i += 1;
            }
            ')' => {
                let j = word_end(i + 1);
                let chain: String = chars[i + 1..j].iter().collect();
                toks.push(Tok::RParen(field_chain(&chain)));
                i = j;
            }
            ':' if chars.get(i + 1) == Some(&'=') => {
                toks.push(Tok::Declare);
                i += 2;
            }
            '=' => {
                toks.push(Tok::Declare);
                i += 1;
            }
            '.' => {
                let j = word_end(i + 1);
                let chain: String = chars[i..j].iter().collect();
                toks.push(Tok::Field(field_chain(&chain)));
                i = j;
            }
            '$' => {
                let mut j = i + 1;
                while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                    j += 1;
                }
                let name: String = chars[i..j].iter().collect();
                let k = word_end(j);
                let chain: String = chars[j..k].iter().collect();
                toks.push(Tok::Var(name, field_chain(&chain)));
                i = k;
            }
            '"' => {
                let mut out = String::new();
                i += 1;
                loop {
                    let Some(&c) = chars.get(i) else {
                        return Err("unterminated string in template".into());
                    };
                    i += 1;
                    match c {
                        '"' => break,
                        '\\' => {
                            let e = chars.get(i).copied().unwrap_or('\\');
                            i += 1;
                            out.push(match e {
                                'n' => '\n',
                                't' => '\t',
                                'r' => '\r',
                                other => other,
                            });
                        }
                        c => out.push(c),
                    }
                }
                toks.push(Tok::Str(out));
            }
            '`' => {
                let start = i + 1;
                let end = chars[start..]
                    .iter()
                    .position(|&c| c == '`')
                    .ok_or("unterminated raw string in template")?;
                toks.push(Tok::Str(chars[start..start + end].iter().collect()));
                i = start + end + 1;
            }
            c if c.is_ascii_digit() || c == '-' || c == '+' => {
                let mut j = i + 1;
                while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '.') {
                    j += 1;
                }
                toks.push(Tok::Num(chars[i..j].iter().collect()));
                i = j;
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut j = i + 1;
                while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                    j += 1;
                }
                toks.push(Tok::Ident(chars[i..j].iter().collect()));
                i = j;
            }
            other => return Err(format!("unexpected {other:?} in template action")),
        }
    }
    Ok(toks)
}

fn parse_pipe(s: &str) -> Result<Pipe, String> {
    let toks = lex(s)?;
    let mut pos = 0;
    let pipe = pipe_from(&toks, &mut pos)?;
    if pos != toks.len() {
        return Err(format!("unexpected {:?} in {s:?}", toks[pos]));
    }
    Ok(pipe)
}

fn pipe_from(toks: &[Tok], pos: &mut usize) -> Result<Pipe, String> {
    let mut pipe = Pipe::default();
    // Declarations: `$x :=` or `$k, $v :=`.
    let decl_end = toks[*pos..].iter().position(|t| *t == Tok::Declare);
    if let Some(d) = decl_end {
        let head = &toks[*pos..*pos + d];
        if head
            .iter()
            .all(|t| matches!(t, Tok::Var(_, c) if c.is_empty()) || *t == Tok::Comma)
        {
            for t in head {
                if let Tok::Var(name, _) = t {
                    pipe.decl.push(name.clone());
                }
            }
            *pos += d + 1;
        }
    }
    let mut cmd = Vec::new();
    while let Some(tok) = toks.get(*pos) {
        *pos += 1;
        match tok {
            Tok::Pipe => {
                if cmd.is_empty() {
                    return Err("empty command in pipeline".into());
                }
                pipe.cmds.push(std::mem::take(&mut cmd));
            }
            Tok::RParen(_) => {
                *pos -= 1;
                break;
            }
            Tok::LParen => {
                let inner = pipe_from(toks, pos)?;
                match toks.get(*pos) {
                    Some(Tok::RParen(chain)) => {
                        *pos += 1;
                        cmd.push(Arg::Sub(inner, chain.clone()));
                    }
                    _ => return Err("unclosed ( in template".into()),
                }
            }
            Tok::Field(c) => cmd.push(Arg::Field(c.clone())),
            Tok::Var(n, c) => cmd.push(Arg::Var(n.clone(), c.clone())),
            Tok::Str(s) => cmd.push(Arg::Lit(Json::Str(s.clone()))),
            Tok::Num(n) => cmd.push(Arg::Lit(Json::Num(n.clone()))),
            Tok::Ident(i) => cmd.push(match i.as_str() {
                "true" => Arg::Lit(Json::Bool(true)),
                "false" => Arg::Lit(Json::Bool(false)),
                "nil" => Arg::Lit(Json::Null),
                _ => Arg::Ident(i.clone()),
            }),
            Tok::Comma | Tok::Declare => return Err("unexpected , or := in template".into()),
        }
    }
    if !cmd.is_empty() {
        pipe.cmds.push(cmd);
    }
    if pipe.cmds.is_empty() {
        return Err("missing value in template action".into());
    }
    Ok(pipe)
}

type Vars = Vec<(String, Val)>;

fn exec_nodes(
    nodes: &[Node],
    dot: &Val,
    vars: &mut Vars,
    out: &mut String,
    depth: usize,
) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err("template recursion too deep".into());
    }
    for node in nodes {
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Action(p) => {
                let v = eval_pipe(p, dot, vars, depth)?;
                if p.decl.is_empty() {
                    print_val(out, &v);
                }
            }
            Node::If(p, body, else_body) => {
                let mark = vars.len();
                let v = eval_pipe(p, dot, vars, depth)?;
                let branch = if truthy(&v) { body } else { else_body };
                exec_nodes(branch, dot, vars, out, depth + 1)?;
                vars.truncate(mark);
            }
            Node::With(p, body, else_body) => {
                let mark = vars.len();
                let v = eval_pipe(p, dot, vars, depth)?;
                if truthy(&v) {
                    exec_nodes(body, &v, vars, out, depth + 1)?;
                } else {
                    exec_nodes(else_body, dot, vars, out, depth + 1)?;
                }
                vars.truncate(mark);
            }
            Node::Range(p, body, else_body) => {
                let decl = &p.decl;
                let plain = Pipe {
                    decl: Vec::new(),
                    cmds: Vec::new(),
                };
                let _ = plain;
                let v = eval_cmds(&p.cmds, dot, vars, depth)?;
                let items: Vec<(Json, Json)> = match &v {
                    Some(Json::Arr(a)) => a
                        .iter()
                        .enumerate()
                        .map(|(i, x)| (Json::Num(i.to_string()), x.clone()))
                        .collect(),
                    Some(Json::Obj(o)) => {
                        let mut o = o.clone();
                        o.sort_by(|a, b| a.0.cmp(&b.0));
                        o.into_iter().map(|(k, x)| (Json::Str(k), x)).collect()
                    }
                    Some(Json::Num(n)) => {
                        let n: i64 = n.parse().unwrap_or(0);
                        (0..n.max(0))
                            .map(|i| (Json::Num(i.to_string()), Json::Num(i.to_string())))
                            .collect()
                    }
                    None | Some(Json::Null) => Vec::new(),
                    Some(other) => {
                        return Err(format!(
                            "range can't iterate over {}",
                            render(&Some(other.clone()))
                        ))
                    }
                };
                if items.is_empty() {
                    exec_nodes(else_body, dot, vars, out, depth + 1)?;
                }
                for (k, x) in items {
                    let mark = vars.len();
                    match decl.as_slice() {
                        [] => {}
                        [v] => vars.push((v.clone(), Some(x.clone()))),
                        [kn, vn, ..] => {
                            vars.push((kn.clone(), Some(k)));
                            vars.push((vn.clone(), Some(x.clone())));
                        }
                    }
                    exec_nodes(body, &Some(x), vars, out, depth + 1)?;
                    vars.truncate(mark);
                }
            }
        }
    }
    Ok(())
}

fn eval_pipe(p: &Pipe, dot: &Val, vars: &mut Vars, depth: usize) -> Result<Val, String> {
    let v = eval_cmds(&p.cmds, dot, vars, depth)?;
    if let Some(name) = p.decl.first() {
        vars.push((name.clone(), v.clone()));
    }
    Ok(v)
}

fn eval_cmds(cmds: &[Vec<Arg>], dot: &Val, vars: &Vars, depth: usize) -> Result<Val, String> {
    let mut piped: Option<Val> = None;
    for cmd in cmds {
        piped = Some(eval_cmd(cmd, dot, vars, piped, depth)?);
    }
    Ok(piped.unwrap_or(None))
}

/// [`walk`] by reference: only the value reached is cloned (a field of a row, not the row).
fn walk_ref(v: Option<&Json>, chain: &[String]) -> Result<Val, String> {
    let mut v = v;
    for key in chain {
        v = match v {
            Some(Json::Obj(fields)) => fields.iter().find(|(k, _)| k == key).map(|(_, x)| x),
            None | Some(Json::Null) => None,
            Some(other) => {
                return Err(format!(
                    "can't evaluate field {key} in type {}",
                    type_name(other)
                ))
            }
        };
    }
    Ok(v.cloned())
}

fn walk(mut v: Val, chain: &[String]) -> Result<Val, String> {
    for key in chain {
        v = match v {
            Some(Json::Obj(fields)) => fields.into_iter().find(|(k, _)| k == key).map(|(_, x)| x),
            None | Some(Json::Null) => None,
            Some(other) => {
                return Err(format!(
                    "can't evaluate field {key} in type {}",
                    type_name(&other)
                ))
            }
        };
    }
    Ok(v)
}

fn type_name(v: &Json) -> &'static str {
    match v {
        Json::Null => "nil",
        Json::Bool(_) => "bool",
        Json::Num(_) => "number",
        Json::Str(_) => "string",
        Json::Arr(_) => "[]interface {}",
        Json::Obj(_) => "map[string]interface {}",
    }
}

fn eval_arg(arg: &Arg, dot: &Val, vars: &Vars, depth: usize) -> Result<Val, String> {
    match arg {
        Arg::Field(chain) => walk_ref(dot.as_ref(), chain),
        Arg::Var(name, chain) => {
            let v = vars
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_ref())
                .ok_or_else(|| format!("undefined variable: {name}"))?;
            walk_ref(v, chain)
        }
        Arg::Lit(j) => Ok(Some(j.clone())),
        Arg::Sub(p, chain) => {
            if depth > MAX_DEPTH {
                return Err("template recursion too deep".into());
            }
            let v = eval_cmds(&p.cmds, dot, vars, depth + 1)?;
            walk(v, chain)
        }
        Arg::Ident(name) => call(name, Vec::new()),
    }
}

fn eval_cmd(
    cmd: &[Arg],
    dot: &Val,
    vars: &Vars,
    piped: Option<Val>,
    depth: usize,
) -> Result<Val, String> {
    let Some(first) = cmd.first() else {
        return Err("empty command".into());
    };
    if let Arg::Ident(name) = first {
        let mut args = Vec::new();
        for a in &cmd[1..] {
            args.push(eval_arg(a, dot, vars, depth)?);
        }
        if let Some(p) = piped {
            args.push(p);
        }
        return call(name, args);
    }
    if cmd.len() > 1 || piped.is_some() {
        return Err("can't give arguments to a non-function".into());
    }
    eval_arg(first, dot, vars, depth)
}

fn truthy(v: &Val) -> bool {
    v.as_ref().is_some_and(Json::truthy)
}

fn s(v: &Val) -> String {
    render(v)
}

fn num(v: &Val) -> Option<f64> {
    match v {
        Some(Json::Num(n)) => n.parse().ok(),
        _ => None,
    }
}

fn compare(a: &Val, b: &Val) -> Option<std::cmp::Ordering> {
    match (num(a), num(b)) {
        (Some(x), Some(y)) => x.partial_cmp(&y),
        _ => Some(s(a).cmp(&s(b))),
    }
}

fn str_val(s: String) -> Val {
    Some(Json::Str(s))
}

fn arity(name: &str, args: &[Val], n: usize) -> Result<(), String> {
    if args.len() == n {
        Ok(())
    } else {
        Err(format!(
            "wrong number of args for {name}: want {n} got {}",
            args.len()
        ))
    }
}

fn call(name: &str, args: Vec<Val>) -> Result<Val, String> {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let cmp = |want: &[std::cmp::Ordering]| -> Result<Val, String> {
        arity(name, &args, 2)?;
        let o = compare(&args[0], &args[1]);
        Ok(Some(Json::Bool(o.is_some_and(|o| want.contains(&o)))))
    };
    match name {
        "json" => {
            arity(name, &args, 1)?;
            Ok(str_val(match &args[0] {
                Some(j) => j.to_compact(),
                None => "null".into(),
            }))
        }
        "upper" => {
            arity(name, &args, 1)?;
            Ok(str_val(s(&args[0]).to_uppercase()))
        }
        "lower" => {
            arity(name, &args, 1)?;
            Ok(str_val(s(&args[0]).to_lowercase()))
        }
        "title" => {
            arity(name, &args, 1)?;
            let mut out = String::new();
            let mut start = true;
            for c in s(&args[0]).chars() {
                if start && c.is_alphabetic() {
                    out.extend(c.to_uppercase());
                } else {
                    out.push(c);
                }
                start = !c.is_alphanumeric();
            }
            Ok(str_val(out))
        }
        "join" => {
            arity(name, &args, 2)?;
            let sep = s(&args[1]);
            let parts: Vec<String> = match &args[0] {
                Some(Json::Arr(a)) => a.iter().map(|x| render(&Some(x.clone()))).collect(),
                other => vec![s(other)],
            };
            Ok(str_val(parts.join(&sep)))
        }
        "split" => {
            arity(name, &args, 2)?;
            let parts = s(&args[0])
                .split(&s(&args[1]))
                .map(|p| Json::Str(p.to_owned()))
                .collect();
            Ok(Some(Json::Arr(parts)))
        }
        "truncate" => {
            arity(name, &args, 2)?;
            let n = num(&args[1]).unwrap_or(0.0) as usize;
            Ok(str_val(s(&args[0]).chars().take(n).collect()))
        }
        "pad" => {
            arity(name, &args, 3)?;
            let l = num(&args[1]).unwrap_or(0.0) as usize;
            let r = num(&args[2]).unwrap_or(0.0) as usize;
            Ok(str_val(format!(
                "{}{}{}",
                " ".repeat(l),
                s(&args[0]),
                " ".repeat(r)
            )))
        }
        "len" => {
            arity(name, &args, 1)?;
            let n = match &args[0] {
                Some(Json::Arr(a)) => a.len(),
                Some(Json::Obj(o)) => o.len(),
                Some(Json::Str(t)) => t.len(),
                other => return Err(format!("len of {}", s(other))),
            };
            Ok(Some(Json::Num(n.to_string())))
        }
        "index" => {
            let Some((base, keys)) = args.split_first() else {
                return Err("index needs arguments".into());
            };
            let mut v = base.clone();
            for k in keys {
                v = match (v, k) {
                    (Some(Json::Obj(o)), key) => {
                        let key = s(key);
                        o.into_iter().find(|(k, _)| *k == key).map(|(_, x)| x)
                    }
                    (Some(Json::Arr(a)), key) => {
                        let i = num(key).ok_or("index of a list needs a number")? as usize;
                        Some(
                            a.get(i)
                                .cloned()
                                .ok_or_else(|| format!("index out of range: {i}"))?,
                        )
                    }
                    (None | Some(Json::Null), _) => None,
                    (Some(other), _) => {
                        return Err(format!("can't index item of type {}", type_name(&other)))
                    }
                };
            }
            Ok(v)
        }
        "eq" => {
            if args.len() < 2 {
                return Err("eq needs two arguments".into());
            }
            let first = &args[0];
            Ok(Some(Json::Bool(
                args[1..].iter().any(|b| compare(first, b) == Some(Equal)),
            )))
        }
        "ne" => cmp(&[Less, Greater]),
        "lt" => cmp(&[Less]),
        "le" => cmp(&[Less, Equal]),
        "gt" => cmp(&[Greater]),
        "ge" => cmp(&[Greater, Equal]),
        "not" => {
            arity(name, &args, 1)?;
            Ok(Some(Json::Bool(!truthy(&args[0]))))
        }
        "and" => Ok(args
            .iter()
            .find(|a| !truthy(a))
            .or(args.last())
            .cloned()
            .unwrap_or(None)),
        "or" => Ok(args
            .iter()
            .find(|a| truthy(a))
            .or(args.last())
            .cloned()
            .unwrap_or(None)),
        "print" | "println" => {
            let mut out = String::new();
            for (i, a) in args.iter().enumerate() {
                let is_str = matches!(a, Some(Json::Str(_)));
                let prev_str = i > 0 && matches!(args[i - 1], Some(Json::Str(_)));
                if i > 0 && (name == "println" || (!is_str && !prev_str)) {
                    out.push(' ');
                }
                out.push_str(&s(a));
            }
            if name == "println" {
                out.push('\n');
            }
            Ok(str_val(out))
        }
        "printf" => {
            let Some((f, rest)) = args.split_first() else {
                return Err("printf needs a format".into());
            };
            Ok(str_val(printf(&s(f), rest)))
        }
        other => Err(format!("function {other:?} not defined")),
    }
}

/// `printf` with the verbs people use: `%s %v %d %q %%` and widths (`%-10s`).
fn printf(f: &str, args: &[Val]) -> String {
    let mut out = String::new();
    let mut it = args.iter();
    let mut chars = f.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = String::new();
        while let Some(&d) = chars.peek() {
            if d.is_ascii_digit() || d == '-' || d == '.' {
                spec.push(d);
                chars.next();
            } else {
                break;
            }
        }
        let Some(verb) = chars.next() else {
            out.push('%');
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let v = it.next().cloned().unwrap_or(None);
        let text = match verb {
            'q' => crate::fmt::go_quote(&s(&v)),
            _ => s(&v),
        };
        let left = spec.starts_with('-');
        let width: usize = spec
            .trim_start_matches('-')
            .split('.')
            .next()
            .and_then(|w| w.parse().ok())
            .unwrap_or(0);
        let pad = width.saturating_sub(text.chars().count());
        if left {
            out.push_str(&text);
            out.push_str(&" ".repeat(pad));
        } else {
            out.push_str(&" ".repeat(pad));
            out.push_str(&text);
        }
    }
    out
}

/// How Go prints a value decoded from JSON.
pub(crate) fn render(v: &Val) -> String {
    let mut out = String::new();
    print_val(&mut out, v);
    out
}

fn print_val(out: &mut String, v: &Val) {
    match v {
        None => out.push_str("<no value>"),
        Some(j) => print_json(out, j),
    }
}

fn print_json(out: &mut String, j: &Json) {
    match j {
        Json::Null => out.push_str("<nil>"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Num(n) => out.push_str(n),
        Json::Str(s) => out.push_str(s),
        Json::Arr(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                print_json(out, x);
            }
            out.push(']');
        }
        Json::Obj(o) => {
            let mut sorted: Vec<&(String, Json)> = o.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            out.push_str("map[");
            for (i, (k, x)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                print_json(out, x);
            }
            out.push(']');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(t: &str, data: &str) -> String {
        let data = Json::parse(data.as_bytes()).unwrap();
        Template::parse(t)
            .unwrap_or_else(|e| panic!("{t}: {e}"))
            .execute(&data)
            .unwrap_or_else(|e| panic!("{t}: {e}"))
    }

    const DOC: &str = r#"{"State":{"Status":"running","Pid":42,"Running":true},
        "Config":{"Env":["A=1","B=2"],"Labels":{"z":"1","a":"<2>"}},
        "Mounts":[{"Source":"/a","Destination":"/x"},{"Source":"/b","Destination":"/y"}],
        "Name":"/web","Nil":null}"#;

    #[test]
    fn fields_json_and_printing() {
        assert_eq!(run("{{.State.Status}}", DOC), "running");
        assert_eq!(run("{{ .State.Pid }}/{{.State.Running}}", DOC), "42/true");
        assert_eq!(
            run("{{json .Config.Labels}}", DOC),
            r#"{"z":"1","a":"<2>"}"#
        );
        assert_eq!(run("{{.Config.Labels}}", DOC), "map[a:<2> z:1]");
        assert_eq!(run("{{.Config.Env}}", DOC), "[A=1 B=2]");
        assert_eq!(run("{{.Missing}}|{{.Nil}}", DOC), "<no value>|<nil>");
        assert_eq!(run("{{.Missing.Deeper}}", DOC), "<no value>");
        assert_eq!(run("{{.Name | upper}}", DOC), "/WEB");
    }

    #[test]
    fn range_if_with_and_variables() {
        assert_eq!(
            run("{{range .Mounts}}{{.Source}}:{{.Destination}} {{end}}", DOC),
            "/a:/x /b:/y "
        );
        assert_eq!(
            run(
                "{{range $i, $m := .Mounts}}{{$i}}={{$m.Source}};{{end}}",
                DOC
            ),
            "0=/a;1=/b;"
        );
        assert_eq!(
            run(
                "{{range $k, $v := .Config.Labels}}{{$k}}={{$v}},{{end}}",
                DOC
            ),
            "a=<2>,z=1,"
        );
        assert_eq!(run("{{range .Nothing}}x{{else}}none{{end}}", DOC), "none");
        assert_eq!(
            run(
                "{{if eq .State.Status \"running\"}}up{{else}}down{{end}}",
                DOC
            ),
            "up"
        );
        assert_eq!(
            run(
                "{{if .Nil}}a{{else if .State.Running}}b{{else}}c{{end}}",
                DOC
            ),
            "b"
        );
        assert_eq!(run("{{with .State}}{{.Pid}}{{end}}", DOC), "42");
        assert_eq!(run("{{$n := .Name}}{{$n}}", DOC), "/web");
        assert_eq!(run("{{index .Config.Labels \"z\"}}", DOC), "1");
        assert_eq!(run("{{index .Config.Env 1}}", DOC), "B=2");
        assert_eq!(
            run("{{len .Mounts}} {{join .Config.Env \",\"}}", DOC),
            "2 A=1,B=2"
        );
        assert_eq!(run("a {{- \" b \" -}} c", DOC), "a b c");
        assert_eq!(run("{{printf \"%-4s|\" .State.Status}}", DOC), "running|");
        assert_eq!(run("{{(index .Mounts 1).Source}}", DOC), "/b");
        assert_eq!(run("{{/* note */}}x", DOC), "x");
    }

    #[test]
    fn errors_say_what() {
        assert!(Template::parse("{{range .X}}").is_err());
        assert!(Template::parse("{{end}}").is_err());
        assert!(Template::parse("{{.X").is_err());
        let data = Json::parse(DOC.as_bytes()).unwrap();
        let e = Template::parse("{{.Name.X}}")
            .unwrap()
            .execute(&data)
            .unwrap_err();
        assert!(e.contains("can't evaluate field X"), "{e}");
        let e = Template::parse("{{nope .X}}")
            .unwrap()
            .execute(&data)
            .unwrap_err();
        assert!(e.contains("\"nope\" not defined"), "{e}");
    }
}
