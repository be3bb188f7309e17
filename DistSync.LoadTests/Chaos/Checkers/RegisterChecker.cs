namespace DistSync.LoadTests.Chaos.Checkers;

/// <summary>
/// Checks that a history of reads and writes is linearizable, one key at a time (each key is an independent register:
/// partitioning the history this way is what Porcupine and Knossos do to keep the search small). The search is Wing
/// and Gong's, with Lowe's memo of (linearized set, register value) pairs already explored: walk the events in time
/// order; at a call, try to linearize that operation now (a write always can; a read only if it returns the current
/// value); at a return whose operation is not yet linearized, backtrack. Unknown outcomes return at infinity.
/// (Wing &amp; Gong 1993, "Testing and verifying concurrent objects"; Lowe 2017, "Testing for linearizability".)
/// </summary>
public static class RegisterChecker
{
    public static LinearizabilityResult Check(IEnumerable<RegisterOp> history, string? initial = null)
    {
        foreach (var key in history.GroupBy(o => o.Key).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var result = CheckKey([.. key], initial);
            if (!result.Linearizable)
            {
                return result;
            }
        }

        return LinearizabilityResult.Ok;
    }

    private static LinearizabilityResult CheckKey(IReadOnlyList<RegisterOp> all, string? initial)
    {
        // A write of unknown outcome whose value no read returned is left out: it may never have taken effect, and a
        // linearization that places it anywhere stays one without it (no read accepts its value, so nothing is placed
        // while it is the register's). Such writes (a 503 that may have been applied) stay open to the end of the
        // history and multiply the orders to search; a few dozen on one key made the search run out of memory.
        var read = all.Where(o => !o.IsWrite).Select(o => o.Value).ToHashSet();
        IReadOnlyList<RegisterOp> ops = [.. all.Where(o => !(o.IsWrite && o.Unknown && !read.Contains(o.Value)))];
        // Events: a call and a return per operation; at equal times, calls first. Clocks have a resolution: one
        // operation returning and another starting within the same tick are taken as concurrent, never as ordered.
        var events = ops.SelectMany((op, i) => new[] { new Event(i, true, op.Invoked), new Event(i, false, op.Completed) })
            .OrderBy(e => e.Time).ThenBy(e => e.IsCall ? 0 : 1).ThenBy(e => e.Op).ToList();
        var head = new Node(null);
        var tail = head;
        var calls = new Node[ops.Count];
        foreach (var e in events)
        {
            var node = new Node(e) { Prev = tail };
            tail.Next = node;
            tail = node;
            if (e.IsCall)
            {
                calls[e.Op] = node;
            }
            else
            {
                calls[e.Op].Match = node;
            }
        }

        var linearized = new bool[ops.Count];
        var memo = new HashSet<(string Set, string? State)>();
        var stack = new Stack<(Node Call, string? State)>();
        var state = initial;
        var entry = head.Next;
        var deepest = 0;
        (int Op, int Depth) stuck = (-1, -1);
        while (head.Next is not null)
        {
            if (entry!.Event!.Value.IsCall)
            {
                var op = ops[entry.Event.Value.Op];
                var (ok, next) = op.IsWrite ? (true, op.Value) : (op.Value == state, state);
                if (ok)
                {
                    linearized[entry.Event.Value.Op] = true;
                    if (memo.Add((Signature(linearized), next)))
                    {
                        stack.Push((entry, state));
                        state = next;
                        deepest = Math.Max(deepest, stack.Count);
                        Lift(entry);
                        entry = head.Next;
                        continue;
                    }

                    linearized[entry.Event.Value.Op] = false;
                }

                entry = entry.Next;
            }
            else
            {
                // The operation returning here could not be placed after the longest order found: the likeliest culprit.
                if (stack.Count > stuck.Depth)
                {
                    stuck = (entry.Event.Value.Op, stack.Count);
                }

                if (stack.Count == 0)
                {
                    return Failure(ops, stuck.Op, deepest);
                }

                var (call, before) = stack.Pop();
                state = before;
                linearized[call.Event!.Value.Op] = false;
                Unlift(call);
                entry = call.Next;
            }
        }

        return LinearizabilityResult.Ok;
    }

    /// <summary>The operation that could not be placed, and every operation overlapping it: the failing neighbourhood.</summary>
    private static LinearizabilityResult Failure(IReadOnlyList<RegisterOp> ops, int stuck, int deepest)
    {
        var op = ops[stuck];
        // The operations that overlap it, and the last ones that finished before it began.
        var overlapping = ops.Where(o => o.Invoked <= op.Completed && o.Completed >= op.Invoked);
        var before = ops.Where(o => o.Completed < op.Invoked).OrderByDescending(o => o.Completed).Take(8);
        var around = overlapping.Concat(before).Distinct().OrderBy(o => o.Invoked).Take(40).ToList();
        return new LinearizabilityResult(false, op.Key, op, around, deepest);
    }

    private static string Signature(bool[] linearized)
    {
        var chars = new char[(linearized.Length + 15) / 16];
        for (var i = 0; i < linearized.Length; i++)
        {
            if (linearized[i])
            {
                chars[i / 16] |= (char)(1 << (i % 16));
            }
        }

        return new string(chars);
    }

    private static void Lift(Node call)
    {
        call.Prev!.Next = call.Next;
        call.Next!.Prev = call.Prev;
        var match = call.Match!;
        match.Prev!.Next = match.Next;
        if (match.Next is not null)
        {
            match.Next.Prev = match.Prev;
        }
    }

    private static void Unlift(Node call)
    {
        var match = call.Match!;
        match.Prev!.Next = match;
        if (match.Next is not null)
        {
            match.Next.Prev = match;
        }

        call.Prev!.Next = call;
        call.Next!.Prev = call;
    }

    private readonly record struct Event(int Op, bool IsCall, long Time);

    private sealed class Node(Event? e)
    {
        public Event? Event { get; } = e;

        public Node? Prev { get; set; }

        public Node? Next { get; set; }

        public Node? Match { get; set; }
    }
}

/// <summary>
/// The verdict. When not linearizable: the key, the operation no order could place (a read that returned a value no
/// write could still have left there), the writes around it, and how many operations the longest order placed.
/// </summary>
public sealed record LinearizabilityResult(bool Linearizable, string? Key, RegisterOp? Stuck, IReadOnlyList<RegisterOp> Around, int LongestPrefix)
{
    public static readonly LinearizabilityResult Ok = new(true, null, null, [], 0);

    public override string ToString() => Linearizable
        ? "linearizable"
        : $"key {Key} is not linearizable: no order places {Stuck} (longest order placed {LongestPrefix} operations). Around it:{Environment.NewLine}  "
            + string.Join(Environment.NewLine + "  ", Around);
}
