using DistSync.Raft;

namespace DistSync.Node.Consensus;

/// <summary>Snapshots for a backup (<c>GET /admin/snapshot</c>): the same bytes compaction writes, handed to the caller instead.</summary>
public sealed partial class RaftHost
{
    /// <summary>
    /// A snapshot of every state machine and the replicated clock that holds every write committed before the call: a
    /// read barrier first, then the machines' bytes taken on the loop at the applied index, exactly as compaction takes
    /// them. Only the taking holds up the loop; the parts are put together here.
    /// </summary>
    public async Task<Snapshot> TakeSnapshotAsync(CancellationToken cancellationToken)
    {
        await ReadBarrierAsync(cancellationToken);
        var taken = new TaskCompletionSource<(SnapshotMetadata Metadata, List<(byte Tag, byte[] Data)> Parts)>(TaskCreationOptions.RunContinuationsAsynchronously);
        Enqueue(new LoopInput.TakeSnapshot(taken));
        try
        {
            var (metadata, parts) = await taken.Task.WaitAsync(_options.ProposalTimeout, cancellationToken);
            return new Snapshot(metadata, CombineMachines(parts));
        }
        catch (TimeoutException)
        {
            throw new RaftUnavailableException($"The Raft loop did not take the snapshot within {_options.ProposalTimeout.TotalSeconds:F1} s.", LeaderId);
        }
    }
}
