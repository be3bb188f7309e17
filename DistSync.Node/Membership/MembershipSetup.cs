using DistSync.Node.Consensus;

namespace DistSync.Node.Membership;

public static class MembershipSetup
{
    /// <summary>The ring's membership: replicated through Raft, changed by the leader when a node is lost or back.</summary>
    public static WebApplicationBuilder AddMembership(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<MembershipOptions>()
            .BindConfiguration(MembershipOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<MembershipStateMachine>();
        builder.Services.AddSingleton<ClusterRestore>();
        builder.Services.AddSingleton<IReplicatedStateMachine>(sp => sp.GetRequiredService<MembershipStateMachine>());
        builder.Services.AddHostedService<MembershipMonitor>();
        builder.Services.AddSingleton<MemberAdmin>();
        return builder;
    }
}
