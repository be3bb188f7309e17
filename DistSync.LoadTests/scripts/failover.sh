#!/usr/bin/env bash
# Leader failover as the dashboard's Kill does it: SIGKILL the leader's process, then time until both survivors
# name the same new leader in a higher term (polling GET /raft/status every 10 ms). The AppHost restarts the
# killed node; each round waits for it to be healthy again. Usage: failover.sh [rounds, default 5] [--no-dashboard]
# Run `dotnet build -c Release` first.
set -uo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-5}; shift || true
base=8201
dotnet run -c Release --project DistSync.AppHost --no-build -- --clean --data-dir /tmp/failover-data --base-port $base "$@" > /tmp/failover-apphost.log 2>&1 &
apphost=$!
trap 'kill -TERM $apphost 2>/dev/null; wait $apphost 2>/dev/null' EXIT
status() { curl -s -m 0.5 "http://127.0.0.1:$1/raft/status" || true; }
# One field of a small flat JSON object, without starting an interpreter (the poll must stay cheap).
field() { sed -nE "s/.*\"$1\":\"?([^\",}]*)\"?.*/\1/p" | sed 's/^null$//'; }
healthy() { for n in 1 2 3; do curl -sf -m1 "http://127.0.0.1:$((base + n - 1))/health" > /dev/null || return 1; done; }
until healthy && [ -n "$(status $base | field leader_id)" ]; do sleep 0.3; done
for round in $(seq 1 "$rounds"); do
  leader=$(status $base | field leader_id); term=$(status $base | field term)
  port=$((base + ${leader#node} - 1))
  pid=$(for p in $(pgrep -f "DistSync.Node/bin/Release/net10.0/DistSync.Node$"); do
          tr '\0' '\n' < /proc/$p/environ | grep -qx "ASPNETCORE_URLS=http://127.0.0.1:$port" && echo $p; done)
  others=(); for n in 1 2 3; do if [ "node$n" != "$leader" ]; then others+=($((base + n - 1))); fi; done
  t0=$(date +%s%N); kill -9 "$pid"
  while :; do
    a=$(status ${others[0]}); b=$(status ${others[1]})
    la=$(echo "$a" | field leader_id); lb=$(echo "$b" | field leader_id); ta=$(echo "$a" | field term)
    if [ -n "$la" ] && [ "$la" != "$leader" ] && [ "$la" = "$lb" ] && [ "${ta:-0}" -gt "$term" ]; then break; fi
    sleep 0.01
  done
  t1=$(date +%s%N)
  echo "round $round: killed $leader (term $term); $la leads term $ta after $(( (t1 - t0) / 1000000 )) ms"
  until healthy; do sleep 0.3; done
done
