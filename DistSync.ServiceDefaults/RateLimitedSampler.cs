using System.Diagnostics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Starts at most <c>maxPerSecond</c> new traces a second (a token bucket, as Jaeger's rate-limiting sampler does),
/// and always the rare spans a user comes to the dashboard for (elections). Under light load every trace is kept;
/// under load the dashboard gets a steady sample instead of thousands of spans a second, which on a 2-core machine
/// cost the nodes and the dashboard more than the work they describe. Children follow their parent's decision
/// (wrap in <see cref="ParentBasedSampler"/>), so a kept trace is kept whole, across nodes.
/// </summary>
public sealed class RateLimitedSampler : Sampler
{
    private readonly double _perSecond;
    private readonly HashSet<string> _alwaysSampled;
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private double _tokens;
    private long _lastRefill;

    public RateLimitedSampler(double maxPerSecond, IEnumerable<string> alwaysSampled, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPerSecond);
        _perSecond = maxPerSecond;
        _tokens = maxPerSecond;
        _alwaysSampled = [.. alwaysSampled];
        _time = time ?? TimeProvider.System;
        _lastRefill = _time.GetTimestamp();
        Description = $"RateLimitedSampler{{{maxPerSecond}/s}}";
    }

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters)
    {
        if (_alwaysSampled.Contains(samplingParameters.Name))
        {
            return new SamplingResult(SamplingDecision.RecordAndSample);
        }

        lock (_gate)
        {
            var now = _time.GetTimestamp();
            _tokens = Math.Min(_perSecond, _tokens + (_time.GetElapsedTime(_lastRefill, now).TotalSeconds * _perSecond));
            _lastRefill = now;
            if (_tokens < 1)
            {
                return new SamplingResult(SamplingDecision.Drop);
            }

            _tokens -= 1;
            return new SamplingResult(SamplingDecision.RecordAndSample);
        }
    }
}
