using DistSync.Node.Hosting;

namespace DistSync.Tests.Storage;

public sealed class DirectorySyncTests
{
    [Fact]
    public void Flush_ExistingDirectory_SucceedsOnRealDisk()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(Path.Combine(dir.Path, "f"), [1]);

        var error = Record.Exception(() => DirectorySync.Flush(dir.Path));

        Assert.Null(error);
    }

    [Fact]
    public void Flush_MissingDirectory_ThrowsIOException()
    {
        var missing = Path.Combine(Path.GetTempPath(), "distsync-missing-" + Guid.NewGuid().ToString("N"));

        if (OperatingSystem.IsWindows())
        {
            DirectorySync.Flush(missing); // a no-op there by design
            Assert.False(Directory.Exists(missing));
        }
        else
        {
            Assert.Throws<IOException>(() => DirectorySync.Flush(missing));
        }
    }
}
