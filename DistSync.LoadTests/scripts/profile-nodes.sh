#!/usr/bin/env bash
# Where a node's CPU goes: samples every running DistSync node process with perf (499 Hz, call stacks) while a
# benchmark runs, then sorts the samples into categories (HTTP server, sockets, JSON, telemetry, Redis client,
# Raft, fsync, GC, JIT, ...). Start the cluster so that perf can name JIT-compiled frames:
#   dotnet run -c Release --project DistSync.AppHost -- --no-sample \
#     --DistSync:NodeEnvironment:DOTNET_PerfMapEnabled=1 --DistSync:NodeEnvironment:DOTNET_EnableWriteXorExecute=0
# then start the load, and while it runs: profile-nodes.sh [seconds, default 8] [output file, default /tmp/nodes.perf]
# Needs perf (Debian: linux-perf) and python3.
set -euo pipefail
seconds=${1:-8}
out=${2:-/tmp/nodes.perf}
pids=$(pgrep -f 'DistSync\.Node$|DistSync\.Node\.dll' | paste -sd, -)
if [ -z "$pids" ]; then
  echo "no DistSync.Node process is running" >&2
  exit 2
fi
perf record -F 499 -g -p "$pids" -o "$out" -- sleep "$seconds" 2> >(grep -v '^\[ perf record' >&2)
python3 "$(dirname "$0")/perf-categories.py" "$out"
