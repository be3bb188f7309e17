namespace DistSync.AppHost.Hosting;

/// <summary>The AppHost's own console: resource output prefixed with a coloured name, and the summary.</summary>
internal static class ConsoleEcho
{
    private static readonly ConsoleColor[] Colors = [ConsoleColor.Cyan, ConsoleColor.Green, ConsoleColor.Yellow, ConsoleColor.Magenta, ConsoleColor.Blue, ConsoleColor.DarkCyan, ConsoleColor.DarkYellow, ConsoleColor.DarkGreen];
    private static readonly Lock Gate = new();

    public static void Write(ConsoleLogLine line)
    {
        lock (Gate)
        {
            Console.ForegroundColor = Colors[(int)((uint)line.Resource.GetHashCode(StringComparison.Ordinal) % Colors.Length)];
            Console.Write($"[{line.Resource,-6}] ");
            Console.ResetColor();
            if (line.IsError)
            {
                Console.Error.WriteLine(line.Text);
            }
            else
            {
                Console.WriteLine(line.Text);
            }
        }
    }

    public static void Notice(string text)
    {
        lock (Gate)
        {
            Console.ForegroundColor = ConsoleColor.Yellow;
            Console.WriteLine($"apphost: {text}");
            Console.ResetColor();
        }
    }

    public static void Summary(AppHostSession session)
    {
        var app = session.App;
        lock (Gate)
        {
            Console.WriteLine();
            Console.WriteLine($"DistSync is up: {app.Options.Nodes} node(s), data in {app.DataDir}");
            foreach (var resource in app.Resources)
            {
                var runner = app.Runners.FirstOrDefault(r => r.Resource == resource);
                var state = runner?.State.ToString() ?? "External";
                var pid = runner?.Pid is int p ? $"pid {p}" : "";
                var extra = resource switch
                {
                    NodeResource => $"  docs {resource.Endpoint}/docs",
                    RedisResource redis => $"  {redis.Kind}",
                    _ => "",
                };
                Console.WriteLine($"  {resource.Name,-8} {state,-9} {resource.Endpoint,-26} {pid,-10}{extra}");
            }

            if (session.Dashboard is { } dashboard)
            {
                Console.WriteLine($"Dashboard: {(app.Options.DashboardAuth ? dashboard.LoginUrl : dashboard.UiUrl)}");
                Console.WriteLine($"  OTLP/gRPC {dashboard.OtlpGrpcUrl}  OTLP/HTTP {dashboard.OtlpHttpUrl}");
            }

            Console.WriteLine("Press Ctrl+C to stop.");
            Console.WriteLine();
        }
    }
}
