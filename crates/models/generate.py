#!/usr/bin/env python3
"""Generates the models of docksock-models from the Engine API description.

Reads crates/api/spec/api-v1.51.json (its `definitions` and the inline schemas of the request
and response bodies of its operations) and writes Rust source under crates/models/src/generated/.

    python3 crates/models/generate.py           # (re)write the generated files
    python3 crates/models/generate.py --check   # exit 1 if the files on disk differ

Python 3.11, standard library only. Every hand-written adjustment lives in the tables below
(OVERRIDES and friends), never in the generated files.

What the models are like (see the crate docs):
- every field is `Option<T>`, skipped when `None` on serialization, renamed to the name the
  API spells; unknown fields are ignored; a struct missing every field still decodes;
- every enum keeps a value it does not know in its last variant (`Other`);
- integers decode from any JSON number (floats truncated, out-of-range values saturated, a
  negative value in an unsigned field wrapped as Go would), through `crate::de`;
- maps of scalars read a `null` value as the type's default; maps of objects or arrays keep
  `null` as `None`; a `null` array or map is `None`;
- free-form objects are `serde_json::Value`.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPEC = HERE.parent / "api" / "spec" / "api-v1.51.json"
OUT = HERE / "src" / "generated"
SPEC_REL = "crates/api/spec/api-v1.51.json"
MAX_LINES = 800

# ---------------------------------------------------------------------------------------------
# Overrides: the hand-written part of the models.
# ---------------------------------------------------------------------------------------------

# Type names for inline schemas, by schema path (`Definition.Property[.Property…]`, or
# `OperationId.request` / `OperationId.response`). Several paths may share one name when their
# enums have the same values.
TYPE_NAMES = {
    # The two container state enums have the same values: one type.
    "ContainerSummary.State": "ContainerStateStatus",
    "ContainerState.Status": "ContainerStateStatus",
    # Isolation technology, three times the same enum.
    "HostConfig.Isolation": "Isolation",
    "SystemInfo.Isolation": "Isolation",
    "TaskSpec.ContainerSpec.Isolation": "Isolation",
    # Port protocols.
    "Port.Type": "PortProtocol",
    "EndpointPortConfig.Protocol": "PortProtocol",
    # Availability of a node (the same values in cluster volumes).
    "NodeSpec.Availability": "NodeAvailability",
    "ClusterVolumeSpec.AccessMode.Availability": "NodeAvailability",
    # Untitled inline request bodies.
    "ContainerCreate.request": "ContainerCreateRequest",
    "ContainerUpdate.request": "ContainerUpdateRequest",
    "VolumeUpdate.request": "VolumeUpdateRequest",
    # Short names for the log configuration and the restart policy's condition.
    "HostConfig.LogConfig": "LogConfig",
    "HostConfig.LogConfig.Type": "LogDriver",
}

# Variant names for enum values that do not make a good identifier by themselves.
VARIANT_NAMES = {
    ("ChangeType", 0): "Modified",
    ("ChangeType", 1): "Added",
    ("ChangeType", 2): "Deleted",
    ("SystemInfoCgroupVersion", "1"): "V1",
    ("SystemInfoCgroupVersion", "2"): "V2",
}

# Field names (snake_case) that the default conversion gets wrong, by API name.
FIELD_NAMES = {
    "IPv4Address": "ipv4_address",
    "IPv6Address": "ipv6_address",
    "IPv6Gateway": "ipv6_gateway",
    "IPv4Forwarding": "ipv4_forwarding",
    "EnableIPv4": "enable_ipv4",
    "EnableIPv6": "enable_ipv6",
    "GlobalIPv6Address": "global_ipv6_address",
    "GlobalIPv6PrefixLen": "global_ipv6_prefix_len",
    "LinkLocalIPv6Address": "link_local_ipv6_address",
    "LinkLocalIPv6PrefixLen": "link_local_ipv6_prefix_len",
    "SecondaryIPv6Addresses": "secondary_ipv6_addresses",
    "NanoCPUs": "nano_cpus_limit",
    "OSType": "os_type",
    "OSVersion": "os_version",
    "IOMaximumIOps": "io_maximum_iops",
    "IOMaximumBandwidth": "io_maximum_bandwidth",
    "BlkioDeviceReadIOps": "blkio_device_read_iops",
    "BlkioDeviceWriteIOps": "blkio_device_write_iops",
    "MaximumIOps": "maximum_iops",
    "MaximumIOBps": "maximum_io_bps",
    "ID": "id",
    "Id": "id",
    "MinAPIVersion": "min_api_version",
}

# Integer fields whose type the description gets wrong for what engines send: API name within
# a type -> Rust integer type. (Sizes that may be -1 are i64 by default already.)
INT_TYPES: dict[str, str] = {}

# Enum values engines send that the API description leaves out, by enum type name (they get
# variants of their own instead of `Other`).
EXTRA_ENUM_VALUES = {
    # A service rollback's states (moby `api/types/swarm` UpdateStateRollback*; measured on
    # dockerd 20.10 and 28.5 after `POST /services/{id}/update?rollback=previous`).
    "ServiceUpdateStatusState": ["rollback_started", "rollback_paused", "rollback_completed"],
}

# Descriptions added where the API description has none (type or `Type.Field`).
DOCS = {
    "ProgressDetail": "Progress of one step of a pull, push, build or import.",
    "ProgressDetail.current": "Bytes (or steps) done so far.",
    "ProgressDetail.total": "Bytes (or steps) in all.",
}

# Streaming responses the description calls binary but that are JSON messages, one model each.
STREAM_RESPONSES = {
    "ImageCreate": "CreateImageInfo",
    "ImageBuild": "BuildInfo",
    "ImagePush": "PushImageInfo",
    "ImageLoad": "BuildInfo",
}

RUST_KEYWORDS = {
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use",
    "where", "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final",
    "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try",
}

# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------


def snake(name: str) -> str:
    if name in FIELD_NAMES:
        return FIELD_NAMES[name]
    s = re.sub(r"[^0-9A-Za-z]+", "_", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = s.lower().strip("_")
    s = re.sub(r"_+", "_", s)
    if s[:1].isdigit():
        s = "n" + s
    if s in RUST_KEYWORDS:
        s = "r#" + s
    return s


def pascal(name: str) -> str:
    parts = re.split(r"[^0-9A-Za-z]+", name)
    out = "".join(p[:1].upper() + p[1:] for p in parts if p)
    if not out:
        return "Empty"
    if out[0].isdigit():
        out = "V" + out
    return out


# ---------------------------------------------------------------------------------------------
# Docs: descriptions escaped for rustdoc
# ---------------------------------------------------------------------------------------------

URL = re.compile(r"https?://[^\s<>`)\]\"']+[^\s<>`)\]\"'.,;:]")
MD_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")


def escape_text(t: str) -> str:
    """Escapes one piece of text outside code spans."""
    out = []
    pos = 0
    for m in MD_LINK.finditer(t):
        out.append(escape_plain(t[pos : m.start()]))
        text, target = m.group(1), m.group(2)
        if target.startswith("http://") or target.startswith("https://"):
            out.append("[" + escape_plain(text, urls=False) + "](" + target + ")")
        else:
            out.append(escape_plain(text, urls=False))
        pos = m.end()
    out.append(escape_plain(t[pos:]))
    return "".join(out)


def escape_plain(t: str, urls: bool = True) -> str:
    res = []
    pos = 0
    if urls:
        for m in URL.finditer(t):
            res.append(escape_chars(t[pos : m.start()]))
            res.append("<" + m.group(0) + ">")
            pos = m.end()
    res.append(escape_chars(t[pos:]))
    return "".join(res)


def escape_chars(t: str) -> str:
    t = t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    t = t.replace("[", "\\[").replace("]", "\\]")
    # Superscripts are the only HTML the descriptions use for meaning.
    return t.replace("&lt;sup&gt;", "<sup>").replace("&lt;/sup&gt;", "</sup>")


def escape_line(line: str) -> str:
    parts = line.split("`")
    if len(parts) % 2 == 0:
        # An unbalanced backtick: keep it as text.
        parts = [line.replace("`", "'")]
    out = []
    for i, p in enumerate(parts):
        out.append(escape_text(p) if i % 2 == 0 else "`" + p + "`")
    s = "".join(out)
    # A leading `>` was a quote; keep it one.
    return re.sub(r"^(\s*)&gt;", r"\1>", s)


def doc_lines(text: str | None) -> list[str]:
    if not text:
        return []
    lines = text.strip("\n").split("\n")
    out: list[str] = []
    in_fence = False
    in_indent = False
    prev_blank = True
    for raw in lines:
        line = raw.rstrip()
        if line.strip() in ("<p><br /></p>", "<p><br /><p>"):
            # Spacing for the HTML rendering of the description.
            line = ""
        line = line.replace("<kbd>", "`").replace("</kbd>", "`")
        if line.lstrip().startswith("```"):
            if in_indent:
                out.append("```")
                in_indent = False
            out.append("```" if in_fence else "```text")
            in_fence = not in_fence
            prev_blank = False
            continue
        if in_fence:
            out.append(line)
            continue
        indented = line.startswith("    ") and line.strip() != ""
        if in_indent:
            if indented or line == "":
                out.append(line[4:] if indented else "")
                continue
            while out and out[-1] == "":
                out.pop()
            out.append("```")
            out.append("")
            in_indent = False
        if indented and prev_blank:
            out.append("```text")
            out.append(line[4:])
            in_indent = True
            continue
        out.append(escape_line(line))
        prev_blank = line.strip() == ""
    if in_indent:
        while out and out[-1] == "":
            out.pop()
        out.append("```")
    if in_fence:
        out.append("```")
    # Collapse runs of blank lines.
    res: list[str] = []
    for line in out:
        if line == "" and res and res[-1] == "":
            continue
        res.append(line)
    while res and res[-1] == "":
        res.pop()
    return res


def emit_doc(lines: list[str], indent: str) -> list[str]:
    return [indent + ("/// " + l if l else "///") for l in lines]


# ---------------------------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------------------------


class Struct:
    def __init__(self, name, doc, fields, origin):
        self.name = name
        self.doc = doc
        self.fields = fields  # list of (api_name, rust_name, rust_type, de_fn, doc)
        self.origin = origin


class Enum:
    def __init__(self, name, doc, values, integer, origin):
        self.name = name
        self.doc = doc
        self.values = values
        self.integer = integer
        self.origin = origin


class Alias:
    def __init__(self, name, doc, target, origin):
        self.name = name
        self.doc = doc
        self.target = target
        self.origin = origin


class Gen:
    def __init__(self, spec):
        self.spec = spec
        self.defs = spec["definitions"]
        self.items: dict[str, object] = {}
        self.origins: dict[str, str] = {}

    # -- types ---------------------------------------------------------------------------------

    def ref_name(self, ref: str) -> str:
        assert ref.startswith("#/definitions/"), ref
        return ref[len("#/definitions/") :]

    def resolve(self, schema):
        while "$ref" in schema:
            schema = self.defs[self.ref_name(schema["$ref"])]
        return schema

    def int_type(self, schema, path):
        if path in INT_TYPES:
            return INT_TYPES[path]
        return "u64" if schema.get("format") == "uint64" else "i64"

    def is_object(self, schema) -> bool:
        return schema.get("type") == "object" or "properties" in schema or "allOf" in schema

    def rtype(self, schema, path: str) -> tuple[str, str]:
        """The Rust type of a schema (without the outer Option) and its shape for the
        deserializer: `int:i64`, `vec_int:i64`, `map_int:u64`, `map_scalar`, or ``."""
        if "$ref" in schema:
            name = self.ref_name(schema["$ref"])
            target = self.defs[name]
            self.define(name)
            item = self.items.get(name)
            if isinstance(item, Alias):
                # Decode through the alias's own shape.
                return name, self.rtype(target, name)[1]
            return name, ""
        if "allOf" in schema:
            parts = schema["allOf"]
            refs = [p for p in parts if "$ref" in p]
            extra = [p for p in parts if "$ref" not in p and p.get("properties")]
            if len(refs) == 1 and not extra:
                return self.rtype(refs[0], path)
            name = self.inline_name(path, schema)
            self.define_inline(name, schema, path)
            return name, ""
        if "enum" in schema and schema.get("type") in ("string", "integer"):
            name = self.inline_name(path, schema)
            self.define_enum(name, schema, path)
            return name, ""
        t = schema.get("type")
        if t == "string":
            return "String", ""
        if t == "boolean":
            return "bool", ""
        if t == "number":
            return "f64", ""
        if t == "integer":
            it = self.int_type(schema, path)
            return it, "int:" + it
        if t == "array":
            items = schema.get("items", {})
            inner, shape = self.rtype(items, path + "Item")
            if shape.startswith("int:"):
                return f"Vec<{inner}>", "vec_int:" + shape[4:]
            return f"Vec<{inner}>", ""
        if self.is_object(schema):
            if schema.get("properties"):
                name = self.inline_name(path, schema)
                self.define_inline(name, schema, path)
                return name, ""
            ap = schema.get("additionalProperties")
            if isinstance(ap, dict) and ap and not (ap.get("type") == "object" and not ap.get("properties") and "$ref" not in ap):
                inner, shape = self.rtype(ap, path + "Value")
                target = self.resolve(ap)
                if shape.startswith("int:"):
                    return f"BTreeMap<String, {inner}>", "map_int:" + shape[4:]
                if target.get("type") in ("string", "boolean", "number") or "enum" in target:
                    return f"BTreeMap<String, {inner}>", "map_scalar"
                return f"BTreeMap<String, Option<{inner}>>", ""
            if isinstance(ap, dict) and ap:
                return "BTreeMap<String, serde_json::Value>", ""
            return "serde_json::Value", ""
        if t is None and not schema:
            return "serde_json::Value", ""
        if t is None:
            return "serde_json::Value", ""
        raise SystemExit(f"unhandled schema at {path}: {json.dumps(schema)[:200]}")

    def inline_name(self, path: str, schema) -> str:
        if path in TYPE_NAMES:
            return TYPE_NAMES[path]
        if schema.get("title") and "." in path and path.split(".")[-1] in ("request", "response"):
            return pascal(schema["title"])
        parts = path.split(".")
        if parts[-1] == "request":
            return pascal(parts[0]) + "Request"
        if parts[-1] == "response":
            return pascal(parts[0]) + "Response"
        return "".join(pascal(p) for p in parts)

    # -- definitions ---------------------------------------------------------------------------

    def define(self, name: str):
        if name in self.items:
            return
        schema = self.defs[name]
        if "enum" in schema and schema.get("type") in ("string", "integer"):
            self.define_enum(name, schema, name)
            return
        if schema.get("type") == "array" or (
            self.is_object(schema)
            and not schema.get("properties")
            and "allOf" not in schema
            and isinstance(schema.get("additionalProperties"), dict)
        ):
            self.items[name] = None  # placeholder against cycles
            doc = doc_lines(schema.get("description"))
            target, _ = self.rtype(schema, name)
            self.items[name] = Alias(name, doc, target, name)
            return
        self.define_inline(name, schema, name)

    def props_of(self, schema, path):
        """Properties of an object schema, allOf parts merged in order: api name ->
        (schema, path of the type that defines it, name of that type)."""
        props: dict = {}
        doc = schema.get("description")
        if "allOf" in schema:
            for part in schema["allOf"]:
                if "$ref" in part:
                    ref = self.ref_name(part["$ref"])
                    p, d = self.props_of(self.defs[ref], ref)
                else:
                    p, d = self.props_of(part, path)
                props.update(p)
                doc = doc or d
        for k, v in schema.get("properties", {}).items():
            props[k] = (v, path)
        return props, doc

    def define_inline(self, name: str, schema, path: str):
        if name in self.items:
            if self.origins.get(name) != path:
                raise SystemExit(f"type name {name} used for {self.origins.get(name)} and {path}")
            return
        self.origins[name] = path
        self.items[name] = None
        props, desc = self.props_of(schema, path)
        doc = doc_lines(DOCS.get(name) or desc)
        fields = []
        seen = set()
        for api_name, (ps, owner) in props.items():
            fpath = f"{owner}.{api_name}"
            rust_name = snake(api_name)
            if rust_name in seen:
                raise SystemExit(f"field name clash in {name}: {rust_name}")
            seen.add(rust_name)
            ty, shape = self.rtype(ps, fpath)
            fdesc = DOCS.get(f"{name}.{api_name}") or ps.get("description")
            if not fdesc and "$ref" in ps:
                fdesc = self.resolve(ps).get("description")
            fields.append((api_name, rust_name, ty, shape, doc_lines(fdesc)))
        self.items[name] = Struct(name, doc, fields, path)

    def define_enum(self, name: str, schema, path: str):
        values = schema["enum"] + [v for v in EXTRA_ENUM_VALUES.get(name, []) if v not in schema["enum"]]
        integer = schema.get("type") == "integer"
        old = self.items.get(name)
        if old is not None:
            if not isinstance(old, Enum) or sorted(map(str, old.values)) != sorted(map(str, values)):
                raise SystemExit(f"type name {name} used for different schemas ({path})")
            return
        doc = doc_lines(DOCS.get(name) or schema.get("description"))
        self.items[name] = Enum(name, doc, values, integer, path)

    def run(self):
        for name in self.defs:
            self.define(name)
        self.operations = []
        for p, ops in self.spec["paths"].items():
            for method, op in ops.items():
                if method == "parameters":
                    continue
                oid = op["operationId"]
                if oid == "Session":
                    continue
                req = None
                for prm in op.get("parameters", []):
                    if prm.get("in") == "body" and "schema" in prm:
                        sc = prm["schema"]
                        if sc.get("type") == "string":
                            continue
                        req = self.rtype(sc, f"{oid}.request")[0]
                resp = None
                for code, r in sorted(op["responses"].items()):
                    if code.startswith("2") and "schema" in r:
                        sc = r["schema"]
                        if sc.get("type") == "string":
                            continue
                        resp = self.rtype(sc, f"{oid}.response")[0]
                        break
                if oid in STREAM_RESPONSES:
                    resp = STREAM_RESPONSES[oid]
                self.operations.append((oid, method.upper(), p, req, resp))


# ---------------------------------------------------------------------------------------------
# Rust output
# ---------------------------------------------------------------------------------------------

HEADER = (
    "// @generated by crates/models/generate.py from " + SPEC_REL + ".\n"
    "// Do not edit: change the generator (its override tables) and run it again.\n"
)


def de_fn(shape: str) -> str | None:
    if not shape:
        return None
    kind, _, arg = shape.partition(":")
    if kind == "int":
        return f"crate::de::opt_{arg}"
    if kind == "vec_int":
        return f"crate::de::opt_vec_{arg}"
    if kind == "map_int":
        return f"crate::de::opt_map_{arg}"
    if kind == "map_scalar":
        return "crate::de::opt_map_null_default"
    raise SystemExit(shape)


def serde_attr(api_name: str, rust_name: str, de: str | None, indent: str) -> list[str]:
    args = []
    bare = rust_name[2:] if rust_name.startswith("r#") else rust_name
    if api_name != bare:
        args.append(f'rename = "{api_name}"')
    args.append('skip_serializing_if = "Option::is_none"')
    if de:
        args.append(f'deserialize_with = "{de}"')
    joined = ", ".join(args)
    one = f"{indent}#[serde({joined})]"
    # rustfmt's attr_fn_like_width is 70.
    if len(joined) <= 70 and len(one) <= 100:
        return [one]
    out = [f"{indent}#[serde("]
    for i, a in enumerate(args):
        out.append(f"{indent}    {a}" + ("," if i + 1 < len(args) else ""))
    out.append(f"{indent})]")
    return out


def fmt_field(name: str, ty: str, indent: str) -> list[str]:
    line = f"{indent}pub {name}: Option<{ty}>,"
    if len(line) <= 100:
        return [line]
    raise SystemExit(f"field line too long: {line}")


def emit_struct(s: Struct) -> list[str]:
    out = emit_doc(s.doc or [f"`{s.name}` (the API description gives no description)."], "")
    out.append("#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]")
    out.append("#[serde(default)]")
    if not s.fields:
        out.append(f"pub struct {s.name} {{}}")
        return out
    out.append(f"pub struct {s.name} {{")
    for api_name, rust_name, ty, shape, doc in s.fields:
        out += emit_doc(doc or [f"`{api_name}`."], "    ")
        out += serde_attr(api_name, rust_name, de_fn(shape), "    ")
        out += fmt_field(rust_name, ty, "    ")
    out.append("}")
    return out


def variant_name(enum: Enum, v) -> str:
    key = (enum.name, v)
    if key in VARIANT_NAMES:
        return VARIANT_NAMES[key]
    if v == "":
        return "Empty"
    return pascal(str(v))


def emit_enum(e: Enum) -> list[str]:
    out = emit_doc(e.doc or [f"`{e.name}`."], "")
    if e.doc:
        out.append("///")
    out.append(
        "/// A value this version of the models does not know is kept in [`Other`](Self::Other)."
    )
    out.append("#[derive(Debug, Clone, PartialEq, Eq, Hash)]")
    out.append(f"pub enum {e.name} {{")
    names = []
    for v in e.values:
        vn = variant_name(e, v)
        names.append((vn, v))
        shown = json.dumps(v) if not e.integer else str(v)
        out.append(f"    /// `{shown}`")
        out.append(f"    {vn},")
    other_ty = "i64" if e.integer else "String"
    out.append("    /// A value not in the API description, kept as sent.")
    out.append(f"    Other({other_ty}),")
    out.append("}")
    out.append("")
    if e.integer:
        out.append(f"impl {e.name} {{")
        out.append("    /// The value as the API sends it.")
        out.append("    pub fn value(&self) -> i64 {")
        out.append("        match self {")
        for vn, v in names:
            out.append(f"            Self::{vn} => {v},")
        out.append("            Self::Other(v) => *v,")
        out.append("        }")
        out.append("    }")
        out.append("}")
        out.append("")
        out.append(f"impl From<i64> for {e.name} {{")
        out.append("    fn from(v: i64) -> Self {")
        out.append("        match v {")
        for vn, v in names:
            out.append(f"            {v} => Self::{vn},")
        out.append("            other => Self::Other(other),")
        out.append("        }")
        out.append("    }")
        out.append("}")
        out.append("")
        out.append(f"impl Serialize for {e.name} {{")
        out.append("    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {")
        out.append("        s.serialize_i64(self.value())")
        out.append("    }")
        out.append("}")
        out.append("")
        out.append(f"impl<'de> Deserialize<'de> for {e.name} {{")
        out.append("    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {")
        out.append("        crate::de::int_i64(d).map(Self::from)")
        out.append("    }")
        out.append("}")
        return out
    out.append(f"impl {e.name} {{")
    out.append("    /// The value as the API spells it.")
    out.append("    pub fn as_str(&self) -> &str {")
    out.append("        match self {")
    for vn, v in names:
        out.append(f"            Self::{vn} => {json.dumps(v)},")
    out.append("            Self::Other(s) => s,")
    out.append("        }")
    out.append("    }")
    out.append("}")
    out.append("")
    out.append(f"impl From<&str> for {e.name} {{")
    out.append("    fn from(s: &str) -> Self {")
    out.append("        match s {")
    for vn, v in names:
        out.append(f"            {json.dumps(v)} => Self::{vn},")
    out.append("            other => Self::Other(other.to_owned()),")
    out.append("        }")
    out.append("    }")
    out.append("}")
    out.append("")
    out.append(f"impl std::fmt::Display for {e.name} {{")
    out.append("    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {")
    out.append("        f.write_str(self.as_str())")
    out.append("    }")
    out.append("}")
    out.append("")
    out.append(f"impl Serialize for {e.name} {{")
    out.append("    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {")
    out.append("        s.serialize_str(self.as_str())")
    out.append("    }")
    out.append("}")
    out.append("")
    out.append(f"impl<'de> Deserialize<'de> for {e.name} {{")
    out.append("    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {")
    out.append("        crate::de::string(d).map(|s| Self::from(s.as_str()))")
    out.append("    }")
    out.append("}")
    return out


def emit_alias(a: Alias) -> list[str]:
    out = emit_doc(a.doc or [f"`{a.name}`."], "")
    line = f"pub type {a.name} = {a.target};"
    out.append(line)
    return out


def emit_item(item) -> list[str]:
    if isinstance(item, Struct):
        return emit_struct(item)
    if isinstance(item, Enum):
        return emit_enum(item)
    return emit_alias(item)


def render(gen: Gen) -> dict[str, str]:
    files: dict[str, str] = {}
    names = sorted(gen.items)
    chunks: list[list[list[str]]] = []
    cur: list[list[str]] = []
    cur_lines = 0
    for n in names:
        body = emit_item(gen.items[n])
        if cur and cur_lines + len(body) + 1 > MAX_LINES - 10:
            chunks.append(cur)
            cur, cur_lines = [], 0
        cur.append(body)
        cur_lines += len(body) + 1
    if cur:
        chunks.append(cur)
    mods = []
    for i, chunk in enumerate(chunks, 1):
        first = chunk[0]
        mod = f"part{i:02}"
        mods.append(mod)
        lines = [HEADER.rstrip("\n")]
        lines.append("")
        lines.append("#![allow(unused_imports)]")
        lines.append("")
        lines.append("use super::*;")
        lines.append("use serde::{Deserialize, Serialize};")
        lines.append("use std::collections::BTreeMap;")
        for body in chunk:
            lines.append("")
            lines += body
        files[f"{mod}.rs"] = "\n".join(lines) + "\n"
        del first
    files["operations.rs"] = render_operations(gen)
    mod_lines = [HEADER.rstrip("\n"), ""]
    mod_lines.append("//! The generated models, in parts of at most about 800 lines.")
    mod_lines.append("")
    mod_lines.append("pub(crate) mod operations;")
    for m in mods:
        mod_lines.append(f"mod {m};")
    mod_lines.append("")
    for m in mods:
        mod_lines.append(f"pub use {m}::*;")
    files["mod.rs"] = "\n".join(mod_lines) + "\n"
    return files


def render_operations(gen: Gen) -> str:
    lines = [HEADER.rstrip("\n"), ""]
    lines.append("//! Which model is the request and the response body of each operation.")
    lines.append("")
    lines.append("use super::*;")
    lines.append("")
    lines.append("/// `(operation id, request body model, response body model)` of every operation of")
    lines.append("/// the API description but `Session`, in the description's order. `\"\"` where the")
    lines.append("/// body is not a JSON document (none, a tar, plain text or a raw stream). For a stream")
    lines.append("/// of JSON messages (events, stats, pull, push, build and load progress) the response")
    lines.append("/// model is the model of one message.")
    lines.append("pub const OPERATIONS: &[(&str, &str, &str)] = &[")
    for oid, _m, _p, req, resp in gen.operations:
        inner = f'"{oid}", "{req or ""}", "{resp or ""}"'
        if len(inner) <= 60:
            lines.append(f"    ({inner}),")
        else:
            lines.append("    (")
            for part in (oid, req or "", resp or ""):
                lines.append(f'        "{part}",')
            lines.append("    ),")
    lines.append("];")
    lines.append("")
    lines.append("/// Decodes `body` as the response model of the operation `operation_id` and")
    lines.append("/// encodes the model again as JSON (what a typed round trip keeps of the body);")
    lines.append("/// `None` when the operation has no response model. For streaming operations")
    lines.append("/// (`SystemEvents`, `ContainerStats` with `stream=1`, `ImageCreate`, `ImageBuild`,")
    lines.append("/// `ImagePush`, `ImageLoad`) `body` is one message.")
    lines.append("///")
    lines.append("/// # Errors")
    lines.append("///")
    lines.append("/// The decoding error, when the body does not fit the model.")
    lines.append("pub fn response_round_trip(")
    lines.append("    operation_id: &str,")
    lines.append("    body: &[u8],")
    lines.append(") -> Option<Result<serde_json::Value, serde_json::Error>> {")
    lines.append("    fn rt<T: serde::de::DeserializeOwned + serde::Serialize>(")
    lines.append("        body: &[u8],")
    lines.append("    ) -> Result<serde_json::Value, serde_json::Error> {")
    lines.append("        serde_json::to_value(serde_json::from_slice::<T>(body)?)")
    lines.append("    }")
    lines.append("    Some(match operation_id {")
    for oid, _m, _p, _req, resp in gen.operations:
        if resp:
            arm = f'        "{oid}" => rt::<{resp}>(body),'
            if len(arm) > 100:
                raise SystemExit(arm)
            lines.append(arm)
    lines.append("        _ => return None,")
    lines.append("    })")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> int:
    check = "--check" in sys.argv[1:]
    spec = json.loads(SPEC.read_text())
    gen = Gen(spec)
    gen.run()
    files = render(gen)
    if check:
        bad = []
        for name, text in files.items():
            p = OUT / name
            if not p.exists() or p.read_text() != text:
                bad.append(name)
        extra = [p.name for p in OUT.glob("*.rs") if p.name not in files] if OUT.exists() else []
        if bad or extra:
            print(
                "crates/models/src/generated is out of date (run python3 crates/models/generate.py):",
                ", ".join(sorted(bad + extra)),
                file=sys.stderr,
            )
            return 1
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    for p in OUT.glob("*.rs"):
        if p.name not in files:
            p.unlink()
    for name, text in files.items():
        (OUT / name).write_text(text)
    structs = sum(isinstance(i, Struct) for i in gen.items.values())
    enums = sum(isinstance(i, Enum) for i in gen.items.values())
    aliases = sum(isinstance(i, Alias) for i in gen.items.values())
    print(f"{structs} structs, {enums} enums, {aliases} aliases in {len(files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
