namespace DistSync.LoadTests.Cli;

/// <summary>Ctrl+C as the long runs take it: the first press ends the run early and it still reports; a second ends the tool.</summary>
public static class CtrlC
{
    /// <summary>A token the first Ctrl+C cancels; the second runs <paramref name="beforeExit"/> and lets the tool end.</summary>
    /// <param name="beforeExit">What must not be left behind, e.g. telling clusters the tool started to stop.</param>
    public static CancellationToken FirstPressCancels(Action beforeExit)
    {
        ArgumentNullException.ThrowIfNull(beforeExit);
        // Never disposed: the handler may still fire while the tool exits.
        var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            if (cancel.IsCancellationRequested)
            {
                beforeExit();
                return;
            }

            e.Cancel = true;
            cancel.Cancel();
        };
        return cancel.Token;
    }
}
