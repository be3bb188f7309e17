using DistSync.AppHost.Hosting;

if (DistSyncArguments.WantsHelp(args))
{
    Console.WriteLine(DistSyncArguments.Usage);
    return 0;
}

try
{
    var builder = DistSyncAppHost.CreateBuilder(args);
    var options = builder.DistSyncOptions();

    var redis = builder.AddDistSyncRedis("redis", options);
    builder.AddDistSyncNodes(options, redis);

    builder.Build().Run();
    return 0;
}
catch (DistSyncConfigurationException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 2;
}
