namespace DistSync.LoadTests.Cli;

/// <summary>
/// One start of the tool: the command and its arguments, the command line as printed and kept in reports (with the
/// token cut short), and the load average before anything ran.
/// </summary>
public sealed class Invocation
{
    private readonly string[] _args;

    /// <param name="args">The tool's arguments, the command first.</param>
    public Invocation(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentOutOfRangeException.ThrowIfZero(args.Length);
        _args = args;
        LoadBefore = MachineInfo.LoadAverage();
        CommandText = $"dotnet run -c Release --project DistSync.LoadTests -- {string.Join(' ', ApiToken.Redact(args))}";
    }

    public string Command => _args[0];

    /// <summary>What follows the command.</summary>
    public IReadOnlyList<string> Arguments => _args[1..];

    /// <summary>The 1/5/15-minute load averages when the tool started: other work on the machine skews every figure.</summary>
    public string LoadBefore { get; }

    /// <summary>How to run the same command again, as printed before a run and kept in its report.</summary>
    public string CommandText { get; }

    /// <summary>The command's "--name value" options; the token among them is the one every request carries from now on.</summary>
    /// <param name="allowed">Options the command takes (and the token); any other is an error, so a misspelt one does not fall back to a default.</param>
    public CommandLine Options(params string[] allowed) => Options(Arguments, allowed);

    /// <summary>As <see cref="Options(string[])"/>, for a command that takes more than options (<paramref name="named"/> is the options part).</summary>
    public static CommandLine Options(IReadOnlyList<string> named, params string[] allowed)
    {
        var options = CommandLine.Parse(named);
        ApiToken.Resolve(options.Get(ApiToken.Option));
        options.OnlyAllow(allowed);
        return options;
    }

    /// <summary>The command, the machine and how busy it is, before a run: what a reader of its figures needs first.</summary>
    public void PrintPreamble(TextWriter? output = null)
    {
        output ??= Console.Out;
        output.WriteLine($"command    {CommandText}");
        output.WriteLine($"machine    {MachineInfo.Describe()}");
        if (MachineInfo.AutogroupWarning() is { } autogroups)
        {
            output.WriteLine($"warning    {autogroups}");
        }

        output.WriteLine($"note       the load generator shares these {Environment.ProcessorCount} cores with the cluster: its own CPU use lowers the numbers");
        output.WriteLine($"started    {DateTimeOffset.UtcNow:u}, load average {MachineInfo.LoadAverage()} (1/5/15 min, before the run)");
        output.WriteLine();
    }
}
