#!/usr/bin/env python3
"""Summarises a JFR recording for bench/PROFILE.md: threads, self and inclusive hot methods (Java
samples), native methods by thread, the Switchyard frames under each native call, allocation sites.
Usage: jfr_top.py RECORDING.jfr [JFR_BINARY]"""
import collections, json, subprocess, sys

rec = sys.argv[1]
jfr = sys.argv[2] if len(sys.argv) > 2 else "jfr"


def events(kind):
    out = subprocess.run([jfr, "print", "--json", "--stack-depth", "64", "--events", kind, rec],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["recording"]["events"]


def name(f):
    m = f["method"]
    return m["type"]["name"].replace("/", ".") + "." + m["name"]


def top(counter, total, n, title):
    print(f"\n## {title} ({total} samples)\n")
    for k, v in counter.most_common(n):
        print(f"{100.0 * v / max(total, 1):5.1f}%  {v:6d}  {k}")


java = events("jdk.ExecutionSample")
threads = collections.Counter(e["values"]["sampledThread"]["javaName"] for e in java)
top(threads, len(java), 10, "Java samples by thread")
self_ = collections.Counter()
incl = collections.Counter()
ours = collections.Counter()
for e in java:
    frames = e["values"]["stackTrace"]["frames"] if e["values"]["stackTrace"] else []
    if not frames:
        continue
    self_[name(frames[0])] += 1
    seen = set()
    for f in frames:
        n = name(f)
        if n not in seen:
            incl[n] += 1
            seen.add(n)
    for f in frames:
        if name(f).startswith("io.switchyard"):
            ours[name(f)] += 1
            break
top(self_, len(java), 30, "Java self time: top frames")
top(incl, len(java), 40, "Java inclusive time: methods on the stack")
top(ours, len(java), 20, "Java samples by the innermost Switchyard frame")

nat = events("jdk.NativeMethodSample")
by_thread = collections.Counter()
callers = collections.Counter()
for e in nat:
    frames = e["values"]["stackTrace"]["frames"] if e["values"]["stackTrace"] else []
    t = e["values"]["sampledThread"]["javaName"]
    top_frame = name(frames[0]) if frames else "?"
    by_thread[t + "  " + top_frame] += 1
    if "epollWait" in top_frame:
        continue
    sy = next((name(f) for f in frames if name(f).startswith("io.switchyard")), "(no Switchyard frame)")
    callers[top_frame.split(".")[-1] + "  <-  " + sy] += 1
top(by_thread, len(nat), 15, "Native samples by thread and native method (epollWait = waiting for events)")
top(callers, sum(callers.values()), 20, "Native calls other than epollWait by the innermost Switchyard frame")

alloc = events("jdk.ObjectAllocationSample")
sites = collections.Counter()
classes = collections.Counter()
total = 0
for e in alloc:
    w = e["values"].get("weight", 1)
    total += w
    frames = e["values"]["stackTrace"]["frames"] if e["values"]["stackTrace"] else []
    cls = e["values"]["objectClass"]["name"].replace("/", ".")
    site = next((name(f) for f in frames if not name(f).startswith(("java.", "jdk.", "sun."))), name(frames[0]) if frames else "?")
    sy = next((name(f) for f in frames if name(f).startswith("io.switchyard")), "-")
    sites[site + "  [" + cls + "]  via " + sy] += w
    classes[cls] += w
print(f"\n## Allocation (sampled weight {total / 1e6:.0f} MB over the recording)\n")
for k, v in sites.most_common(20):
    print(f"{100.0 * v / max(total, 1):5.1f}%  {v / 1e6:8.1f} MB  {k}")
