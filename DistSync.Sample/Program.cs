using DistSync.Sample;

var builder = Host.CreateApplicationBuilder(args);
builder.AddServiceDefaults();
builder.AddDistSyncClient("distsync");
builder.Services.AddDistSyncConsumer<OrderHandler>(Orders.Topic, concurrency: 4);
builder.Services.AddHostedService<OrderDesk>();
builder.Services.AddSingleton(Orders.Telemetry);
builder.Build().Run();
