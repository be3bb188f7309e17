namespace DistSync.Tests.Storage;

/// <summary>A fresh directory on the real disk, deleted with everything in it when disposed.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "distsync-wal-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Wal => System.IO.Path.Combine(Path, "wal");

    public string Snap => System.IO.Path.Combine(Path, "snap");

    public string Segment(long sequence) => System.IO.Path.Combine(Wal, $"{sequence:D20}.wal");

    /// <summary>A copy of this directory's files (without the lock) in a new temp directory.</summary>
    public TempDirectory CopyTo()
    {
        var copy = new TempDirectory();
        foreach (var sub in new[] { "wal", "snap" })
        {
            var from = System.IO.Path.Combine(Path, sub);
            var to = System.IO.Path.Combine(copy.Path, sub);
            Directory.CreateDirectory(to);
            if (Directory.Exists(from))
            {
                foreach (var file in Directory.EnumerateFiles(from))
                {
                    File.Copy(file, System.IO.Path.Combine(to, System.IO.Path.GetFileName(file)));
                }
            }
        }

        return copy;
    }

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
