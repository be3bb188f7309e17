using System.Diagnostics;
using DistSync.Hosting;
using DistSync.Tests.Infrastructure;
using DistSync.Tests.Storage;

namespace DistSync.Tests.Client;

/// <summary>
/// The client as a user gets it: <c>dotnet pack</c> gives its package, a fresh console project restores it from a local
/// folder feed (and nothing of this repository), and that program takes a lock, sees a second client refused, moves a
/// message and caches a value on a real cluster.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ClientPackageTests(ClientPackageTests.Cluster cluster) : IClassFixture<ClientPackageTests.Cluster>
{
    public sealed class Cluster() : ClusterFixture(nodes: 3);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Program = """
        using System.Text.Json;
        using DistSync.Client;

        await using var client = DistSyncClient.FromConnectionString(args[0]);
        await using var other = DistSyncClient.FromConnectionString(args[0]);
        var resource = "package-" + Guid.NewGuid().ToString("N");
        await using (var hold = await client.Locks.AcquireAsync(resource, LockMode.Exclusive, wait: TimeSpan.FromSeconds(10)))
        {
            Console.WriteLine($"token {hold.FencingToken}");
            Console.WriteLine($"other {(await other.Locks.TryAcquireAsync(resource) is null ? "refused" : "granted")}");
        }

        await using (var after = await other.Locks.AcquireAsync(resource, wait: TimeSpan.FromSeconds(10)))
        {
            Console.WriteLine($"after {after.FencingToken}");
        }

        var topic = "package-" + Guid.NewGuid().ToString("N");
        var published = await client.Queue.PublishAsync(topic, new { order = 7 });
        var message = (await client.Queue.ConsumeBatchAsync<JsonElement>(topic, 1, new ConsumeOptions { Wait = TimeSpan.FromSeconds(10) }))[0];
        await message.AckAsync();
        Console.WriteLine($"message {message.Id == published.Id} {message.Payload.GetProperty("order").GetInt32()}");

        await client.Cache.SetAsync(topic, new { name = "Ada" });
        Console.WriteLine($"cache {(await other.Cache.GetAsync<JsonElement>(topic)).GetProperty("name").GetString()}");
        """;

    [Fact]
    public async Task PackedClient_InAFreshProject_LocksQueuesAndCaches()
    {
        var root = AppHostProcess.RepoRoot;
        using var work = new TempDirectory();
        var feed = Directory.CreateDirectory(Path.Combine(work.Path, "feed")).FullName;
        var app = Directory.CreateDirectory(Path.Combine(work.Path, "app")).FullName;
        var version = $"0.0.0-test.{Guid.NewGuid():N}";
        try
        {
            await DotnetAsync(root, "pack", Path.Combine(root, "DistSync.Client", "DistSync.Client.csproj"), "-o", feed, $"-p:PackageVersion={version}");
            Assert.True(File.Exists(Path.Combine(feed, $"DistSync.Client.{version}.nupkg")), "dotnet pack gave no package");

            await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="local" value="{feed}" />
                    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
                  </packageSources>
                </configuration>
                """, Ct);
            await File.WriteAllTextAsync(Path.Combine(app, "app.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <Nullable>enable</Nullable>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="DistSync.Client" Version="{version}" />
                  </ItemGroup>
                </Project>
                """, Ct);
            await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), Program, Ct);

            var endpoints = string.Join(",", cluster.NodeNames.Select(n => cluster.App.GetEndpoint(n, DistSyncResource.NodeEndpointName).ToString().TrimEnd('/')));
            var output = await DotnetAsync(app, "run", "--", $"Endpoints={endpoints};Token={cluster.Tokens["writer"]}");

            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var token = long.Parse(Assert.Single(lines, l => l.StartsWith("token ", StringComparison.Ordinal))[6..], System.Globalization.CultureInfo.InvariantCulture);
            var after = long.Parse(Assert.Single(lines, l => l.StartsWith("after ", StringComparison.Ordinal))[6..], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Contains("other refused", lines);
            Assert.True(after > token, $"the second grant's token {after} is above the first's {token}");
            Assert.Contains("message True 7", lines);
            Assert.Contains("cache Ada", lines);
        }
        finally
        {
            // The package's copy in the user's package folder: one per run, so nothing of it is left behind.
            var cached = Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"), "distsync.client", version);
            if (Directory.Exists(cached))
            {
                Directory.Delete(cached, recursive: true);
            }
        }
    }

    private static async Task<string> DotnetAsync(string workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet", args)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        var errors = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', args)} failed ({process.ExitCode}):\n{await output}\n{await errors}");
        return await output;
    }
}
