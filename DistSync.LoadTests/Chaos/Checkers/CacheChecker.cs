using DistSync.LoadTests.Chaos.History;

namespace DistSync.LoadTests.Chaos.Checkers;

/// <summary>
/// Checks a cache history: each key a register, reads and writes linearizable (the cache semantics of docs/semantics.md), by the Wing–Gong–Lowe
/// search of <see cref="RegisterChecker"/>, one key at a time. Failed reads say nothing and are left out; a failed
/// write did not happen; an unknown write may have happened at any time after its invocation.
/// </summary>
public static class CacheChecker
{
    public const string Name = "cache";

    public static IReadOnlyList<Violation> Check(IReadOnlyList<ChaosOp> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        var ops = history.Where(o => o.Kind is OpKinds.CacheRead or OpKinds.CacheWrite)
            .Where(o => o.Outcome == Outcome.Ok || (o.Kind == OpKinds.CacheWrite && o.IsUnknown)).ToList();
        var registers = ops.Select(o => new RegisterOp(o.Process, o.Key, o.Kind == OpKinds.CacheWrite, o.Value, o.Invoked, o.IsUnknown ? long.MaxValue : o.Completed)).ToList();
        var result = RegisterChecker.Check(registers);
        if (result.Linearizable)
        {
            return [];
        }

        var around = result.Around.Select(a => (a.Client, a.Invoked)).ToHashSet();
        return [new Violation(Name, $"key {result.Key} is not linearizable: no order places {result.Stuck}", [.. ops.Where(o => around.Contains((o.Process, o.Invoked)))])];
    }
}
