namespace DistSync.Node.Storage;

/// <summary>One WAL segment file as the writer tracks it.</summary>
internal sealed class WalSegment(long sequence, string path, uint salt, long length)
{
    public long Sequence { get; } = sequence;

    public string Path { get; } = path;

    public uint Salt { get; } = salt;

    /// <summary>Bytes of frames in the file (the append offset for the active segment).</summary>
    public long Length { get; set; } = length;

    /// <summary>
    /// Size of the file: the active segment is zero-filled ahead of <see cref="Length"/>, so that an append
    /// overwrites blocks that already exist and its fsync has no file size or block map to journal.
    /// </summary>
    public long Allocated { get; set; } = length;

    /// <summary>Highest entry index written in this segment, 0 if none: it can go once a snapshot covers this.</summary>
    public long MaxEntryIndex { get; set; }

    /// <summary>Whether anything beyond the header and the opening hard state frame was written.</summary>
    public bool HasContent { get; set; }
}
