#!/usr/bin/env python3
"""Wall time and the CPU time (user + system) a command's own process used.

    cpu.py 'COMMAND'   (run through /bin/sh, stdout to /dev/null)
"""
import resource
import subprocess
import sys
import time

before = resource.getrusage(resource.RUSAGE_CHILDREN)
start = time.perf_counter()
done = subprocess.run(sys.argv[1], shell=True, stdout=subprocess.DEVNULL)
wall = time.perf_counter() - start
after = resource.getrusage(resource.RUSAGE_CHILDREN)
if done.returncode != 0:
    sys.exit(f"exited {done.returncode}")
user = after.ru_utime - before.ru_utime
system = after.ru_stime - before.ru_stime
print(f"{sys.argv[1]}: wall {wall:.2f} s, user {user:.2f} s, system {system:.2f} s")
