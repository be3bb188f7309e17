using System.Globalization;

namespace DistSync.LoadTests.Scenario;

/// <summary>
/// How long a virtual user waits between tasks, uniformly between <see cref="Min"/> and <see cref="Max"/> (Locust's
/// <c>between(1, 3)</c>). Written <c>1-3s</c>, <c>500-1500ms</c>, <c>2s</c> or <c>0</c> (no wait: a closed loop).
/// </summary>
public readonly record struct ThinkTime(TimeSpan Min, TimeSpan Max)
{
    /// <summary>Longest wait accepted: a user who thinks for ten minutes is a typo.</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromMinutes(10);

    public static ThinkTime Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed == "0")
        {
            return new ThinkTime(TimeSpan.Zero, TimeSpan.Zero);
        }

        var (unit, scale) = trimmed.EndsWith("ms", StringComparison.Ordinal) ? ("ms", 1.0) : trimmed.EndsWith('s') ? ("s", 1000.0) : ("", 0);
        if (scale == 0)
        {
            throw Bad(text);
        }

        var parts = trimmed[..^unit.Length].Split('-');
        if (parts.Length is < 1 or > 2 || !parts.All(p => double.TryParse(p, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out _)))
        {
            throw Bad(text);
        }

        var minMs = double.Parse(parts[0], CultureInfo.InvariantCulture) * scale;
        var maxMs = double.Parse(parts[^1], CultureInfo.InvariantCulture) * scale;
        return minMs <= maxMs && maxMs <= Longest.TotalMilliseconds
            ? new ThinkTime(TimeSpan.FromMilliseconds(minMs), TimeSpan.FromMilliseconds(maxMs))
            : throw Bad(text);
    }

    /// <summary>A wait drawn uniformly from the range.</summary>
    public TimeSpan Next(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return Min + (Max - Min) * random.NextDouble();
    }

    public override string ToString() => Min == Max
        ? $"{Min.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s"
        : $"{Min.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)}-{Max.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s";

    private static ArgumentException Bad(string text) =>
        new($"--wait must be a range like 1-3s or 500-1500ms, one time like 2s, or 0 (at most {Longest.TotalMinutes:F0} minutes), not '{text}'.");
}
