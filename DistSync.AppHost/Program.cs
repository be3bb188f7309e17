using DistSync.Hosting;
using Microsoft.Extensions.Configuration;

if (DistSyncArguments.WantsHelp(args))
{
    Console.WriteLine(DistSyncArguments.Usage);
    return 0;
}

try
{
    var builder = DistSyncAppHost.CreateBuilder(args);

    var redis = builder.AddDistSyncRedis("redis");
    var distsync = builder.AddDistSync("distsync")
        .WithRedis(redis)
        .WithNodeProject<Projects.DistSync_Node>();

    // An app using the cluster through DistSync.Client: its traces start in the app and run through a node to Raft.
    if (builder.Configuration.GetValue($"{DistSyncOptions.SectionName}:Sample", defaultValue: true))
    {
        builder.AddProject<Projects.DistSync_Sample>("sample")
            .WithReference(distsync)
            .WaitFor(distsync);
    }

    builder.Build().Run();
    return 0;
}
catch (DistSyncConfigurationException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 2;
}
