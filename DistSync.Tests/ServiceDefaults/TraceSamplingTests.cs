using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Trace;

namespace DistSync.Tests.ServiceDefaults;

/// <summary>
/// The nodes' trace sampling: a steady sample under load instead of a span per request, elections always, children
/// with their parent; and it holds against the <c>OTEL_TRACES_SAMPLER=always_on</c> that Aspire hands every project.
/// </summary>
public sealed class TraceSamplingTests
{
    [Fact]
    public async Task ServiceDefaults_BurstOfRequests_KeepsAtMostTheRate_AndEveryElection()
    {
        var exported = new List<Activity>();
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["OTEL_TRACES_SAMPLER"] = "always_on";
        builder.Configuration["DistSync:Telemetry:MaxTracesPerSecond"] = "10";
        builder.AddServiceDefaults();
        builder.Services.AddOpenTelemetry().WithTracing(t => t.AddInMemoryExporter(exported));
        using var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        using var source = new ActivitySource("DistSync.Locks");

        for (var i = 0; i < 500; i++)
        {
            using var request = source.StartActivity("lock.acquire");
            using var child = source.StartActivity("lock.child");
        }

        using (var consensus = new ActivitySource("DistSync.Consensus"))
        {
            for (var i = 0; i < 5; i++)
            {
                using var election = consensus.StartActivity("raft.election");
            }
        }

        await host.StopAsync(TestContext.Current.CancellationToken);

        var roots = exported.Count(a => a.DisplayName == "lock.acquire");
        Assert.InRange(roots, 10, 12); // the bucket's burst, plus what refilled while the loop ran
        Assert.Equal(roots, exported.Count(a => a.DisplayName == "lock.child")); // a kept trace is kept whole
        Assert.Equal(5, exported.Count(a => a.DisplayName == "raft.election"));
    }

    [Fact]
    public void MaxTracesPerSecond_ZeroOrNegative_MeansNoCap()
    {
        Assert.Equal(20, Extensions.MaxTracesPerSecond(Config()));
        Assert.Equal(5, Extensions.MaxTracesPerSecond(Config(("DistSync:Telemetry:MaxTracesPerSecond", "5"))));
        Assert.Null(Extensions.MaxTracesPerSecond(Config(("DistSync:Telemetry:MaxTracesPerSecond", "0"))));
    }

    [Fact]
    public void RateLimitedSampler_EmptyBucket_DropsUntilTimeRefillsIt()
    {
        var sampler = new RateLimitedSampler(2, ["raft.election"]);
        var parameters = new SamplingParameters(default, ActivityTraceId.CreateRandom(), "x", ActivityKind.Internal);

        Assert.Equal(SamplingDecision.RecordAndSample, sampler.ShouldSample(parameters).Decision);
        Assert.Equal(SamplingDecision.RecordAndSample, sampler.ShouldSample(parameters).Decision);
        Assert.Equal(SamplingDecision.Drop, sampler.ShouldSample(parameters).Decision);
        Assert.Equal(SamplingDecision.RecordAndSample,
            sampler.ShouldSample(new SamplingParameters(default, ActivityTraceId.CreateRandom(), "raft.election", ActivityKind.Internal)).Decision);
    }

    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();
}
