using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using OpenTelemetry.Trace;

namespace DistSync.Tests.ServiceDefaults;

/// <summary>
/// The nodes' trace sampling: a steady sample under load instead of a span per request, elections always, children
/// with their parent; and it holds against the <c>OTEL_TRACES_SAMPLER=always_on</c> that Aspire hands every project.
/// The sampler's clock is the host's <see cref="TimeProvider"/>, so the counts are exact; the class runs alone, since
/// the host listens to every activity of the process and another test's spans would take tokens from the bucket.
/// </summary>
[Collection(nameof(TraceSamplingTests))]
[CollectionDefinition(nameof(TraceSamplingTests), DisableParallelization = true)]
public sealed class TraceSamplingTests
{
    [Fact]
    public async Task ServiceDefaults_BurstOfRequests_KeepsAtMostTheRate_AndEveryElection()
    {
        var exported = new List<Activity>();
        var time = new FakeTimeProvider();
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["OTEL_TRACES_SAMPLER"] = "always_on";
        builder.Configuration["DistSync:Telemetry:MaxTracesPerSecond"] = "10";
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.AddServiceDefaults();
        builder.Services.AddOpenTelemetry().WithTracing(t => t.AddInMemoryExporter(exported));
        using var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        using var source = new ActivitySource("DistSync.Locks");

        void Burst(string name)
        {
            for (var i = 0; i < 500; i++)
            {
                using var request = source.StartActivity(name);
                using var child = source.StartActivity(name + ".child");
            }
        }

        Burst("lock.acquire");
        time.Advance(TimeSpan.FromMilliseconds(300));
        Burst("lock.acquire.later");

        using (var consensus = new ActivitySource("DistSync.Consensus"))
        {
            for (var i = 0; i < 5; i++)
            {
                using var election = consensus.StartActivity("raft.election");
            }
        }

        await host.StopAsync(TestContext.Current.CancellationToken);

        Assert.Equal(10, exported.Count(a => a.DisplayName == "lock.acquire")); // the bucket's burst, and no more
        Assert.Equal(10, exported.Count(a => a.DisplayName == "lock.acquire.child")); // a kept trace is kept whole
        Assert.Equal(3, exported.Count(a => a.DisplayName == "lock.acquire.later")); // 0.3 s refills 3 of 10/s
        Assert.Equal(3, exported.Count(a => a.DisplayName == "lock.acquire.later.child"));
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
        var time = new FakeTimeProvider();
        var sampler = new RateLimitedSampler(2, ["raft.election"], time);
        var parameters = new SamplingParameters(default, ActivityTraceId.CreateRandom(), "x", ActivityKind.Internal);

        Assert.Equal(SamplingDecision.RecordAndSample, sampler.ShouldSample(parameters).Decision);
        Assert.Equal(SamplingDecision.RecordAndSample, sampler.ShouldSample(parameters).Decision);
        Assert.Equal(SamplingDecision.Drop, sampler.ShouldSample(parameters).Decision);
        Assert.Equal(SamplingDecision.RecordAndSample,
            sampler.ShouldSample(new SamplingParameters(default, ActivityTraceId.CreateRandom(), "raft.election", ActivityKind.Internal)).Decision);

        time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.Equal(SamplingDecision.Drop, sampler.ShouldSample(parameters).Decision);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(SamplingDecision.RecordAndSample, sampler.ShouldSample(parameters).Decision);
    }

    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();
}
