using DistSync.Node;
using DistSync.Node.Hosting;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddNodeServices();

var app = builder.Build();
try
{
    app.CheckStartup();
}
catch (Exception ex) when (ex is ClusterIdentityException or OptionsValidationException)
{
    app.Logger.NotStarting(ex.Message);
    await app.DisposeAsync(); // flushes the log line before the process ends
    return 2;
}

app.MapNodeApis();
app.Run();
return 0;
