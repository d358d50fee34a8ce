#!/usr/bin/env python3
"""Whole-process figures of several commands, run alternately (A, B, C, A, B, C, ...).

    abrun.py [--runs N] [--prepare CMD] [--requests R] NAME=CMD NAME=CMD ...

Each run is the command through /bin/sh, stdout to /dev/null, after
`--prepare` (not timed) when given. Per command it prints the medians of: wall seconds, CPU
seconds (user + system, the process and the children it waited for), peak RSS (the program's
own `peak_rss=N KiB` or `rss_total=N KiB` line on stderr when it prints one, else
/usr/bin/time's maximum RSS), context switches (voluntary + involuntary); the CPU time and
switches come from the rusage `wait4` returns (/usr/bin/time's own, which holds the command's;
microseconds where /usr/bin/time prints hundredths);
with `--requests R` the CPU microseconds per request and the whole process's rate; the rate
(`rate=N req/s`) and byte count (`bytes=N`) a program prints on stderr. The table is
markdown; the last columns give each median over the first command's. The load average before
the first and after the last run is printed too.
"""
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time


def fmt(v):
    return f"{v:,.0f}" if v >= 100 else f"{v:.4g}"


def once(cmd, prepare):
    if prepare:
        subprocess.run(prepare, shell=True, check=True, stdout=subprocess.DEVNULL)
    with tempfile.TemporaryFile("w+") as err, tempfile.NamedTemporaryFile("r") as rss:
        started = time.perf_counter()
        # The peak RSS through /usr/bin/time: a child forked from this (large) Python process
        # would report Python's own RSS as its maximum.
        child = subprocess.Popen(
            ["/usr/bin/time", "-f", "%M", "-o", rss.name, "sh", "-c", cmd],
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        _, status, ru = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read()
        maxrss_kib = int(rss.read().split()[-1])
    if child.returncode != 0:
        sys.exit(f"{cmd!r} exited {child.returncode}: {stderr.strip()[-2000:]}")
    m = {
        "wall s": wall,
        "CPU s (user+sys)": ru.ru_utime + ru.ru_stime,
        "peak RSS MiB": maxrss_kib / 1024,
        "context switches": ru.ru_nvcsw + ru.ru_nivcsw,
    }
    own = re.findall(r"(?:peak_rss|rss_total)=(\d+) KiB", stderr)
    if own:
        m["peak RSS MiB"] = max(int(x) for x in own) / 1024
    count = re.findall(r"bytes=(\d+)", stderr)
    if count:
        m["bytes read (program's own count)"] = float(count[-1])
    rate = re.findall(r"rate=(\d+(?:\.\d+)?) req/s", stderr)
    if rate:
        m["req/s (program's own)"] = float(rate[-1])
    return m


def main():
    args = sys.argv[1:]
    runs, prepare, requests = 5, None, None
    cmds = []
    while args:
        a = args.pop(0)
        if a == "--runs":
            runs = int(args.pop(0))
        elif a == "--prepare":
            prepare = args.pop(0)
        elif a == "--requests":
            requests = int(args.pop(0))
        else:
            name, _, cmd = a.partition("=")
            cmds.append((name, cmd))
    if not cmds:
        sys.exit(__doc__)
    print(f"load average before: {open('/proc/loadavg').read().strip()}")
    results = {name: [] for name, _ in cmds}
    for i in range(runs):
        for name, cmd in cmds:
            m = once(cmd, prepare)
            if requests:
                m["CPU µs per request"] = m["CPU s (user+sys)"] / requests * 1e6
                m["req/s (whole process)"] = requests / m["wall s"]
            results[name].append(m)
            print(f"  run {i + 1} {name}: " + ", ".join(f"{k} {v:.3f}" for k, v in m.items()), file=sys.stderr)
    print(f"load average after:  {open('/proc/loadavg').read().strip()}")
    print(f"{runs} alternate runs, medians\n")
    first = cmds[0][0]
    names = [n for n, _ in cmds]
    print("| measure | " + " | ".join(names) + " | " + " | ".join(f"{n} / {first}" for n in names[1:]) + " |")
    print("|---" * (1 + 2 * len(names) - 1) + "|")
    keys = [k for k in results[first][0]]
    for k in keys:
        med = {n: statistics.median(m[k] for m in results[n] if k in m) for n in names if all(k in m for m in results[n])}
        if first not in med:
            continue
        row = [fmt(med[n]) if n in med else "–" for n in names]
        ratios = [f"{med[n] / med[first]:.2f}×" if n in med and med[first] else "–" for n in names[1:]]
        print(f"| {k} | " + " | ".join(row) + " | " + " | ".join(ratios) + " |")


if __name__ == "__main__":
    main()
