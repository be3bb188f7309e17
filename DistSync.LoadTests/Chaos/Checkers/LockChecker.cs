using DistSync.LoadTests.Chaos.History;

namespace DistSync.LoadTests.Chaos.Checkers;

/// <summary>
/// Checks a lock history (exclusive locks) against the lock semantics of docs/semantics.md:
/// <list type="bullet">
/// <item>mutual exclusion: no two clients hold a resource at the same moment of real time. A client surely holds from
/// its acquire's answer until it invokes its release, until its client declares the hold lost (<see cref="OpKinds.Lost"/>:
/// a session's holds), or until its lease could have run out (the grant happened after the invocation, so the lease
/// lasts at least until invocation + ttl less the documented clock-rate allowance of 1 %), whichever is first;</item>
/// <item>fencing: a grant that completed before another was invoked carries the smaller token, and no two grants share one;</item>
/// <item>lock state reads (<c>GET /locks/state</c>, or <c>GET /locks/resource</c> when the read names its resource) are
/// linearizable: each resource is a register holding its holder, written by grants (the client) and releases (nobody),
/// by a lease's expiry (nobody, any time after invocation + ttl unless released before) and by a lost session's end
/// (nobody, any time after the loss), checked by <see cref="RegisterChecker"/>.</item>
/// </list>
/// </summary>
public static class LockChecker
{
    public const string Name = "locks";

    /// <summary>How fast the leader's clock may run against real time (the docs' tolerance): a lease may end this much early.</summary>
    public const double ClockRateAllowance = 0.01;

    public static IReadOnlyList<Violation> Check(IReadOnlyList<ChaosOp> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        var violations = new List<Violation>();
        var locks = history.Where(IsLockChange).GroupBy(o => o.Key, StringComparer.Ordinal);
        foreach (var resource in locks.OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var holds = Holds([.. resource]);
            violations.AddRange(Overlaps(resource.Key, holds));
            violations.AddRange(Fencing(resource.Key, holds));
        }

        violations.AddRange(StateReads(history));
        return violations;
    }

    /// <summary>A granted acquire, the release that ended it (if any), and when the client surely held the lock.</summary>
    private sealed record Hold(ChaosOp Grant, ChaosOp? Release, long From, long Until);

    private static List<Hold> Holds(IReadOnlyList<ChaosOp> ops)
    {
        var releases = new Releases(ops);
        var holds = new List<Hold>();
        foreach (var grant in ops.Where(o => o.Kind == OpKinds.Acquire && o.Outcome == Outcome.Ok))
        {
            var release = releases.After(grant);
            var leaseEnd = grant.TtlMs is { } ttl ? grant.Invoked + LeaseMicros(ttl) : long.MaxValue;
            var until = Math.Min(release?.Invoked ?? long.MaxValue, leaseEnd);
            holds.Add(new Hold(grant, release, grant.Completed, until));
        }

        return holds;
    }

    /// <summary>The shortest a lease of <paramref name="ttlMs"/> may last in real time, in the history's microseconds.</summary>
    private static long LeaseMicros(long ttlMs) => (long)(ttlMs * 1000 * (1 - ClockRateAllowance));

    /// <summary>One resource's releases by client, in invocation order.</summary>
    private sealed class Releases(IReadOnlyList<ChaosOp> ops)
    {
        private readonly Dictionary<string, List<ChaosOp>> _byProcess = ops.Where(o => o.Kind is OpKinds.Release or OpKinds.Lost)
            .GroupBy(o => o.Process, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.OrderBy(o => o.Invoked).ToList(), StringComparer.Ordinal);

        /// <summary>The same client's first release (or loss) invoked after the grant answered.</summary>
        public ChaosOp? After(ChaosOp grant)
        {
            if (grant.IsUnknown || !_byProcess.TryGetValue(grant.Process, out var list))
            {
                return null;
            }

            int lo = 0, hi = list.Count;
            while (lo < hi)
            {
                var mid = (lo + hi) / 2;
                if (list[mid].Invoked < grant.Completed)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            return lo < list.Count ? list[lo] : null;
        }
    }

    private static IEnumerable<Violation> Overlaps(string resource, List<Hold> holds)
    {
        // Sweep by start: each hold is compared with the one reaching furthest so far.
        Hold? furthest = null;
        foreach (var hold in holds.Where(h => h.Until > h.From).OrderBy(h => h.From))
        {
            if (furthest is not null && hold.From < furthest.Until && hold.Grant.Process != furthest.Grant.Process)
            {
                yield return new Violation(Name,
                    $"{resource}: {furthest.Grant.Process} and {hold.Grant.Process} both held it exclusively from {hold.From / 1000.0:F1} ms " +
                    $"to {Math.Min(hold.Until, furthest.Until) / 1000.0:F1} ms, and neither lease could have run out",
                    Ops(furthest, hold));
            }

            if (furthest is null || hold.Until > furthest.Until)
            {
                furthest = hold;
            }
        }
    }

    private static IEnumerable<Violation> Fencing(string resource, List<Hold> holds)
    {
        var granted = holds.Where(h => h.Grant.Token is not null).ToList();
        foreach (var same in granted.GroupBy(h => h.Grant.Token!.Value).Where(g => g.Select(h => h.Grant.Process).Distinct().Count() > 1))
        {
            yield return new Violation(Name, $"{resource}: fencing token {same.Key} was granted to {string.Join(" and ", same.Select(h => h.Grant.Process).Distinct())}",
                [.. same.Select(h => h.Grant)]);
        }

        // A grant must carry a larger token than every grant that had completed before it was invoked.
        var byCompletion = granted.OrderBy(h => h.Grant.Completed).ToList();
        var next = 0;
        Hold? highest = null;
        foreach (var hold in granted.OrderBy(h => h.Grant.Invoked))
        {
            while (next < byCompletion.Count && byCompletion[next].Grant.Completed < hold.Grant.Invoked)
            {
                if (highest is null || byCompletion[next].Grant.Token > highest.Grant.Token)
                {
                    highest = byCompletion[next];
                }

                next++;
            }

            if (highest is not null && hold.Grant.Token < highest.Grant.Token)
            {
                yield return new Violation(Name,
                    $"{resource}: {hold.Grant.Process} was granted token {hold.Grant.Token} after {highest.Grant.Process}'s grant with token {highest.Grant.Token} had completed",
                    [highest.Grant, hold.Grant]);
            }
        }
    }

    private static IEnumerable<Violation> StateReads(IReadOnlyList<ChaosOp> history)
    {
        var reads = history.Where(o => o.Kind == OpKinds.LockState && o.Outcome == Outcome.Ok).ToList();
        if (reads.Count == 0)
        {
            return [];
        }

        var registers = new List<RegisterOp>();
        foreach (var resource in history.Where(IsLockChange).GroupBy(o => o.Key, StringComparer.Ordinal))
        {
            var ops = resource.ToList();
            var releases = new Releases(ops);
            foreach (var op in ops.Where(o => o.Outcome != Outcome.Failed))
            {
                var completed = op.IsUnknown ? long.MaxValue : op.Completed;
                registers.Add(new RegisterOp(op.Process, resource.Key, true, op.Kind == OpKinds.Acquire ? op.Process : null, op.Invoked, completed));
                if (op.Kind == OpKinds.Acquire && op.TtlMs is { } ttl)
                {
                    // The lease may run out any time from invocation + ttl, unless a release had surely ended it first.
                    var expires = op.Invoked + LeaseMicros(ttl);
                    var release = releases.After(op);
                    if (release is not { Outcome: Outcome.Ok } || release.Completed > expires)
                    {
                        registers.Add(new RegisterOp(op.Process + " (lease)", resource.Key, true, null, expires, long.MaxValue));
                    }
                }
            }
        }

        // A read joins a resource's register only while that resource is in use (or when it names the resource): a
        // long run renames its resources as it goes, and every read of every resource would make the search quadratic.
        var spans = Spans(history);
        foreach (var read in reads)
        {
            var holders = LockStateValue.Parse(read.Value);
            if (read.Key.Length > 0)
            {
                // A read of one resource says nothing of the others.
                registers.Add(new RegisterOp(read.Process, read.Key, false, holders.GetValueOrDefault(read.Key), read.Invoked, read.Completed));
                continue;
            }

            foreach (var (resource, span) in spans)
            {
                if ((read.Completed >= span.From && read.Invoked <= span.To) || holders.ContainsKey(resource))
                {
                    registers.Add(new RegisterOp(read.Process, resource, false, holders.GetValueOrDefault(resource), read.Invoked, read.Completed));
                }
            }

            foreach (var named in holders.Keys.Where(k => !spans.ContainsKey(k)))
            {
                registers.Add(new RegisterOp(read.Process, named, false, holders[named], read.Invoked, read.Completed)); // held, yet never acquired
            }
        }

        var result = RegisterChecker.Check(registers);
        if (result.Linearizable)
        {
            return [];
        }

        // The operations on that resource, and the state reads, over the span of the failing neighbourhood.
        var from = result.Around.Min(a => a.Invoked);
        var to = result.Around.Max(a => a.Completed);
        return
        [
            new Violation(Name, $"lock state reads are not linearizable: {result}",
                [.. history.Where(o => (o.Key == result.Key || o.Kind == OpKinds.LockState) && o.Invoked <= to && o.Completed >= from).Take(60)]),
        ];
    }

    /// <summary>
    /// When each resource could hold anyone: from its first operation's invocation to the last moment any of them
    /// could still take effect and its lease run (an unknown outcome is given <see cref="UnknownHorizon"/> to land),
    /// and <see cref="ReadHorizon"/> more: the reads then that see nobody are what pin a lease's expiry (which may
    /// come any time after it could) before any later read naming the old holder.
    /// </summary>
    private static Dictionary<string, (long From, long To)> Spans(IReadOnlyList<ChaosOp> history) =>
        history.Where(o => IsLockChange(o) && o.Outcome != Outcome.Failed).GroupBy(o => o.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (g.Min(o => o.Invoked),
                g.Max(o => (o.IsUnknown ? o.Invoked + UnknownHorizon : o.Completed) + ((o.TtlMs ?? 0) * 1000)) + ReadHorizon), StringComparer.Ordinal);

    /// <summary>How long after its invocation an operation with an unknown outcome is assumed able to take effect: a Raft entry is committed or lost within an election or two.</summary>
    private const long UnknownHorizon = 60_000_000;

    /// <summary>How long past its last possible change a resource's register keeps taking the reads that see nobody.</summary>
    private const long ReadHorizon = 20_000_000;

    private static bool IsLockChange(ChaosOp op) => op.Kind is OpKinds.Acquire or OpKinds.Release or OpKinds.Lost;

    private static ChaosOp[] Ops(Hold a, Hold b) =>
        [.. new[] { a.Grant, a.Release, b.Grant, b.Release }.OfType<ChaosOp>().OrderBy(o => o.Invoked)];
}

/// <summary>
/// A state read's value in a history: <c>resource=holder</c> pairs joined by <c>;</c>, for the resources that had a holder
/// (a resource not named had none).
/// </summary>
public static class LockStateValue
{
    public static string Format(IEnumerable<KeyValuePair<string, string>> holders) =>
        string.Join(';', holders.OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => $"{h.Key}={h.Value}"));

    public static Dictionary<string, string> Parse(string? value) =>
        (value ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2))
            .ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "", StringComparer.Ordinal);
}
