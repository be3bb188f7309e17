using DistSync.Node;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddNodeServices();

var app = builder.Build();
app.MapNodeApis();
app.Run();
