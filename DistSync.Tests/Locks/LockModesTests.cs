using DistSync.Node.Locks;

namespace DistSync.Tests.Locks;

public class LockModesTests
{
    [Theory]
    [InlineData("shared", LockMode.Shared)]
    [InlineData("Shared", LockMode.Shared)]
    [InlineData("exclusive", LockMode.Exclusive)]
    [InlineData("EXCLUSIVE", LockMode.Exclusive)]
    public void TryParse_KnownName_Parses(string text, LockMode expected)
    {
        Assert.True(LockModes.TryParse(text, out var mode));
        Assert.Equal(expected, mode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("read")]
    [InlineData("shared ")]
    [InlineData("1")]
    public void TryParse_UnknownName_Refused(string? text)
    {
        Assert.False(LockModes.TryParse(text, out _));
    }

    [Fact]
    public void ToWireName_Modes_SnakeCaseNames()
    {
        Assert.Equal("shared", LockMode.Shared.ToWireName());
        Assert.Equal("exclusive", LockMode.Exclusive.ToWireName());
        Assert.Throws<ArgumentOutOfRangeException>(() => ((LockMode)0).ToWireName());
    }

    [Theory]
    [InlineData(LockMode.Shared, LockMode.Shared, false)]
    [InlineData(LockMode.Shared, LockMode.Exclusive, true)]
    [InlineData(LockMode.Exclusive, LockMode.Shared, true)]
    [InlineData(LockMode.Exclusive, LockMode.Exclusive, true)]
    public void Conflicts_ModePairs_OnlySharedPairsCompatible(LockMode a, LockMode b, bool expected)
    {
        Assert.Equal(expected, LockModes.Conflicts(a, b));
    }

    [Fact]
    public void Outcome_EqualityAndText_IncludeListsAndEvents()
    {
        LockOutcome first = new LockOutcome.Deadlock(["a", "b", "a"]) { Events = [new LockEvent.WaitTimedOut("r", "c", LockMode.Shared)] };
        LockOutcome same = new LockOutcome.Deadlock(["a", "b", "a"]) { Events = [new LockEvent.WaitTimedOut("r", "c", LockMode.Shared)] };
        LockOutcome otherCycle = new LockOutcome.Deadlock(["a", "c", "a"]) { Events = same.Events };

        Assert.Equal(first, same);
        Assert.Equal(first.GetHashCode(), same.GetHashCode());
        Assert.NotEqual(first, otherCycle);
        Assert.NotEqual(first, same with { Events = [] });
        Assert.Equal(
            "Deadlock { Events = [WaitTimedOut { Resource = r, ClientId = c, Mode = Shared }], Cycle = [a, b, a] }",
            first.ToString());
        Assert.Equal("Busy { Events = [], Holders = [x], Queued = 2 }", new LockOutcome.Busy(["x"], 2).ToString());
    }
}
