using DistSync.Client;
using DistSync.LoadTests.Cluster;

namespace DistSync.Tests.LoadTests;

/// <summary>The client driver's outcomes are named as the raw driver names the same answers, so the two group alike.</summary>
public sealed class ClientOutcomeTests
{
    [Fact]
    public void NotGranted_WithoutAWait_IsBusy_WithOne_IsTimeout()
    {
        Assert.Equal(OpResult.Refused("409 busy"), ClientOutcome.NotGranted(TimeSpan.Zero));
        Assert.Equal(OpResult.Refused("409 timeout"), ClientOutcome.NotGranted(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void Of_LockAndQueueRefusals_Are409RefusalsNamedByTheNodesWord()
    {
        Assert.Equal(OpResult.Refused("409 timeout"), ClientOutcome.Of(new DistSyncLockTimeoutException("r", TimeSpan.FromSeconds(1))));
        Assert.Equal(OpResult.Refused("409 deadlock"), ClientOutcome.Of(new DistSyncDeadlockException("r", ["a", "b"])));
        Assert.Equal(OpResult.Refused("409 stale_receipt"), ClientOutcome.Of(new DistSyncQueueRefusedException("ack", "m-1", "stale_receipt", null)));
        Assert.Equal(OpResult.Refused("409 Conflict"), ClientOutcome.Of(new DistSyncRequestException(409, "Conflict", null, null)));
    }

    [Fact]
    public void Of_AProblem_IsAFailureNamedByStatusTitleAndDetail()
    {
        var result = ClientOutcome.Of(new DistSyncRequestException(403, "Forbidden", "The token's role may not write.", null));

        Assert.Equal(OpResult.Failed("403 Forbidden: The token's role may not write."), result);
    }

    [Fact]
    public void Of_ALongMessage_IsCutToTheDetailLength()
    {
        var result = ClientOutcome.Of(new DistSyncUnavailableException(new string('x', 300), mayHaveBeenApplied: false));

        Assert.Equal(OpKind.Failed, result.Kind);
        Assert.Equal(new string('x', OpResult.MaxDetailLength) + "…", result.Detail);
    }

    [Fact]
    public void Of_ATransportFailure_IsNamedByItsTypeAsTheRunnersNameARawOne() =>
        Assert.Equal(OpResult.Failed("client TaskCanceledException"), ClientOutcome.Of(new TaskCanceledException()));

    [Fact]
    public async Task RunAsync_ACallThatThrows_IsItsOutcome_AStepThatFailed_IsNamedAfterTheStep()
    {
        var refused = await ClientOutcome.RunAsync(() => Task.FromException(new DistSyncQueueRefusedException("ack", "m-1", "not_found", null)));

        Assert.Equal(OpResult.Ok, await ClientOutcome.RunAsync(() => Task.CompletedTask));
        Assert.Equal(OpResult.Failed("ack 409 not_found"), ClientOutcome.Step("ack", refused));
        Assert.Equal(OpResult.Ok, ClientOutcome.Step("ack", OpResult.Ok));
    }
}
