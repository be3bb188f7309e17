namespace DistSync.LoadTests.Cli;

/// <summary>The tool's help: every command and its options.</summary>
public static class Usage
{
    public const string Text = """
        DistSync load tests. Start the cluster first: dotnet run -c Release --project DistSync.AppHost

        Usage: dotnet run -c Release --project DistSync.LoadTests -- <command> [options]

          scenario [--users 50] [--spawn-rate 10] [--wait 1-3s] [--minutes 1 | --seconds S] [--mix MIX]
                 [--resources 10] [--keys 200] [--lock-wait-ms 0] [--urls ... | --nodes 1,3] [--report DIR]
                 virtual users, as Locust runs them: each an app of its own (its own DistSyncClient and client
                 id, starting from its own node), looping over a weighted task mix (default
                 state:3,lock:2,queue:2,cache-get:3,cache-set:1) with think time between tasks (the state
                 task's GET /locks/state is a raw request: the client has no such read); a live table per
                 request (requests, failures, 409s, median, p95, p99, average, min, max, current RPS) and
                 failures grouped by message. --nodes 1,3 starts each cluster itself through the AppHost
                 (dashboard on), runs the mix, stops it, and sets the runs side by side

          chaos  [--minutes 5 | --seconds S] [--workload locks,queue,cache] [--nemesis kill,pause,partition,latency,redis,clock]
                 [--seed N] [--clients 6] [--redis single|cluster] [--report DIR]
                 the fault harness: starts its own 3-node cluster through the AppHost with every peer link through a
                 proxy it controls, runs apps of each workload (each its own DistSync.Client) while a seeded schedule
                 kills and pauses nodes (SIGKILL, SIGSTOP), partitions and delays links and kills Redis; then heals,
                 reads the final state and checks the history (locks: mutual exclusion, leases, fencing,
                 linearizable state reads; queue: at-least-once, nothing after its ack, dedup; cache: linearizable
                 keys). Exit code 1 on any violation. The report adds availability per fault type and each violation as a timeline.
                 --redis cluster runs the nodes on a Redis Cluster (three primaries, a replica each), where the redis
                 nemesis is kill-primary (stopped until its replica takes over, then killed), pause-primary (stopped
                 past the node timeout) or partition-primary (its replication link cut: writes there fail as 503)
          chaos  --check DIR    the checkers again over DIR/history.jsonl

          vs     [--systems distsync,etcd,nats,redis] [--workloads locks,contended,reads,queue,cache] [--levels 1,10,50]
                 [--driver client,http] [--distsync-redis single,cluster,cluster-nowait] [--seconds 10] [--warmup 3]
                 [--system-warmup 5] [--urls ...] [--report DIR]
                 DistSync beside etcd (locks), NATS JetStream (the queue) and Redis (the cache), one after another on
                 this machine with the same closed-loop workloads: lock pairs (each worker its own name), contended
                 grants (one name, at the levels above 1), linearizable reads and cache hits (at the top level),
                 publish->consume->ack round trips. Before a system's first level of a workload, it runs that
                 workload at the top level for --system-warmup seconds, unrecorded (a fresh DistSync node runs
                 first-tier JIT code; every side gets the same). Starts the peers itself as local processes (3-member etcd, 3-server
                 JetStream with an R3 file stream, Redis with appendfsync always; Debian's etcd-server, nats-server and
                 redis-server) and DistSync through the AppHost (dashboard on) unless --urls names a running cluster;
                 prints each side's ops/s, p50, p99, the ratio DistSync/peer per driver and each side's durability;
                 stops and deletes everything it started. --report adds versus.md, a table for docs/benchmarks.md.
                 --distsync-redis (default single) runs DistSync on each Redis setup named, one cluster after the
                 other: single (one redis-server), cluster (--redis cluster: 3 primaries + 3 replicas, each queue and
                 cache write answered after WAIT 1 replica), cluster-nowait (the same, no replica wait). The peers and
                 the lock workloads run with the first setup only; queue and cache on each, with a second table of
                 cluster/single and wait/no-wait ratios. Not with --urls

          scale  [--sizes 3,5,7] [--held 1000,10000,99000] [--topics 10,100,900] [--partitions 8,64,256]
                 [--keys 1000,10000,100000] [--cluster-warmup 10] [--seconds 5] [--warmup 2]
                 how cost grows: starts a cluster of each size through the AppHost (dashboard on), warms it up (each
                 workload for --cluster-warmup seconds, unrecorded: a fresh node runs first-tier JIT code), and
                 measures lock pairs (10 clients), queue round trips (10) and cache hits (50), then, on the first
                 cluster, grows its state in turn (held locks, idle topics of 8 partitions, the measured topic's
                 partitions, cached keys read on every node) and measures the workload each affects; after each
                 point, every node's resident memory and its CPU with no load over 5 s; a Markdown table at the end.
                 Raw HTTP throughout; about 8 minutes with the defaults

          compare A B [C ...] [--report DIR]
                 report folders side by side, endpoint by endpoint: req/s, p50, p99 and ratios to A

          http   --url URL [-n 10000] [-c 50] [--method GET|POST] [--body JSON] [--max-seconds 120]
                 N requests at concurrency C against one URL (the original system's benchmark)

          raft   [--levels 1,16,64] [--via leader|followers] [common options]
                 committed Raft proposals/s and commit latency: each proposer renews its own lock
                 (one Raft entry per renew) in a closed loop, sent to the leader or through followers

          locks  [--levels 1,10,50] [--contended-clients 10] [--wait-ms 5000] [--state-clients 50] [--driver D] [common options]
                 uncontended acquire+release pairs/s, contended grants/s on one resource, GET /locks/state req/s

          queue  [--levels 1,10,50] [--batch-clients 10] [--batch-size 100] [--redeliveries 100] [--visibility 1] [--driver D] [common options]
                 publish->consume->ack round trips/s, publish alone, publish batches (msgs/s), and the
                 redelivery delay after a consumer dies (consumes, never acks)

          cache  [--clients 50] [--keys 100] [--write-clients 10] [--rounds 3] [--bare-telemetry on|off] [--driver D] [common options]
                 hit GETs against a bare ASP.NET Core endpoint measured in the same run (a hit's answer size,
                 the nodes' telemetry unless off), sets with 0, 1 and 2 sharers to invalidate, and a 95/5
                 read-mostly mix over all nodes

          all    [--raft-levels 1,16,64] [--via leader|followers] [--lock-levels 1,10,50] [locks options] [common options]
                 raft, then locks, then a Markdown table for docs/benchmarks.md with the machine and command line

        Drivers (--driver D of locks, queue, cache, and of all's locks): how the operations reach the cluster
          client               the default: one DistSyncClient shared by the workers, as an app uses DistSync
                               (lock writes to the leader, publishes and acks to the partition's owner, cache
                               calls to the key's home; request ids, retries of 429s and 503s, batched acks),
                               so the figures say what an app gets
          http                 pre-encoded raw requests through the tool's own HTTP client, spread over the
                               nodes (which forward): the API without the client, as every figure dated
                               before 2026-12-07 was taken
          Lock-state reads, /alive, the bare endpoint and raft's renewals are raw requests under either.

        Common options:
          --urls URL,URL,...   the nodes (default http://127.0.0.1:8001,http://127.0.0.1:8002,http://127.0.0.1:8003)
          --token TOKEN        the bearer token to send (default: DISTSYNC_TOKEN, else the admin token the
                               AppHost generated for dotnet run, read from its user secrets)
          --seconds S          measured seconds per level (default 10)
          --warmup S           unrecorded seconds before each level (default 3: the nodes' JIT settles; 0 for none)
          --max-ops N          stop a level after N operations (default 2000000)
          --report DIR         also write DIR/index.html (charts: throughput and p50/p99 over time, latency
                               histograms), report.json (every figure, the machine, the command line) and CSVs;
                               every command takes it

        The load generator runs on the same machine as the cluster unless you move it: its CPU use is
        part of what is measured.
        """;

    /// <summary>Says the command is unknown and shows the help; exit code 2, as for any bad command line.</summary>
    public static int UnknownCommand(string command)
    {
        Console.Error.WriteLine($"error: unknown command '{command}'.");
        Console.Error.WriteLine(Text);
        return 2;
    }
}
