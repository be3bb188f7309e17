using System.Globalization;
using DistSync.LoadTests;

const string usage = """
    DistSync load tests. Start the cluster first: dotnet run --project DistSync.AppHost

    Usage: dotnet run -c Release --project DistSync.LoadTests -- <command> [options]

      http   --url URL [-n 10000] [-c 50] [--method GET|POST] [--body JSON] [--max-seconds 120]
             N requests at concurrency C against one URL (the original system's benchmark)
    """;

if (args.Length == 0 || args[0] is "--help" or "-h")
{
    Console.WriteLine(usage);
    return args.Length == 0 ? 2 : 0;
}

try
{
    var options = CommandLine.Parse(args.Skip(1));
    switch (args[0])
    {
        case "http":
            var url = new Uri(options.Require("url"));
            var summary = await HttpBenchmark.RunAsync(url, options.Int("n", 10_000), options.Int("c", 50), options.Get("method") ?? "GET", options.Get("body"), TimeSpan.FromSeconds(options.Int("max-seconds", 120)));
            Console.WriteLine($"http {options.Get("method") ?? "GET"} {url} n={options.Int("n", 10_000)} c={options.Int("c", 50)}");
            Console.WriteLine(summary);
            return summary.Failures == 0 ? 0 : 1;
        default:
            Console.Error.WriteLine($"error: unknown command '{args[0]}'.");
            Console.Error.WriteLine(usage);
            return 2;
    }
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 2;
}

/// <summary>"--name value" pairs.</summary>
internal sealed class CommandLine(Dictionary<string, string> values)
{
    public static CommandLine Parse(IEnumerable<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var name = e.Current.TrimStart('-');
            if (!e.Current.StartsWith('-') || !e.MoveNext())
            {
                throw new ArgumentException($"expected '--{name} value'.");
            }

            values[name] = e.Current;
        }

        return new CommandLine(values);
    }

    public string? Get(string name) => values.GetValueOrDefault(name);

    public string Require(string name) => Get(name) ?? throw new ArgumentException($"--{name} is required.");

    public int Int(string name, int fallback) =>
        Get(name) is not { } text ? fallback
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n
        : throw new ArgumentException($"--{name} must be a positive whole number, not '{text}'.");
}
