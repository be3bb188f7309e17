namespace DistSync.AppHost.Dashboard.Store;

public sealed partial class TelemetryStore
{
    private readonly Lock _metricsLock = new();
    private readonly Dictionary<(string Resource, string Name), InstrumentBucket> _instruments = [];
    // One entry per stored point, in arrival order: the head names the series holding the oldest point,
    // and since a series' points arrive in order, that point is the head of the series' own queue.
    private readonly Queue<SeriesBucket> _pointOrder = new();

    /// <summary>Metric points held now, over all instruments and series.</summary>
    public int MetricPointCount
    {
        get
        {
            lock (_metricsLock)
            {
                return _pointOrder.Count;
            }
        }
    }

    /// <summary>Adds data points; drops the oldest points past the limit.</summary>
    public void AddMetrics(IReadOnlyCollection<MetricSample> samples)
    {
        if (samples.Count == 0)
        {
            return;
        }

        lock (_metricsLock)
        {
            foreach (var sample in samples)
            {
                var key = (sample.Instrument.Resource, sample.Instrument.Name);
                if (!_instruments.TryGetValue(key, out var instrument))
                {
                    instrument = new InstrumentBucket();
                    _instruments.Add(key, instrument);
                }

                instrument.Instrument = sample.Instrument;
                var seriesKey = SeriesKey(sample.Attributes);
                if (!instrument.Series.TryGetValue(seriesKey, out var series))
                {
                    series = new SeriesBucket(instrument, seriesKey, sample.Attributes);
                    instrument.Series.Add(seriesKey, series);
                }

                series.Points.Enqueue(sample.Point);
                _pointOrder.Enqueue(series);
            }

            while (_pointOrder.Count > _maxMetricPoints)
            {
                DropOldestPoint();
            }
        }

        NoteResources(samples.Select(s => s.Instrument.Resource).Distinct());
        Raise(TelemetryKind.Metrics);
    }

    /// <summary>Every instrument (optionally of one resource) with the latest point per series, by resource then name.</summary>
    public IReadOnlyList<InstrumentSummary> GetInstruments(string? resource = null)
    {
        lock (_metricsLock)
        {
            return [.. _instruments.Values
                .Where(i => resource is null || i.Instrument!.Resource == resource)
                .OrderBy(i => i.Instrument!.Resource, StringComparer.Ordinal)
                .ThenBy(i => i.Instrument!.Name, StringComparer.Ordinal)
                .Select(i => new InstrumentSummary(
                    i.Instrument!,
                    [.. i.Series.Values.Select(s => new MetricSeriesData(s.Attributes, [s.Points.Last()]))]))];
        }
    }

    /// <summary>All held points of every series of one instrument, or null when unknown.</summary>
    public (MetricInstrument Instrument, IReadOnlyList<MetricSeriesData> Series)? GetSeries(string resource, string name)
    {
        lock (_metricsLock)
        {
            if (!_instruments.TryGetValue((resource, name), out var instrument))
            {
                return null;
            }

            return (instrument.Instrument!, [.. instrument.Series.Values.Select(s => new MetricSeriesData(s.Attributes, [.. s.Points]))]);
        }
    }

    private void DropOldestPoint()
    {
        var series = _pointOrder.Dequeue();
        series.Points.Dequeue();
        if (series.Points.Count == 0)
        {
            series.Owner.Series.Remove(series.Key);
            if (series.Owner.Series.Count == 0)
            {
                _instruments.Remove((series.Owner.Instrument!.Resource, series.Owner.Instrument.Name));
            }
        }
    }

    private static string SeriesKey(IReadOnlyDictionary<string, string> attributes) =>
        string.Join('\u001f', attributes.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}={a.Value}"));

    private sealed class InstrumentBucket
    {
        public MetricInstrument? Instrument { get; set; }

        public Dictionary<string, SeriesBucket> Series { get; } = new(StringComparer.Ordinal);
    }

    private sealed class SeriesBucket(InstrumentBucket owner, string key, IReadOnlyDictionary<string, string> attributes)
    {
        public InstrumentBucket Owner { get; } = owner;

        public string Key { get; } = key;

        public IReadOnlyDictionary<string, string> Attributes { get; } = attributes;

        public Queue<MetricPoint> Points { get; } = new();
    }
}
