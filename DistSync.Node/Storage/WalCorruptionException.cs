namespace DistSync.Node.Storage;

/// <summary>
/// The on-disk Raft state is damaged somewhere other than a torn tail (which <see cref="RaftStorage.Load"/> repairs).
/// Starting anyway could lose acknowledged data, so the node must not start; an operator has to look at the file.
/// </summary>
public sealed class WalCorruptionException : IOException
{
    public WalCorruptionException(string filePath, long offset, string problem)
        : base($"Raft storage corrupt: {problem} (file '{filePath}', offset {offset})")
    {
        FilePath = filePath;
        Offset = offset;
    }

    public WalCorruptionException()
        : this("?", -1, "unknown")
    {
    }

    public WalCorruptionException(string message)
        : base(message)
    {
        FilePath = "?";
        Offset = -1;
    }

    public WalCorruptionException(string message, Exception innerException)
        : base(message, innerException)
    {
        FilePath = "?";
        Offset = -1;
    }

    /// <summary>The damaged file.</summary>
    public string FilePath { get; } = "?";

    /// <summary>Byte offset of the damage within <see cref="FilePath"/>, or -1 when it concerns the whole file.</summary>
    public long Offset { get; }
}
