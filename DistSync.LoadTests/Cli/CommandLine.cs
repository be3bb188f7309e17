using System.Globalization;

namespace DistSync.LoadTests.Cli;

/// <summary>"--name value" (or "-n value") pairs, read with typed accessors that reject bad values with a message naming the option.</summary>
public sealed class CommandLine
{
    /// <summary>The cluster the AppHost starts by default.</summary>
    public const string DefaultUrls = "http://127.0.0.1:8001,http://127.0.0.1:8002,http://127.0.0.1:8003";

    /// <summary>Longest list an option may hold (levels, URLs): a typo should not start a thousand runs.</summary>
    public const int MaxListItems = 16;

    private readonly Dictionary<string, string> _values;

    private CommandLine(Dictionary<string, string> values) => _values = values;

    public static CommandLine Parse(IEnumerable<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var name = e.Current.TrimStart('-');
            if (!e.Current.StartsWith('-') || name.Length == 0 || !e.MoveNext())
            {
                throw new ArgumentException($"expected '--{name} value'.");
            }

            if (!values.TryAdd(name, e.Current))
            {
                throw new ArgumentException($"--{name} is given twice.");
            }
        }

        return new CommandLine(values);
    }

    /// <summary>Option names given, for rejecting ones a command does not know.</summary>
    public IReadOnlyCollection<string> Names => _values.Keys;

    public string? Get(string name) => _values.GetValueOrDefault(name);

    public string Require(string name) => Get(name) ?? throw new ArgumentException($"--{name} is required.");

    public int Int(string name, int fallback) => Get(name) is not { } text ? fallback : Positive(name, text);

    /// <summary>A whole number that may be 0 (e.g. a warm-up that can be switched off).</summary>
    public int NonNegativeInt(string name, int fallback) =>
        Get(name) is not { } text ? fallback
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n
        : throw new ArgumentException($"--{name} must be a whole number (0 or more), not '{text}'.");

    /// <summary>A comma-separated list of positive whole numbers, e.g. <c>--levels 1,16,64</c>.</summary>
    public IReadOnlyList<int> IntList(string name, IReadOnlyList<int> fallback)
    {
        if (Get(name) is not { } text)
        {
            return fallback;
        }

        var items = Split(name, text);
        return [.. items.Select(item => Positive(name, item))];
    }

    /// <summary><c>--urls</c>: comma-separated absolute http(s) URLs of the nodes.</summary>
    public IReadOnlyList<Uri> Urls()
    {
        var items = Split("urls", Get("urls") ?? DefaultUrls);
        return [.. items.Select(item =>
            Uri.TryCreate(item, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
                ? uri
                : throw new ArgumentException($"--urls must hold absolute http(s) URLs, not '{item}'."))];
    }

    /// <summary>One of a fixed set of words.</summary>
    public string Choice(string name, string fallback, params string[] allowed)
    {
        var value = Get(name) ?? fallback;
        return allowed.Contains(value, StringComparer.Ordinal)
            ? value
            : throw new ArgumentException($"--{name} must be one of {string.Join(", ", allowed)}, not '{value}'.");
    }

    /// <summary>Rejects options the command does not take, so a misspelt option does not silently fall back to a default.</summary>
    public void OnlyAllow(params string[] known)
    {
        // Every command talks to nodes, so every command takes a token.
        known = [.. known, ApiToken.Option];
        if (_values.Keys.FirstOrDefault(name => !known.Contains(name, StringComparer.Ordinal)) is { } unknown)
        {
            throw new ArgumentException($"unknown option --{unknown}; this command takes {string.Join(", ", known.Select(k => "--" + k))}.");
        }
    }

    private static string[] Split(string name, string text)
    {
        var items = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return items.Length is > 0 and <= MaxListItems
            ? items
            : throw new ArgumentException($"--{name} must list 1 to {MaxListItems} comma-separated values, not '{text}'.");
    }

    private static int Positive(string name, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new ArgumentException($"--{name} must be a positive whole number, not '{text}'.");
}
