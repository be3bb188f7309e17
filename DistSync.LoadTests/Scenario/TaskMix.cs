using System.Globalization;

namespace DistSync.LoadTests.Scenario;

/// <summary>
/// Which task a virtual user runs next, drawn by weight (Locust's <c>@task(3)</c>). Written
/// <c>state:3,lock:2,queue:2,cache-get:3,cache-set:1</c>; a task left out does not run.
/// </summary>
public sealed class TaskMix
{
    /// <summary>The original's mix (lock state reads, acquire+release, publish+consume) with the cache's get and set added.</summary>
    public const string Default = "state:3,lock:2,queue:2,cache-get:3,cache-set:1";

    private readonly int[] _cumulative;

    private TaskMix(IReadOnlyList<(ScenarioTask Task, int Weight)> entries)
    {
        Entries = entries;
        _cumulative = new int[entries.Count];
        var sum = 0;
        for (var i = 0; i < entries.Count; i++)
        {
            sum += entries[i].Weight;
            _cumulative[i] = sum;
        }
    }

    public IReadOnlyList<(ScenarioTask Task, int Weight)> Entries { get; }

    public int TotalWeight => _cumulative[^1];

    public static TaskMix Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var entries = new List<(ScenarioTask, int)>();
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = item.Split(':', StringSplitOptions.TrimEntries);
            var name = parts[0];
            var task = ScenarioTasks.Named(name)
                ?? throw new ArgumentException($"--mix: unknown task '{name}'; the tasks are {string.Join(", ", ScenarioTasks.Names)}.");
            var weight = 1;
            if (parts.Length > 2 || (parts.Length == 2 && !(int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out weight) && weight is > 0 and <= 1000)))
            {
                throw new ArgumentException($"--mix: '{item}' must be task:weight with a weight from 1 to 1000.");
            }

            if (entries.Any(e => e.Item1 == task))
            {
                throw new ArgumentException($"--mix names '{name}' twice.");
            }

            entries.Add((task, weight));
        }

        return entries.Count > 0 ? new TaskMix(entries) : throw new ArgumentException("--mix must name at least one task.");
    }

    public ScenarioTask Next(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var draw = random.Next(TotalWeight);
        var index = Array.FindIndex(_cumulative, c => draw < c);
        return Entries[index].Task;
    }

    public override string ToString() => string.Join(",", Entries.Select(e => $"{ScenarioTasks.NameOf(e.Task)}:{e.Weight}"));
}
