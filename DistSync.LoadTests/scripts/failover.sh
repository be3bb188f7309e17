#!/usr/bin/env bash
# Leader failover: SIGKILL the leader 5 times (the AppHost restarts it), read from the nodes' logs when a new leader was known.
cd "$(dirname "$0")/../.."
nohup dotnet run -c Release --project DistSync.AppHost --no-build -- --clean --data-dir /tmp/fo-data --base-port 8201 --no-dashboard > /tmp/fo3.log 2>&1 &
sleep 12
for round in 1 2 3 4 5; do
  L=$(curl -s localhost:8201/raft/status | python3 -c "import json,sys;print(json.load(sys.stdin)['leader_id'])")
  P=$((8200 + ${L#node}))
  PID=$(pgrep -f "DistSync.Node.dll" | while read p; do if tr '\0' '\n' < /proc/$p/environ 2>/dev/null | grep -q "ASPNETCORE_URLS=http://127.0.0.1:$P"; then echo $p; fi; done)
  T0=$(date +%H:%M:%S.%3N); kill -9 $PID; sleep 6
  T1=$(grep "Leader is now node" /tmp/fo3.log | grep -v "Leader is now $L " | awk -v t="$T0" '{ if ($3 > t) { print $3; exit } }')
  python3 -c "
from datetime import datetime as d
f='%H:%M:%S.%f'; print('round $round: killed $L at $T0, new leader known at $T1:', round((d.strptime('$T1',f)-d.strptime('$T0',f)).total_seconds()*1000), 'ms')"
done
pkill -TERM -f "DistSync.AppHost --clean --data-dir /tmp/fo-data"
