namespace DistSync.AppHost.Dashboard;

/// <summary>One line a resource wrote to stdout (or stderr when <paramref name="IsError"/>).</summary>
/// <param name="Sequence">Strictly increasing per resource; clients tail with "after this sequence".</param>
public sealed record ConsoleLine(long Sequence, string Resource, DateTimeOffset Time, bool IsError, string Text);
