using DistSync.LoadTests.Chaos.Checkers;

namespace DistSync.Tests.Chaos;

/// <summary>The checker itself: it accepts what a register may do and rejects what it may not.</summary>
public sealed class RegisterCheckerTests
{
    private static RegisterOp W(string v, long from, long to, string client = "a") => new(client, "k", true, v, from, to);

    private static RegisterOp R(string? v, long from, long to, string client = "b") => new(client, "k", false, v, from, to);

    [Fact]
    public void Sequential_ReadsTheLastWrite_IsLinearizable() =>
        Assert.True(RegisterChecker.Check([W("1", 0, 1), R("1", 2, 3), W("2", 4, 5), R("2", 6, 7)]).Linearizable);

    [Fact]
    public void ReadAfterAWriteReturned_SeesAnOlderValue_IsNot()
    {
        var result = RegisterChecker.Check([W("1", 0, 1), W("2", 2, 3), R("1", 4, 5)]);

        Assert.False(result.Linearizable);
        Assert.Equal(R("1", 4, 5), result.Stuck);
    }

    [Fact]
    public void ReadConcurrentWithAWrite_MaySeeEither() =>
        Assert.True(RegisterChecker.Check([W("1", 0, 1), W("2", 2, 10), R("1", 3, 4), R("2", 5, 6, "c")]).Linearizable);

    [Fact]
    public void TwoReadsDuringAWrite_NewThenOld_IsNot() =>
        // Once one read has seen the new value, a read that starts after it returned cannot see the old one.
        Assert.False(RegisterChecker.Check([W("1", 0, 1), W("2", 2, 20), R("2", 3, 4), R("1", 5, 6, "c")]).Linearizable);

    [Fact]
    public void UnknownWrite_MayTakeEffectLate_OrNever()
    {
        Assert.True(RegisterChecker.Check([W("1", 0, 1), W("2", 2, long.MaxValue), R("1", 10, 11), R("2", 20, 21)]).Linearizable);
        Assert.True(RegisterChecker.Check([W("1", 0, 1), W("2", 2, long.MaxValue), R("1", 10, 11)]).Linearizable);
    }

    [Fact]
    public void ManyUnknownWritesNobodyRead_AreLeftOut_SoTheSearchStaysSmall_AndAViolationIsStillFound()
    {
        // Sixty writes that may have been applied, on one key among a thousand answered operations: each stays open to
        // the end, and searching every place each could take was what ran out of memory.
        var ops = new List<RegisterOp>();
        for (var i = 0; i < 1000; i++)
        {
            var value = $"v{i}";
            ops.Add(W(value, 10 * i, (10 * i) + 2));
            ops.Add(R(value, (10 * i) + 3, (10 * i) + 4));
            if (i % 16 == 0)
            {
                ops.Add(W($"lost{i}", (10 * i) + 1, long.MaxValue, client: "c"));
            }
        }

        Assert.True(RegisterChecker.Check(ops).Linearizable);
        // An unknown write that a read returned still counts: it took effect then (else that read saw a value nobody wrote)
        ops.Add(R("lost16", 165, 166));
        Assert.True(RegisterChecker.Check(ops).Linearizable);
        // ... and only once: read again after v17 was read back, it would have to take effect twice.
        ops.Add(R("lost16", 175, 176));
        Assert.False(RegisterChecker.Check(ops).Linearizable);
    }

    [Fact]
    public void ReadOfANeverWrittenValue_IsNot() =>
        Assert.False(RegisterChecker.Check([W("1", 0, 1), R("3", 2, 3)]).Linearizable);

    [Fact]
    public void InitialValue_IsNull() =>
        Assert.True(RegisterChecker.Check([R(null, 0, 1), W("1", 2, 3)]).Linearizable);

    [Fact]
    public void KeysAreCheckedApart()
    {
        var ops = new[] { W("1", 0, 1) with { Key = "a" }, R(null, 2, 3) with { Key = "b" }, R("1", 2, 3) with { Key = "a" } };

        Assert.True(RegisterChecker.Check(ops).Linearizable);
    }

    [Fact]
    public void ManyConcurrentOperations_FinishQuickly()
    {
        // 2,000 operations from 8 clients, overlapping heavily: the memo keeps the search small.
        var random = new Random(1);
        var ops = new List<RegisterOp>();
        var value = "0";
        var t = 0L;
        for (var i = 0; i < 2000; i++)
        {
            t += random.Next(1, 3);
            if (random.Next(4) == 0)
            {
                value = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                ops.Add(W(value, t - 1, t + random.Next(1, 20), $"c{i % 8}"));
            }
            else
            {
                ops.Add(R(value, t, t + random.Next(1, 20), $"c{i % 8}"));
            }
        }

        Assert.True(RegisterChecker.Check(ops, "0").Linearizable);
    }
}
