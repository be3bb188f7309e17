using DistSync.LoadTests.Cli;
using DistSync.LoadTests.Scenario;

namespace DistSync.Tests.LoadTests;

public sealed class ScenarioOptionsTests
{
    [Theory]
    [InlineData("1-3s", 1000, 3000)]
    [InlineData("0.5-1.5s", 500, 1500)]
    [InlineData("200-400ms", 200, 400)]
    [InlineData("2s", 2000, 2000)]
    [InlineData("0", 0, 0)]
    public void ThinkTime_Parse_RangesAndSingleTimes(string text, int minMs, int maxMs) =>
        Assert.Equal((TimeSpan.FromMilliseconds(minMs), TimeSpan.FromMilliseconds(maxMs)), (ThinkTime.Parse(text).Min, ThinkTime.Parse(text).Max));

    [Theory]
    [InlineData("3-1s")]
    [InlineData("1-3")]
    [InlineData("-3s")]
    [InlineData("1-2-3s")]
    [InlineData("fast")]
    [InlineData("20m")]
    [InlineData("11000s")]
    [InlineData("1-99999999999999999s")]
    public void ThinkTime_Parse_BadText_NamesTheOption(string text) =>
        Assert.StartsWith("--wait must be", Assert.Throws<ArgumentException>(() => ThinkTime.Parse(text)).Message, StringComparison.Ordinal);

    [Fact]
    public void ThinkTime_Next_StaysInTheRange()
    {
        var think = ThinkTime.Parse("1-3s");
        var random = new Random(7);

        var waits = Enumerable.Range(0, 1000).Select(_ => think.Next(random)).ToList();

        Assert.All(waits, w => Assert.InRange(w, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3)));
        Assert.True(waits.Max() - waits.Min() > TimeSpan.FromSeconds(1.9), "the waits do not spread over the range");
    }

    [Fact]
    public void TaskMix_Default_IsTheOriginalsTasksPlusTheCache()
    {
        var mix = TaskMix.Parse(TaskMix.Default);

        Assert.Equal([ScenarioTask.State, ScenarioTask.Lock, ScenarioTask.Queue, ScenarioTask.CacheGet, ScenarioTask.CacheSet], mix.Entries.Select(e => e.Task));
        Assert.Equal(TaskMix.Default, mix.ToString());
    }

    [Fact]
    public void TaskMix_Next_DrawsEachTaskInProportionToItsWeight()
    {
        var mix = TaskMix.Parse("state:3,lock:1");
        var random = new Random(11);

        var states = Enumerable.Range(0, 40_000).Count(_ => mix.Next(random) == ScenarioTask.State);

        Assert.InRange(states / 40_000.0, 0.74, 0.76);
    }

    [Theory]
    [InlineData("state:3,nap:1", "--mix: unknown task 'nap'")]
    [InlineData("state:0", "--mix: 'state:0' must be task:weight")]
    [InlineData("state:x", "--mix: 'state:x' must be task:weight")]
    [InlineData("state,state", "--mix names 'state' twice")]
    [InlineData(",", "--mix must name at least one task")]
    public void TaskMix_Parse_BadText_SaysWhatIsWrong(string text, string message) =>
        Assert.StartsWith(message, Assert.Throws<ArgumentException>(() => TaskMix.Parse(text)).Message, StringComparison.Ordinal);

    [Fact]
    public void From_NoOptions_TheDefaults()
    {
        var options = ScenarioOptions.From(CommandLine.Parse([]));

        Assert.Equal((50, 10.0, TimeSpan.FromMinutes(1), 10, 200, 0), (options.Users, options.SpawnRate, options.Duration, options.Resources, options.Keys, options.LockWaitMs));
        Assert.Equal(ThinkTime.Parse("1-3s"), options.Think);
    }

    [Theory]
    [InlineData(new[] { "--minutes", "1", "--seconds", "5" }, "give --minutes or --seconds, not both.")]
    [InlineData(new[] { "--spawn-rate", "0" }, "--spawn-rate must be users per second")]
    [InlineData(new[] { "--users", "20000" }, "--users must be at most 10000")]
    [InlineData(new[] { "--minutes", "2000" }, "a scenario runs at most 24 hours.")]
    [InlineData(new[] { "--lock-wait-ms", "600000" }, "--lock-wait-ms must be at most 60000")]
    public void From_BadValues_AreRefusedWithTheReason(string[] args, string message) =>
        Assert.StartsWith(message, Assert.Throws<ArgumentException>(() => ScenarioOptions.From(CommandLine.Parse(args))).Message, StringComparison.Ordinal);

    [Fact]
    public void ScenarioRun_Names_ArePrefixedWithTheRunAndSpreadOverThePools()
    {
        var run = new ScenarioRun("r1", Resources: 3, Keys: 5, LockWaitMs: 0);
        var random = new Random(3);

        var resources = Enumerable.Range(0, 200).Select(_ => run.Resource(random)).ToHashSet();
        var keys = Enumerable.Range(0, 200).Select(_ => run.Key(random)).ToHashSet();

        Assert.Equal(["scenario-r1/lock-0", "scenario-r1/lock-1", "scenario-r1/lock-2"], resources.Order());
        Assert.Equal(5, keys.Count);
        Assert.Equal("scenario-r1", run.Topic);
    }
}
