using DistSync.LoadTests.Chaos.Checkers;
using DistSync.LoadTests.Chaos.History;

namespace DistSync.Tests.Chaos;

/// <summary>A saved history reads back the same, so a run can be checked again offline; the cache checker reads it.</summary>
public sealed class HistoryFileTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"history-{Guid.NewGuid():n}.jsonl");

    [Fact]
    public void WriteThenRead_GivesTheSameOperations()
    {
        ChaosOp[] history =
        [
            new("a", "node1", OpKinds.Acquire, "r", null, 10, 20, Outcome.Ok) { Token = 7, TtlMs = 3000 },
            new("b", "node2", OpKinds.CacheWrite, "k", "v\"1", 30, long.MaxValue, Outcome.Unknown) { Detail = "timeout" },
        ];

        HistoryFile.Write(_path, history);

        Assert.Equal(history, HistoryFile.Read(_path));
    }

    [Fact]
    public void Read_ALineThatIsNoOperation_SaysWhere()
    {
        File.WriteAllLines(_path, ["""{"process":"a","node":"n","kind":"k","key":"x","invoked":1,"completed":2,"outcome":"ok"}""", "{oops"]);

        var error = Assert.Throws<InvalidDataException>(() => HistoryFile.Read(_path));

        Assert.StartsWith($"{_path}:2: not an operation", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CacheChecker_StaleReadAfterAWriteReturned_IsCaught_AndAnUnknownWriteMayExplainARead()
    {
        ChaosOp Op(string kind, string? value, long from, long to, Outcome outcome = Outcome.Ok) =>
            new("c", "node1", kind, "k", value, from, outcome == Outcome.Unknown ? long.MaxValue : to, outcome);

        Assert.Single(CacheChecker.Check([Op(OpKinds.CacheWrite, "1", 0, 10), Op(OpKinds.CacheWrite, "2", 20, 30), Op(OpKinds.CacheRead, "1", 40, 50)]));
        Assert.Empty(CacheChecker.Check([Op(OpKinds.CacheWrite, "1", 0, 10), Op(OpKinds.CacheWrite, "2", 20, 0, Outcome.Unknown), Op(OpKinds.CacheRead, "2", 40, 50)]));
        Assert.Empty(CacheChecker.Check([Op(OpKinds.CacheWrite, "1", 0, 10), Op(OpKinds.CacheWrite, "2", 20, 0, Outcome.Failed), Op(OpKinds.CacheRead, "1", 40, 50)]));
    }

    public void Dispose() => File.Delete(_path);
}
