using HdrHistogram;

namespace DistSync.LoadTests.Reports;

/// <summary>Buckets a latency histogram into 1-2-5 steps (…, 0.5, 1, 2, 5, 10 ms, …): readable bars across four decades.</summary>
public static class LatencyBins
{
    /// <summary>Upper edges in milliseconds, 0.05 ms to 60 s.</summary>
    public static IReadOnlyList<double> Edges { get; } = BuildEdges();

    internal static IReadOnlyList<LatencyBin> From(LongHistogram histogram)
    {
        if (histogram.TotalCount == 0)
        {
            return [];
        }

        var counts = new long[Edges.Count];
        foreach (var value in histogram.RecordedValues())
        {
            var ms = histogram.HighestEquivalentValue(value.ValueIteratedTo) / 1000.0;
            counts[Index(ms)] += value.CountAtValueIteratedTo;
        }

        // Trim empty bins at both ends; keep the empty ones between (a gap is information).
        var first = Array.FindIndex(counts, c => c > 0);
        var last = Array.FindLastIndex(counts, c => c > 0);
        return [.. Enumerable.Range(first, last - first + 1).Select(i => new LatencyBin(i == 0 ? 0 : Edges[i - 1], Edges[i], counts[i]))];
    }

    /// <summary>The bin a latency falls in: the first whose upper edge is at least <paramref name="ms"/>.</summary>
    public static int Index(double ms)
    {
        for (var i = 0; i < Edges.Count; i++)
        {
            if (ms <= Edges[i])
            {
                return i;
            }
        }

        return Edges.Count - 1;
    }

    private static List<double> BuildEdges()
    {
        var edges = new List<double>();
        for (var decade = 0.01; decade < 60_000; decade *= 10)
        {
            foreach (var step in new[] { 5.0, 10.0, 20.0 })
            {
                var edge = Math.Round(decade * step, 6);
                if (edge is >= 0.05 and <= 60_000)
                {
                    edges.Add(edge);
                }
            }
        }

        edges.Add(60_000);
        return edges;
    }
}
