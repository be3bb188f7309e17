namespace DistSync.LoadTests.Scenario;

/// <summary>One thing a virtual user does between think times; each sends one or more named requests.</summary>
public enum ScenarioTask
{
    /// <summary><c>GET /locks/state</c>: the whole lock table, read linearizably.</summary>
    State,

    /// <summary>An exclusive lock on one of the run's resources (<c>POST /locks/acquire</c>), then its release (<c>/locks/release</c>) if granted.</summary>
    Lock,

    /// <summary><c>POST /queue/publish</c>, then <c>/queue/consume</c> and an ack of whatever came back (sent as <c>/queue/ack_batch</c>).</summary>
    Queue,

    /// <summary><c>GET /cache/get</c> of one of the run's keys.</summary>
    CacheGet,

    /// <summary><c>POST /cache/set</c> of one of the run's keys.</summary>
    CacheSet,
}
