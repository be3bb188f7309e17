using Microsoft.Extensions.Options;
using Microsoft.Win32.SafeHandles;

namespace DistSync.Node.Hosting;

/// <summary>
/// The data folder's <c>LOCK</c> file, held open with <see cref="FileShare.None"/> for the node's lifetime: two
/// processes on one folder (a revision overlap in Container Apps, a pod rescheduled while the old one still runs) would
/// interleave two Raft logs in one. On Unix .NET takes <c>flock(LOCK_EX | LOCK_NB)</c> for <see cref="FileShare.None"/>,
/// an advisory lock the kernel drops when the process dies, so a killed node's successor starts without waiting.
/// </summary>
public sealed class DataDirLock(IOptions<NodeOptions> options) : IDisposable
{
    public const string FileName = "LOCK";

    private SafeFileHandle? _handle;

    /// <summary>Takes the lock, or throws <see cref="ClusterIdentityException"/> naming the folder when another process holds it.</summary>
    public void Acquire()
    {
        var node = options.Value;
        _handle ??= Open(node.ResolveDataDir(), node.NodeId);
    }

    public void Dispose() => _handle?.Dispose();

    internal static SafeFileHandle Open(string dataDir, string nodeId)
    {
        Directory.CreateDirectory(dataDir);
        var path = Path.Combine(dataDir, FileName);
        try
        {
            return File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex) when (IsHeldElsewhere(ex))
        {
            throw new ClusterIdentityException(
                $"{nodeId}'s data folder {dataDir} is in use by another process ({path} is locked). Two processes on one folder would corrupt "
                + "its Raft log, so this one does not start. Stop the other process first (in Azure Container Apps: single revision mode and "
                + "one replica per node app), or give this node a folder of its own (DistSync__DataDir).");
        }
    }

    // .NET puts the OS's code in HResult: flock's EWOULDBLOCK on Unix (11 on Linux, 35 on macOS), a sharing violation (32) on Windows.
    private static bool IsHeldElsewhere(IOException ex) =>
        OperatingSystem.IsWindows() ? (ex.HResult & 0xFFFF) == 32 : ex.HResult == (OperatingSystem.IsMacOS() ? 35 : 11);
}
