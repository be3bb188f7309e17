using System.Net.Http.Headers;
using System.Text.Json;

namespace DistSync.LoadTests.Cli;

/// <summary>
/// The bearer token every request of this tool carries: <c>--token</c>, else <c>DISTSYNC_TOKEN</c>, else the admin
/// token the AppHost generated for <c>dotnet run</c> (kept in its user secrets, so a local run needs nothing said).
/// A cluster the tool starts itself (<c>--nodes</c>, <c>chaos</c>) gets the tool's token as its admin token.
/// </summary>
public static class ApiToken
{
    public const string Option = "token";
    public const string EnvironmentVariable = "DISTSYNC_TOKEN";

    /// <summary>The AppHost project's UserSecretsId (a test holds the two equal).</summary>
    public const string AppHostUserSecretsId = "distsync-apphost-5b1f0c52";

    public const string AppHostParameter = "Parameters:admin-token";

    public static string? Current { get; set; }

    public static void Resolve(string? option) =>
        Current = option is { Length: > 0 } ? option
            : Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
            : FromAppHostSecrets();

    /// <summary>The token for a cluster the tool starts: the one in use, or a fresh one.</summary>
    public static string ForStartedCluster() => Current ??= Guid.NewGuid().ToString("n");

    /// <summary>How output and reports show a token: its first characters (at most a quarter of it), never the whole.</summary>
    public static string Prefix(string token) => token[..Math.Min(4, token.Length / 4)] + "…";

    /// <summary>The tool's arguments as printed and kept in reports, with a <c>--token</c>'s value cut to its <see cref="Prefix"/>.</summary>
    public static IEnumerable<string> Redact(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        for (var i = 0; i < args.Count; i++)
        {
            var isToken = i > 0 && args[i - 1].StartsWith('-') && args[i - 1].TrimStart('-') == Option;
            yield return isToken ? Prefix(args[i]) : args[i];
        }
    }

    public static void Apply(HttpClient http)
    {
        if (Current is { } token)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public static string SecretsPath =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".microsoft", "usersecrets", AppHostUserSecretsId, "secrets.json");

    private static string? FromAppHostSecrets()
    {
        try
        {
            using var secrets = JsonDocument.Parse(File.ReadAllText(SecretsPath));
            return secrets.RootElement.TryGetProperty(AppHostParameter, out var token) ? token.GetString() : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }
}
