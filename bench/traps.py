#!/usr/bin/env python3
"""Lists the JIT's uncommon traps in compiled code after a point in time, from a -XX:+LogCompilation file.

    bench/traps.py LOGFILE SINCE_S [PREFIX ...]
    bench/traps.py --c2 LOGFILE SINCE_S        C2's compilations before SINCE_S, by package (time from task to done)

SINCE_S is seconds since the JVM started (the log's stamps); PREFIX (default io.switchyard. and io.netty.) keeps the
traps whose innermost or any inlining frame starts with it. One line per trap: its time, reason, action and the frames
(innermost first, at most four). The last line counts them; bench/traps.sh reads it. A trap with action reinterpret or
make_not_entrant throws that compiled code away: the next calls run slower code until the JIT compiles it again.
"""
import re
import sys


def traps(path):
    with open(path, errors="replace") as f:
        lines = f.read().split("\n")
    for i, line in enumerate(lines):
        if not line.startswith("<uncommon_trap thread="):
            continue
        attr = dict(re.findall(r"(\w+)='([^']*)'", line))
        frames = []
        k = i + 1
        while k < len(lines) and lines[k].startswith("<jvms"):
            m = re.search(r"bci='(\d+)' method='([^ ']+) ([^ ']+)", lines[k])
            if m:
                frames.append(f"{m.group(2)}.{m.group(3)}@{m.group(1)}")
            k += 1
        yield float(attr.get("stamp", "0")), attr.get("reason", "?"), attr.get("action", "?"), frames


def c2_by_package(path, until):
    with open(path, errors="replace") as f:
        text = f.read()
    levels = {}
    for head in re.findall(r"<task ([^>]*)>", text):
        attr = dict(re.findall(r"(\w+)='([^']*)'", head))
        if "compile_id" in attr:
            levels[attr["compile_id"]] = attr.get("level", "4")
    spent, count = {}, {}
    for cid, method, start, done in re.findall(
            r"<task [^>]*?compile_id='(\d+)'[^>]*?method='([^' ]+)[^>]*?stamp='([0-9.]+)'[^>]*>.*?<task_done[^>]*stamp='([0-9.]+)'",
            text, re.S):
        if levels.get(cid, "4") != "4" or float(start) >= until:
            continue
        parts = method.split(".")
        pkg = ".".join(parts[:3])
        spent[pkg] = spent.get(pkg, 0.0) + float(done) - float(start)
        count[pkg] = count.get(pkg, 0) + 1
    total = sum(spent.values())
    print(f"C2 before {until:.1f} s: {sum(count.values())} compilations, {total:.1f} s from task to done")
    for pkg in sorted(spent, key=spent.get, reverse=True)[:12]:
        print(f"  {pkg:32s} {spent[pkg]:6.2f} s {count[pkg]:5d}")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--c2":
        c2_by_package(sys.argv[2], float(sys.argv[3]))
        return 0
    if len(sys.argv) < 3:
        print("\n".join(line.strip() for line in __doc__.strip().splitlines()[2:4]), file=sys.stderr)
        return 2
    since = float(sys.argv[2])
    prefixes = tuple(sys.argv[3:]) or ("io.switchyard.", "io.netty.")
    n = 0
    for stamp, reason, action, frames in traps(sys.argv[1]):
        if stamp < since or not any(f.startswith(prefixes) for f in frames):
            continue
        n += 1
        print(f"{stamp - since:8.3f} s  {reason} ({action})  " + " <- ".join(frames[:4]))
    print(f"traps after ready: {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
