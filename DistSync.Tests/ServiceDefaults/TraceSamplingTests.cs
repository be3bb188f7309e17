using System.Collections.Concurrent;
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
/// The sampler's clock is the host's <see cref="TimeProvider"/>, so the counts are exact. The host listens to every
/// activity of the process, and a root span started elsewhere in it (an HTTP call of another test's leftovers) takes
/// a token like the test's own: the test watches for those and counts them with its own.
/// </summary>
[Collection(nameof(TraceSamplingTests))]
[CollectionDefinition(nameof(TraceSamplingTests), DisableParallelization = true)]
public sealed class TraceSamplingTests
{
    [Fact]
    public async Task ServiceDefaults_BurstOfRequests_KeepsAtMostTheRate_AndEveryElection()
    {
        using var source = new ActivitySource("DistSync.Locks");
        // Listening before the host exists, so no foreign span can take a token unseen.
        var foreign = new ConcurrentQueue<string>();
        using var observer = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.None, // watches, decides nothing
            ActivityStarted = a =>
            {
                if (a.Source != source && a.ParentSpanId == default && a.Recorded && !Extensions.AlwaysTraced.Contains(a.OperationName))
                {
                    foreign.Enqueue($"{a.Source.Name}/{a.OperationName}");
                }
            },
        };
        ActivitySource.AddActivityListener(observer);
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

        // 10 tokens at the start and 3 refilled by 0.3 s at 10/s: the bursts take what no other root span of the process
        // took, and nothing more. A foreign span's token may fall in either window, so the two are counted together; a
        // foreign span counted that another listener of the process kept, not this host, only makes the sum larger.
        var kept = exported.Count(a => a.DisplayName == "lock.acquire");
        var keptLater = exported.Count(a => a.DisplayName == "lock.acquire.later");
        Assert.True(kept + keptLater + foreign.Count >= 13,
            $"kept {kept} + {keptLater} of the bursts, and {foreign.Count} other root spans ({string.Join(", ", foreign)}): some of the 13 tokens went unused");
        Assert.InRange(kept, 0, 10); // the bucket's burst, and no more
        Assert.InRange(keptLater, 0, 3);
        Assert.Equal(kept, exported.Count(a => a.DisplayName == "lock.acquire.child")); // a kept trace is kept whole
        Assert.Equal(keptLater, exported.Count(a => a.DisplayName == "lock.acquire.later.child"));
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
