using System.Diagnostics;

namespace DistSync.Tests.Chaos;

/// <summary>
/// The planted bugs (DistSync.LoadTests/Chaos/Planted) are patches against the node's code: each must still apply, or
/// the proof that the fault harness can fail has quietly stopped being one.
/// </summary>
public sealed class PlantedPatchesTests
{
    public static TheoryData<string> Patches() => [.. Directory.GetFiles(Path.Combine(Root(), "DistSync.LoadTests", "Chaos", "Planted"), "*.patch").Select(Path.GetFileName).OfType<string>().Order()];

    [Theory]
    [MemberData(nameof(Patches))]
    public async Task Patch_StillAppliesToTheCode(string patch)
    {
        var info = new ProcessStartInfo("git", ["apply", "--check", Path.Combine("DistSync.LoadTests", "Chaos", "Planted", patch)])
        {
            WorkingDirectory = Root(),
            RedirectStandardError = true,
        };
        using var git = Process.Start(info)!;
        var errors = await git.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await git.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.True(git.ExitCode == 0, $"{patch} no longer applies: {errors}");
    }

    [Fact]
    public void Patches_OnePerPrimitiveAtLeast() =>
        Assert.True(Patches().Count >= 4, "lock, cache, state read and queue patches");

    private static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DistSync.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("no DistSync.sln above " + AppContext.BaseDirectory);
    }
}
