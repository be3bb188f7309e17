using DistSync.LoadTests.Cli;

namespace DistSync.LoadTests.Reports;

/// <summary><c>compare A B [C ...]</c>: report folders side by side, endpoint by endpoint, as a Markdown table and, with <c>--report DIR</c>, a page.</summary>
public static class CompareCommand
{
    public const string Name = "compare";

    public static int Run(Invocation invocation)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var (folders, named) = SplitFolders(invocation.Arguments);
        var options = Invocation.Options(named, ReportOutput.Option);
        if (options.Get(ReportOutput.Option) is { } directory)
        {
            ReportOutput.Prepare(directory);
        }

        if (folders.Length < 2)
        {
            throw new ArgumentException("compare needs two report folders or more: compare A B [C ...].");
        }

        var names = folders.Select(path => Path.GetFileName(Path.TrimEndingDirectorySeparator(path))).ToList();
        var runs = folders.Select((path, i) => new ReportComparison.Run(names.Count(n => n == names[i]) > 1 ? path : names[i], ReportJson.Read(path))).ToList();
        foreach (var run in runs)
        {
            Console.WriteLine($"{run.Label}: {run.Report.CommandLine} ({run.Report.StartedAt:u}, load average {run.Report.Machine.LoadAverageBefore} before)");
        }

        Console.WriteLine();
        Console.Write(ReportComparison.Markdown(runs));
        if (options.Get(ReportOutput.Option) is { } compared)
        {
            var page = Path.Combine(compared, "comparison.html");
            ReportComparison.WriteHtml(runs, [], page);
            Console.WriteLine($"comparison {Path.GetFullPath(page)}");
        }

        return 0;
    }

    /// <summary>Folders (no leading --) apart from --name value pairs, in any order.</summary>
    private static (string[] Folders, string[] Named) SplitFolders(IReadOnlyList<string> args)
    {
        var folders = new List<string>();
        var named = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal))
            {
                named.Add(args[i]);
                if (i + 1 < args.Count)
                {
                    named.Add(args[++i]);
                }
            }
            else
            {
                folders.Add(args[i]);
            }
        }

        return ([.. folders], [.. named]);
    }
}
