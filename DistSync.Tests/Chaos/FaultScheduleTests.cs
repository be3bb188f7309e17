using DistSync.LoadTests.Chaos.Nemesis;

namespace DistSync.Tests.Chaos;

/// <summary>A seed names one schedule: faults that never overlap, leave the end quiet, and go round every nemesis asked for.</summary>
public sealed class FaultScheduleTests
{
    [Fact]
    public void Generate_SameSeed_SameSchedule_OtherSeed_AnotherOne()
    {
        var a = FaultSchedule.Generate(42, TimeSpan.FromMinutes(3), Nemeses.All);
        var b = FaultSchedule.Generate(42, TimeSpan.FromMinutes(3), Nemeses.All);
        var c = FaultSchedule.Generate(43, TimeSpan.FromMinutes(3), Nemeses.All);

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(1234)]
    public void Generate_FaultsInTurn_WithQuietSpells_AndAQuietEnd(int seed)
    {
        var length = TimeSpan.FromMinutes(5);
        var faults = FaultSchedule.Generate(seed, length, Nemeses.All);

        Assert.True(faults.Count >= 15, $"{faults.Count} faults in 5 minutes");
        Assert.True(faults[0].Start >= TimeSpan.FromSeconds(3), "the run starts quiet");
        foreach (var (before, after) in faults.Zip(faults.Skip(1)))
        {
            Assert.True(after.Start - before.End >= TimeSpan.FromSeconds(3), $"{before} and {after} leave a quiet spell between them");
        }

        Assert.All(faults, f => Assert.InRange(f.Duration, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(10)));
        Assert.True(length - faults[^1].End >= TimeSpan.FromSeconds(3), "the run ends quiet");
    }

    [Fact]
    public void Generate_EveryNemesisBeforeAnyTwice_AndEveryVariantOfEachInTime()
    {
        var faults = FaultSchedule.Generate(5, TimeSpan.FromMinutes(10), Nemeses.All);

        Assert.Equal(Nemeses.All.Order(), faults.Take(Nemeses.All.Count).Select(f => f.Nemesis).Order());
        foreach (var nemesis in Nemeses.All)
        {
            Assert.Equal(Nemeses.Variants(nemesis).Order(), faults.Where(f => f.Nemesis == nemesis).Select(f => f.Variant).Distinct().Order());
        }
    }

    [Fact]
    public void Variants_OfRedis_AreTheFaultsOfTheTopologyInUse()
    {
        Assert.Equal(["restart", "pause"], Nemeses.Variants(Nemeses.Redis));
        Assert.Equal(["kill-primary", "pause-primary", "partition-primary"], Nemeses.Variants(Nemeses.Redis, RedisTopology.Cluster));
        Assert.Equal(Nemeses.Variants(Nemeses.Kill), Nemeses.Variants(Nemeses.Kill, RedisTopology.Cluster));
    }

    [Fact]
    public void Generate_OnARedisCluster_StrikesEveryClusterFault_AndNoSingleServerOne()
    {
        var faults = FaultSchedule.Generate(5, TimeSpan.FromMinutes(3), [Nemeses.Redis, Nemeses.Pause], RedisTopology.Cluster);

        Assert.Equal(["kill-primary", "partition-primary", "pause-primary"], faults.Where(f => f.Nemesis == Nemeses.Redis).Select(f => f.Variant).Distinct().Order());
        Assert.Equal(["leader", "one"], faults.Where(f => f.Nemesis == Nemeses.Pause).Select(f => f.Variant).Distinct().Order());
        Assert.Equal(faults, FaultSchedule.Generate(5, TimeSpan.FromMinutes(3), [Nemeses.Redis, Nemeses.Pause], RedisTopology.Cluster));
    }

    [Fact]
    public void Generate_OnlyTheNemesesAsked_AndNoneGivesNoFaults()
    {
        var faults = FaultSchedule.Generate(9, TimeSpan.FromMinutes(2), [Nemeses.Pause, Nemeses.Latency]);

        Assert.All(faults, f => Assert.Contains(f.Nemesis, new[] { Nemeses.Pause, Nemeses.Latency }));
        Assert.Empty(FaultSchedule.Generate(9, TimeSpan.FromMinutes(2), []));
    }

    [Theory]
    [InlineData(null, "kill,pause,partition,latency,redis,clock")]
    [InlineData("all", "kill,pause,partition,latency,redis,clock")]
    [InlineData("pause, kill,pause", "pause,kill")]
    [InlineData("none", "")]
    public void Parse_Lists(string? text, string expected) =>
        Assert.Equal(expected, string.Join(",", FaultSchedule.Parse(text)));

    [Theory]
    [InlineData("kill,explode", "no nemesis 'explode'")]
    [InlineData(",", "comma-separated")]
    public void Parse_Refuses_WithTheReason(string text, string reason) =>
        Assert.Contains(reason, Assert.Throws<ArgumentException>(() => FaultSchedule.Parse(text)).Message, StringComparison.Ordinal);
}
