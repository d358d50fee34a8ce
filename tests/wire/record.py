#!/usr/bin/env python3
"""Records raw HTTP exchanges with a Docker-compatible engine, byte for byte.

Usage: tests/wire/record.py SOCKET OUTDIR API_VERSION

Runs a fixed set of exchanges (ping, version, info, container list, create, start, wait,
logs, inspect, an unknown container, events over a closed interval, remove) against the engine
at SOCKET, each request with `Connection: close` so that the response ends where the engine
closes, and writes NAME.request, NAME.response and NAME.timeline.json per exchange into
OUTDIR, plus OUTDIR/INDEX.tsv in the format of tests/wire/INDEX.tsv. Standard library only.
The busybox test image (docksock-test/busybox:latest) must exist on the engine.
"""
import json
import os
import socket
import sys
import time

IMAGE = "docksock-test/busybox:latest"


def exchange(sock_path, request):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    t0 = time.monotonic()
    timeline = []
    s.sendall(request)
    timeline.append({"t": 0.0, "dir": "send", "len": len(request), "off": 0})
    received = b""
    while True:
        chunk = s.recv(65536)
        t = round(time.monotonic() - t0, 4)
        if not chunk:
            timeline.append({"t": t, "dir": "eof"})
            break
        timeline.append({"t": t, "dir": "recv", "len": len(chunk), "off": len(received)})
        received += chunk
    s.close()
    timeline.append({"t": round(time.monotonic() - t0, 4), "dir": "close"})
    return received, timeline


def request(method, target, body=None):
    head = f"{method} {target} HTTP/1.1\r\nHost: api.moby.localhost\r\nConnection: close\r\n"
    if body is not None:
        data = json.dumps(body).encode()
        head += f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
        return head.encode() + data
    if method == "POST":
        head += "Content-Length: 0\r\n"
    return (head + "\r\n").encode()


def head_of(response):
    end = response.find(b"\r\n\r\n")
    lines = response[:end].decode("latin-1").split("\r\n")
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    return lines[0], fields


def framing(fields, status_line):
    if " 101 " in status_line:
        return "upgrade"
    if "chunked" in fields.get("transfer-encoding", ""):
        return "chunked"
    if "content-length" in fields:
        return "content-length"
    code = int(status_line.split(" ")[1])
    if code in (204, 304):
        return f"none({code})"
    return "close-delimited"


def body_of(response):
    """The body of a whole response (de-chunked): enough to read an id out of JSON."""
    end = response.find(b"\r\n\r\n")
    _, fields = head_of(response)
    body = response[end + 4:]
    if "chunked" not in fields.get("transfer-encoding", ""):
        return body
    out = b""
    while body:
        line, _, rest = body.partition(b"\r\n")
        size = int(line.split(b";")[0], 16)
        if size == 0:
            break
        out += rest[:size]
        body = rest[size + 2:]
    return out


def main():
    sock_path, outdir, version = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(outdir, exist_ok=True)
    v = f"/v{version}"
    rows = []
    name = f"docksock-wire-{os.getpid()}"

    def record(label, req):
        resp, timeline = exchange(sock_path, req)
        for ext, data in (("request", req), ("response", resp)):
            with open(os.path.join(outdir, f"{label}.{ext}"), "wb") as f:
                f.write(data)
        with open(os.path.join(outdir, f"{label}.timeline.json"), "w") as f:
            json.dump(timeline, f, indent=0)
            f.write("\n")
        status_line, fields = head_of(resp)
        request_line = req.split(b"\r\n", 1)[0].decode("latin-1")[:90]
        rows.append("\t".join([
            label, str(len(req)), str(len(resp)), request_line,
            f"{status_line} [{framing(fields, status_line)}]",
            fields.get("content-type", ""),
        ]))
        return resp

    since = int(time.time()) - 1
    record("ping_get", request("GET", f"{v}/_ping"))
    record("version", request("GET", f"{v}/version"))
    record("info", request("GET", f"{v}/info"))
    record("containers_json_all", request("GET", f"{v}/containers/json?all=1"))
    created = record("container_create", request(
        "POST", f"{v}/containers/create?name={name}",
        {"Image": IMAGE, "Cmd": ["sh", "-c", "echo out-1; echo err-1 >&2; exit 3"]},
    ))
    cid = json.loads(body_of(created))["Id"]
    record("container_start", request("POST", f"{v}/containers/{cid}/start"))
    record("container_wait", request("POST", f"{v}/containers/{cid}/wait"))
    record("container_inspect", request("GET", f"{v}/containers/{cid}/json"))
    record("logs_mux", request("GET", f"{v}/containers/{cid}/logs?stdout=1&stderr=1"))
    record("container_unknown", request("GET", f"{v}/containers/docksock-no-such-container/json"))
    until = int(time.time()) + 1
    time.sleep(1.2)
    record("events_since_until", request(
        "GET", f"{v}/events?since={since}&until={until}"
        "&filters=%7B%22type%22%3A%5B%22container%22%5D%7D"))
    record("container_delete", request("DELETE", f"{v}/containers/{cid}?force=1"))
    with open(os.path.join(outdir, "INDEX.tsv"), "w") as f:
        f.write("name\treq_bytes\tresp_bytes\trequest_line\tresponses\tcontent_type\n")
        for row in rows:
            f.write(row + "\n")


if __name__ == "__main__":
    main()
