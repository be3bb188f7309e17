using DistSync.LoadTests.Benchmarks;
using DistSync.LoadTests.Chaos;
using DistSync.LoadTests.Cli;
using DistSync.LoadTests.Reports;
using DistSync.LoadTests.Scenario;
using DistSync.LoadTests.Versus;

// Picks the command and turns what went wrong into an exit code; each command reads its own options.
if (args.Length == 0 || args[0] is "--help" or "-h")
{
    Console.WriteLine(Usage.Text);
    return args.Length == 0 ? 2 : 0;
}

var invocation = new Invocation(args);
try
{
    return args[0] switch
    {
        ScenarioCommand.Name => await ScenarioCommand.RunAsync(invocation),
        ChaosCommand.Name => await ChaosCommand.RunAsync(invocation),
        VersusCommand.Name => await VersusCommand.RunAsync(invocation),
        CompareCommand.Name => CompareCommand.Run(invocation),
        BareServer.Command => await BareServer.RunAsync(invocation),
        var command when BenchmarkCommand.Names.Contains(command) => await BenchmarkCommand.RunAsync(invocation),
        var command => Usage.UnknownCommand(command),
    };
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 2;
}
catch (InvalidOperationException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("stopped (Ctrl+C) before there was anything to report.");
    return 130;
}
