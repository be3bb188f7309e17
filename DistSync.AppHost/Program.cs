using DistSync.Hosting;

if (DistSyncArguments.WantsHelp(args))
{
    Console.WriteLine(DistSyncArguments.Usage);
    return 0;
}

try
{
    var builder = DistSyncAppHost.CreateBuilder(args);

    var redis = builder.AddDistSyncRedis("redis");
    builder.AddDistSync("distsync")
        .WithRedis(redis)
        .WithNodeProject<Projects.DistSync_Node>();

    builder.Build().Run();
    return 0;
}
catch (DistSyncConfigurationException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 2;
}
