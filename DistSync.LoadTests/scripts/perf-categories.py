#!/usr/bin/env python3
"""Sorts the samples of a `perf record -g` file of DistSync nodes into categories and prints each one's share.

A sample counts for fsync/disk, GC or JIT when any frame of its stack is theirs, and for spin-waiting when the
thread pool was yielding the CPU. Otherwise it counts for the category of the innermost (leaf-most) user-space
frame that belongs to one, so a socket write made by the Redis client counts for the Redis client, and a
middleware that wraps every request counts only for its own work. Raw sockets, the thread pool and the
scheduler count only when nothing else on the stack claims the sample.
Usage: perf-categories.py FILE
"""
import collections
import re
import subprocess
import sys

WHOLE_STACK = [
    ("spin-wait (thread pool yielding the CPU)", r"sched_yield"),
    ("fsync and disk", r"fsync|fdatasync|ext4_|jbd2|blk_"),
    ("GC", r"WKS::|SVR::|gc_heap|GCHeap|GarbageCollect"),
    ("JIT", r"libclrjit|TieredCompilation|CallCountingManager"),
]
INNERMOST = [
    ("telemetry (OpenTelemetry, Activity, metrics, logging)",
     r"OpenTelemetry|System\.Diagnostics\.(Activity|Metrics|DiagnosticListener|DiagnosticSource)|Microsoft\.Extensions\.Logging|Microsoft\.Extensions\.Diagnostics"),
    ("Redis client (StackExchange.Redis)", r"StackExchange\.Redis|Pipelines\.Sockets"),
    ("HttpClient (forwards between nodes)", r"System\.Net\.Http|SocketsHttpHandler"),
    ("JSON", r"System\.Text\.Json"),
    ("auth, audit, limits (middleware)", r"DistSync\.Node\.Security|RateLimit|Authentication|Authorization"),
    ("Raft", r"DistSync\.Node\.Consensus|DistSync\.Raft"),
    ("queue", r"DistSync\.Node\.Queue"),
    ("locks", r"DistSync\.Node\.Locks"),
    ("cache", r"DistSync\.Node\.Cache"),
    ("other DistSync", r"DistSync\."),
    ("Kestrel and ASP.NET Core", r"Microsoft\.AspNetCore|Kestrel"),
]
FALLBACK = [
    ("sockets (System.Net.Sockets, epoll, TCP)", r"System\.Net\.Sockets|SocketAsyncEngine|epoll|sock_|tcp_|__send|__recv"),
    ("thread pool and tasks", r"ThreadPool|LowLevelLifoSemaphore|System\.Threading\.|futex|System\.Runtime\.CompilerServices"),
    ("scheduler (context switches)", r"schedule|finish_task_switch|__switch_to"),
]


def category(frames):
    for name, pattern in WHOLE_STACK:
        if any(re.search(pattern, f) for f in frames):
            return name
    for frame in frames:  # innermost first
        if "[kernel" in frame:
            continue
        for name, pattern in INNERMOST:
            if re.search(pattern, frame):
                return name
    for name, pattern in FALLBACK:
        if any(re.search(pattern, f) for f in frames):
            return name
    return "other (runtime, libc, unnamed)"


def main(path):
    script = subprocess.run(["perf", "script", "-i", path, "-F", "ip,sym,dso"], capture_output=True, text=True, check=True).stdout
    counts = collections.Counter()
    for block in script.split("\n\n"):
        frames = [line.strip() for line in block.strip().split("\n") if line.strip()]
        if frames:
            counts[category(frames)] += 1
    total = sum(counts.values())
    if total == 0:
        sys.exit("no samples")
    for name, count in counts.most_common():
        print(f"{100 * count / total:5.1f} %  {name}")
    print(f"{total} samples")


if __name__ == "__main__":
    main(sys.argv[1])
