using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace DistSync.Node.Hosting;

/// <summary>
/// fsync of a directory, so that a created, renamed or deleted name survives a power loss. .NET refuses to open a
/// directory as a file (File.OpenHandle throws UnauthorizedAccessException on .NET 10), so on Unix the directory is
/// opened with libc open(2) and flushed through RandomAccess.FlushToDisk, which issues fsync(2) on that descriptor.
/// Windows needs no equivalent: NTFS journals metadata, and directories cannot be flushed there.
/// </summary>
internal static class DirectorySync
{
    private const int ReadOnly = 0; // O_RDONLY is 0 on Linux and macOS alike.

    /// <summary>
    /// Replaces <paramref name="path"/> with <paramref name="content"/> so that a crash leaves the old file or the new
    /// one, never a part: a temporary file, fsynced, renamed over it, and the folder fsynced.
    /// </summary>
    public static void ReplaceFile(string path, ReadOnlySpan<byte> content)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
        Flush(directory);
    }

    public static void Flush(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var path = Encoding.UTF8.GetBytes(Path.GetFullPath(directory) + "\0");
        var fd = open(path, ReadOnly);
        if (fd < 0)
        {
            throw new IOException($"cannot open directory '{directory}' to fsync it (errno {Marshal.GetLastPInvokeError()})");
        }

        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        RandomAccess.FlushToDisk(handle);
    }

    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
#pragma warning disable SYSLIB1054 // LibraryImport would need AllowUnsafeBlocks in the Node project for one call.
    private static extern int open(byte[] path, int flags);
#pragma warning restore SYSLIB1054
}
