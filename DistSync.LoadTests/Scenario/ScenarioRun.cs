namespace DistSync.LoadTests.Scenario;

/// <summary>
/// What the users of one run share: names prefixed with the run's id (a rerun never meets an earlier run's locks,
/// messages or keys), how many lock resources and cache keys they spread over, and how long an acquire waits.
/// </summary>
public sealed record ScenarioRun(string Id, int Resources, int Keys, int LockWaitMs)
{
    public string Topic => $"scenario-{Id}";

    public string Resource(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return $"scenario-{Id}/lock-{random.Next(Resources)}";
    }

    public string Key(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return $"scenario-{Id}/key-{random.Next(Keys)}";
    }
}
