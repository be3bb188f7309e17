using System.Globalization;
using System.Reflection;

namespace DistSync.AppHost.Hosting;

/// <summary>A DistSync node: the built DistSync.Node assembly, run as its own process.</summary>
public sealed class NodeResource(string name) : Resource(name)
{
    public override string Type => "node";

    public override string Endpoint => $"http://127.0.0.1:{Port}";

    public override IEnumerable<KeyValuePair<string, string>> ReferenceEnvironment()
    {
        // Aspire's service-discovery form: services__{name}__{endpoint}__{index}.
        yield return new($"services__{Name}__http__0", Endpoint);
    }

    public override ProcessLaunch CreateLaunch()
    {
        var assembly = LocateAssembly();
        return new ProcessLaunch("dotnet", [assembly], Path.GetDirectoryName(assembly)!);
    }

    public override async Task<bool> IsHealthyAsync(HttpClient http, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(new Uri($"{Endpoint}/health"), cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>
    /// The node's build output, found the way Aspire finds a project resource: the AppHost is built with
    /// the node's project directory and build configuration stamped in.
    /// </summary>
    public static string LocateAssembly()
    {
        var metadata = typeof(NodeResource).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .ToDictionary(a => a.Key, a => a.Value);
        var projectDir = metadata["DistSync.NodeProjectDir"]!;
        var configuration = metadata["DistSync.Configuration"]!;
        var path = Path.Combine(projectDir, "bin", configuration, "net10.0", "DistSync.Node.dll");
        return File.Exists(path)
            ? path
            : throw new AppHostException(string.Create(CultureInfo.InvariantCulture,
                $"DistSync.Node is not built at {path}: run 'dotnet build' (or 'dotnet run --project DistSync.AppHost', which builds it)."));
    }
}
