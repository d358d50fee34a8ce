#!/usr/bin/env python3
"""Fills fuzz/corpus/<target>/ with seeds made from real dockerd recordings (tests/wire/) and
the conformance samples (crates/proto/tests/conformance/*.sample.json), in each target's input
layout (see fuzz/src/*.rs): a flags byte, a split-count byte and split bytes, then the payload.

Usage: fuzz/seed.sh [CORPUS_DIR]   (default: fuzz/corpus)
"""
import hashlib, json, os, re, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WIRE = os.path.join(ROOT, "tests", "wire")
CONF = os.path.join(ROOT, "crates", "proto", "tests", "conformance")
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE"]
MAX = 16 * 1024  # libFuzzer's -max_len in scripts/fuzz; longer seeds are cut to it

out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "fuzz", "corpus")
count = {}


def put(target, data):
    data = data[:MAX]
    d = os.path.join(out_dir, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
    count[target] = count.get(target, 0) + 1


def dechunk(body):
    """The data of a chunked body (lenient: stops at the first oddity)."""
    out, pos = b"", 0
    while True:
        m = re.match(rb"([0-9a-fA-F]+)[^\r]*\r\n", body[pos:])
        if not m:
            return out
        size = int(m.group(1), 16)
        pos += m.end()
        if size == 0:
            return out
        out += body[pos:pos + size]
        pos += size + 2


def split_head(resp):
    i = resp.find(b"\r\n\r\n")
    return (resp[:i + 4], resp[i + 4:]) if i >= 0 else (resp, b"")


index = {}
with open(os.path.join(WIRE, "INDEX.tsv"), "rb") as f:
    for line in f.read().split(b"\n")[1:]:
        cols = line.split(b"\t")
        if len(cols) >= 5:
            index[cols[0].decode()] = cols[4]

for name in sorted(os.listdir(WIRE)):
    if not name.endswith(".response"):
        continue
    stem = name[: -len(".response")]
    resp = open(os.path.join(WIRE, name), "rb").read()
    req_path = os.path.join(WIRE, stem + ".request")
    method = "GET"
    if os.path.exists(req_path):
        first = open(req_path, "rb").read().split(b" ", 1)[0].decode("latin1")
        method = first if first in METHODS else "GET"
    m = METHODS.index(method)
    n_resp = max(1, index.get(stem, b"").count(b"HTTP/"))
    extra = min(n_resp - 1, 3)
    flags = m | (extra << 5)
    put("response_decoder", bytes([flags, 0]) + resp)
    if len(resp) < 4096:
        put("response_decoder", bytes([flags, 1, 1]) + resp)  # byte by byte
        put("response_decoder", bytes([flags | 8, 2, 0, 7]) + resp)  # no EOF, odd splits
    put("response_decoder", bytes([flags | 16, 1, 5]) + resp)  # tiny limits
    if n_resp == 1:
        put("decoder_differential", bytes([0]) + resp[:512])
    put("scan_paths", bytes([flags & 7]) + resp[:1024])
    head, body = split_head(resp)
    lower = head.lower()
    chunked = b"transfer-encoding: chunked" in lower
    if chunked:
        put("chunked_decoder", bytes([0, 0]) + body)
        put("chunked_decoder", bytes([1, 1, 3]) + body)
        data = dechunk(body)
    else:
        data = body
    if stem.startswith(("logs", "attach", "exec")) and data:
        raw = "tty" in stem or lower.startswith(b"http/1.1 101") and "tty" in stem
        put("stdcopy", bytes([1 if raw else 0, 0]) + data)
        put("stdcopy", bytes([1 if raw else 0, 2, 3, 8]) + data)
    if b"application/json" in lower or stem.startswith(("events", "stats", "build", "images_create")):
        if data[:1] in (b"{", b"["):
            put("json_splitter", bytes([0x80, 0]) + data)
            put("json_splitter", bytes([0x80, 1, 7]) + data)
            put("json_splitter", bytes([0x3f, 0]) + data[:600])

# The conformance samples.
for case in json.load(open(os.path.join(CONF, "response_cases.sample.json"))):
    raw = case["input_hex_or_text"].encode("latin1")
    method = case.get("request_method") or "GET"
    m = METHODS.index(method) if method in METHODS else 0
    flags = m | (0 if case.get("then_eof", True) else 8)
    put("response_decoder", bytes([flags, 0]) + raw)
    put("response_decoder", bytes([flags, 1, 1]) + raw)
    put("decoder_differential", bytes([3]) + raw)
    put("scan_paths", bytes([m]) + raw)

# Hand-made stdcopy and JSON edge seeds.
put("stdcopy", bytes([0, 0]) + b"\x03\x00\x00\x00\x00\x00\x00\x05oops\n")
put("stdcopy", bytes([0, 1, 1]) + b"\x01\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x01x")
put("json_splitter", bytes([0x80, 0]) + b' {"a":"}\\"]"}\r\n[1,[2,{}]]{}')
put("request_encoder", b"\x00" * 64)
put("request_encoder", bytes(range(256)))
put("decoder_differential", b"\x00")
put("decoder_differential", bytes(range(256)))

for t in sorted(count):
    print(f"{t}: {count[t]} seeds")
