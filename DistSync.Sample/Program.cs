using DistSync.Sample;
using OpenTelemetry.Trace;

var builder = Host.CreateApplicationBuilder(args);
builder.AddServiceDefaults();
builder.AddDistSyncClient("distsync");
builder.Services.AddDistSyncConsumer<OrderHandler>(Orders.Topic, concurrency: 4);
builder.Services.AddHostedService<OrderDesk>();
builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddSource(Orders.Telemetry.Name));
builder.Build().Run();
