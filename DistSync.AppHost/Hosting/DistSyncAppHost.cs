using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace DistSync.AppHost.Hosting;

/// <summary>The two steps before the resources: the Aspire builder (dashboard on or off), and DistSync's settings.</summary>
public static class DistSyncAppHost
{
    public static IDistributedApplicationBuilder CreateBuilder(string[] args)
    {
        var expanded = DistSyncArguments.Expand(args);
        // Whether the dashboard runs is an Aspire option fixed before its configuration exists, so read that one setting early.
        var early = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(expanded).Build();
        var dashboard = !bool.TryParse(early[$"{Hosting.DistSyncOptions.SectionName}:{nameof(Hosting.DistSyncOptions.Dashboard)}"], out var on) || on;
        return DistributedApplication.CreateBuilder(new DistributedApplicationOptions { Args = expanded, DisableDashboard = !dashboard });
    }

    /// <summary>Reads and checks the <c>DistSync</c> settings; in run mode, <c>--clean</c> empties the data folder first.</summary>
    public static DistSyncOptions DistSyncOptions(this IDistributedApplicationBuilder builder)
    {
        var options = Hosting.DistSyncOptions.Read(builder.Configuration);
        var dataDir = options.ResolveDataDir(builder.AppHostDirectory);
        if (builder.ExecutionContext.IsRunMode && options.Clean && Directory.Exists(dataDir))
        {
            Directory.Delete(dataDir, recursive: true);
        }

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(options);
        if (builder.ExecutionContext.IsRunMode && options.LogDir is not null)
        {
            builder.Services.AddHostedService<ResourceLogFiles>();
        }

        return options;
    }
}
