namespace DistSync.Node.Consensus;

/// <summary>What <see cref="SnapshotAssembler.Add"/> did with a chunk.</summary>
public enum SnapshotChunkOutcome
{
    /// <summary>An offset-0 chunk began an assembly; a partial one before it, if any, was dropped.</summary>
    Started,

    /// <summary>The chunk continued the assembly exactly where it stood.</summary>
    Continued,

    /// <summary>The chunk completed the snapshot, and its checksum covers the whole of it.</summary>
    Completed,

    /// <summary>The chunk's bytes are already held; ignored.</summary>
    Duplicate,

    /// <summary>The chunk is from an older term than one already seen; refused, the assembly kept.</summary>
    Stale,

    /// <summary>
    /// The chunk does not start where the assembly stands (a gap: the assembly is dropped, it can no longer complete),
    /// or continues a snapshot that is not being assembled; refused.
    /// </summary>
    OutOfOrder,

    /// <summary>The bytes received so far do not match the chunk's checksum; the assembly is dropped.</summary>
    ChecksumMismatch,

    /// <summary>The snapshot is larger than this node accepts; refused before anything is allocated.</summary>
    TooLarge,
}
