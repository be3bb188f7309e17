using DistSync.Node.Consensus;

namespace DistSync.Node.Locks;

public static class LocksSetup
{
    /// <summary>The lock table on Raft, the service the API calls, and the leader's lease expiry.</summary>
    public static WebApplicationBuilder AddLocks(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<LockTelemetry>();
        builder.Services.AddSingleton<LockStateMachine>();
        builder.Services.AddSingleton<IReplicatedStateMachine>(sp => sp.GetRequiredService<LockStateMachine>());
        builder.Services.AddSingleton<LockService>();
        builder.Services.AddHostedService<LockExpiryService>();
        return builder;
    }
}
