using Microsoft.Extensions.Configuration;

namespace DistSync.Hosting;

/// <summary>The Aspire builder of an AppHost that takes DistSync's command line (<see cref="DistSyncArguments"/>), dashboard on or off.</summary>
public static class DistSyncAppHost
{
    public static IDistributedApplicationBuilder CreateBuilder(string[] args)
    {
        var expanded = DistSyncArguments.Expand(args);
        // Whether the dashboard runs is an Aspire option fixed before its configuration exists, so read that one setting early.
        var early = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(expanded).Build();
        var dashboard = !bool.TryParse(early[$"{DistSyncOptions.SectionName}:{nameof(DistSyncOptions.Dashboard)}"], out var on) || on;
        return DistributedApplication.CreateBuilder(new DistributedApplicationOptions { Args = expanded, DisableDashboard = !dashboard });
    }
}
