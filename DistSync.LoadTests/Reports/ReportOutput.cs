namespace DistSync.LoadTests.Reports;

/// <summary>The folder <c>--report DIR</c> names: checked before a run starts, written when it ends.</summary>
public static class ReportOutput
{
    public const string Option = "report";

    /// <summary>Creates the folder and checks it takes files before a run starts, not after it has been measured.</summary>
    public static void Prepare(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        try
        {
            Directory.CreateDirectory(directory);
            var probe = Path.Combine(directory, ".write-test");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"--report {directory}: cannot write there ({ex.Message}).", ex);
        }
    }

    public static void Write(RunReport report, string directory, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(output);
        ReportWriter.Write(report, directory);
        output.WriteLine($"report     {Path.GetFullPath(Path.Combine(directory, ReportWriter.PageName))} (and {ReportJson.FileName}, endpoints.csv, series-*.csv, charts/)");
    }
}
