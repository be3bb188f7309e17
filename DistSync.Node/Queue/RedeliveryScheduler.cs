using DistSync.Node.Cluster;

namespace DistSync.Node.Queue;

/// <summary>
/// The owner's clock for its partitions: sleeps until the earliest visibility deadline or delay of any partition it
/// owns (known exactly from the scripts' answers) and then puts those messages back, so an unacked message returns
/// by itself with no client call. When the ring changes, it takes over the partitions it gained (fencing the
/// previous owner and learning their deadlines) and forgets those it lost.
/// </summary>
public sealed class RedeliveryScheduler(
    QueueOwner owner,
    OwnedPartitions owned,
    QueueRing ring,
    TopicRegistry topics,
    MembershipStateMachine membership,
    QueueStore store,
    QueueTelemetry telemetry,
    PeerDirectory peers,
    ILogger<RedeliveryScheduler> logger) : BackgroundService
{
    /// <summary>Also the longest the scheduler sleeps: gauges refresh, and a failed take-over is tried again.</summary>
    private static readonly TimeSpan Housekeeping = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _wake = new(0, 1);
    private volatile bool _takeOverPending = true;
    private long _lastHousekeepingMs;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        owned.DeadlineMovedEarlier += Wake;
        topics.Changed += OnTopicsChanged;
        membership.Changed += OnRingChanged;
        telemetry.BindEpoch(() => ring.Membership.Epoch);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                // The monotonic clock the deadlines were counted on: the wall clock (whatever it says) is never read here.
                var now = owned.NowMs;
                try
                {
                    if (_takeOverPending)
                    {
                        _takeOverPending = false;
                        await TakeOverAsync();
                    }

                    var (due, _) = owned.Due(now, ring.Membership.Epoch);
                    foreach (var (topic, partition) in due)
                    {
                        await owner.RequeueDueAsync(topic, partition);
                    }

                    if (now - _lastHousekeepingMs >= Housekeeping.TotalMilliseconds)
                    {
                        _lastHousekeepingMs = now;
                        await RefreshGaugesAsync();
                    }
                }
                catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
                {
                    _takeOverPending = true; // Redis is away: try it all again at the next wake-up
                    logger.LogWarning("Queue redelivery postponed, Redis did not answer: {Reason}", ex.Message);
                }

                var after = owned.NowMs;
                var (_, next) = owned.Due(after, ring.Membership.Epoch);
                var sleep = next < 0 ? Housekeeping : TimeSpan.FromMilliseconds(Math.Clamp(next - after, 0, Housekeeping.TotalMilliseconds));
                await _wake.WaitAsync(sleep, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The node is stopping.
        }
        finally
        {
            owned.DeadlineMovedEarlier -= Wake;
            topics.Changed -= OnTopicsChanged;
            membership.Changed -= OnRingChanged;
        }
    }

    /// <summary>Partitions this node owns now, for every topic.</summary>
    private IEnumerable<(string Topic, int Partition)> Owned(ClusterMembership current) =>
        topics.Topics.SelectMany(t => Enumerable.Range(0, t.Partitions).Select(p => (t.Name, p)))
            .Where(tp => QueueRing.OwnerOf(current, tp.Name, tp.p) == peers.SelfId);

    private async Task TakeOverAsync()
    {
        var current = ring.Membership;
        owned.RetainOnly((topic, partition) => QueueRing.OwnerOf(current, topic, partition) == peers.SelfId);
        telemetry.ForgetDepth((topic, partition) => QueueRing.OwnerOf(current, topic, partition) == peers.SelfId);
        foreach (var (topic, partition) in Owned(current).Where(tp => owned.Get(tp.Topic, tp.Partition, current.Epoch) is null).ToList())
        {
            await owner.RequeueDueAsync(topic, partition); // fences the previous owner, learns the deadlines
        }
    }

    private async Task RefreshGaugesAsync()
    {
        foreach (var (topic, partition) in Owned(ring.Membership).ToList())
        {
            var stats = await store.StatsAsync(topic, partition);
            telemetry.Depth(topic, partition, stats.Ready, stats.InFlight);
        }
    }

    private void OnRingChanged(ClusterMembership before, ClusterMembership after)
    {
        // On the Raft loop: count, record, and leave the Redis work to the scheduler's own loop.
        var all = topics.Topics.SelectMany(t => Enumerable.Range(0, t.Partitions).Select(p => (t.Name, p))).ToList();
        var gained = all.Count(tp => QueueRing.OwnerOf(after, tp.Name, tp.p) == peers.SelfId && QueueRing.OwnerOf(before, tp.Name, tp.p) != peers.SelfId);
        var lost = all.Count(tp => QueueRing.OwnerOf(before, tp.Name, tp.p) == peers.SelfId && QueueRing.OwnerOf(after, tp.Name, tp.p) != peers.SelfId);
        telemetry.Rebalanced(before, after, gained, lost);
        _takeOverPending = true;
        Wake();
    }

    private void OnTopicsChanged()
    {
        _takeOverPending = true;
        Wake();
    }

    private void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already woken.
        }
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }
}
