using System.Collections.Concurrent;
using DistSync.Node.Hosting;
using DistSync.Node.Membership;

namespace DistSync.Node.Queue;

/// <summary>
/// The owner's clock for its partitions: sleeps until the earliest visibility deadline or delay of any partition it
/// owns (known exactly from the scripts' answers) and then puts those messages back, so an unacked message returns
/// by itself with no client call. When the ring changes, it takes over the partitions it gained (fencing the
/// previous owner and learning their deadlines) and forgets those it lost; when a topic is created, it takes over
/// that topic's partitions only.
/// <para>
/// Its periodic work grows with what is due or changed, not with topics × partitions: a wake-up looks at the due
/// deadlines and the next one (<see cref="OwnedPartitions.Due"/>), and the gauges are refreshed from the partitions
/// whose view changed, from the view itself when nothing is in flight or delayed, else by one Redis read each, at most
/// <see cref="MaxGaugeReads"/> per refresh. Idle, it makes no Redis call. (Before, every 5 s it read every owned
/// partition from Redis: 27,000 calls per node of three with 10,000 topics of 8 partitions.)
/// </para>
/// </summary>
public sealed partial class RedeliveryScheduler(
    QueueOwner owner,
    OwnedPartitions owned,
    QueueRing ring,
    TopicRegistry topics,
    MembershipStateMachine membership,
    IQueueStore store,
    QueueTelemetry telemetry,
    PeerDirectory peers,
    TimeProvider time,
    ILogger<RedeliveryScheduler> logger) : BackgroundService
{
    /// <summary>Also the longest the scheduler sleeps: gauges refresh, and a failed take-over is tried again.</summary>
    private static readonly TimeSpan Housekeeping = TimeSpan.FromSeconds(5);

    /// <summary>Redis reads per gauge refresh (an in-flight count the view does not have): about 50 a second at most.</summary>
    public const int MaxGaugeReads = 256;

    /// <summary>Completed by a wake-up or the end of a sleep, and replaced after each sleep: a wake-up while the loop works makes its next sleep return at once.</summary>
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    /// <summary>Topics created since the last look: only their partitions are taken over.</summary>
    private readonly ConcurrentQueue<TopicConfig> _created = new();
    /// <summary>Every owned partition is looked at: at start, after a ring change or a snapshot, after Redis failed.</summary>
    private volatile bool _takeOverAll = true;
    private long _lastHousekeepingMs;
    private long _checked;

    /// <summary>Partitions looked at for take-over, ever (a test holds a topic's creation to that topic's partitions).</summary>
    public long PartitionsChecked => Interlocked.Read(ref _checked);

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
                IReadOnlyList<(string Topic, int Partition)> due = [];
                var redisAnswered = true;
                try
                {
                    await TakeOverAsync();
                    (due, _) = owned.Due(now, ring.Membership.Epoch);
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
                    _takeOverAll = true; // Redis is away: try it all again at the next wake-up
                    redisAnswered = false;
                    LogPostponed(ex.Message);
                }

                // A deadline that came due while this pass ran (its Redis calls, a gauge refresh) is not slept through: the next
                // pass starts at once. Its wake-up was not sent, as it fell after the one planned at the top of this pass.
                // One this pass handled that is still due (its owner refused it) waits for the next deadline, as before, and
                // so does everything after a pass Redis did not answer: neither may turn this loop into a spin.
                var after = owned.NowMs;
                var (dueNow, next) = owned.Due(after, ring.Membership.Epoch);
                var sleep = redisAnswered && dueNow.Except(due).Any() ? TimeSpan.Zero
                    : next < 0 ? Housekeeping
                    : TimeSpan.FromMilliseconds(Math.Clamp(next - after, 0, Housekeeping.TotalMilliseconds));
                await SleepAsync(sleep, stoppingToken);
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

    /// <summary>The host's loop run on the caller's context (a simulation's single thread); the host itself calls StartAsync.</summary>
    internal Task RunAsync(CancellationToken stoppingToken) => ExecuteAsync(stoppingToken);

    /// <summary>
    /// Until woken, stopped, or <paramref name="sleep"/> has passed on <see cref="TimeProvider"/>'s clock (a test's fake clock
    /// too). One signal that all three complete, awaited directly: a wait with a timeout or a token (a semaphore's, Task.WhenAny)
    /// would finish on a thread-pool thread, which a simulation driving this loop on its one thread could not replay.
    /// </summary>
    private async Task SleepAsync(TimeSpan sleep, CancellationToken stoppingToken)
    {
        var signal = Volatile.Read(ref _wake);
        if (!signal.Task.IsCompleted)
        {
            using var timer = time.CreateTimer(static s => ((TaskCompletionSource)s!).TrySetResult(), signal, sleep, Timeout.InfiniteTimeSpan);
            using var stopping = stoppingToken.Register(static s => ((TaskCompletionSource)s!).TrySetResult(), signal);
            await signal.Task;
        }

        Interlocked.CompareExchange(ref _wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), signal);
    }

    /// <summary>
    /// Takes over what this node owns and has not taken over in the current epoch: every topic's partitions when
    /// <see cref="_takeOverAll"/> says so, else only the partitions of topics created since the last look.
    /// </summary>
    private async Task TakeOverAsync()
    {
        var current = ring.Membership;
        IEnumerable<TopicConfig> candidates;
        if (_takeOverAll)
        {
            _takeOverAll = false;
            _created.Clear(); // the list read below has them (a topic created after the clear is queued again)
            owned.RetainOnly((topic, partition) => QueueRing.OwnerOf(current, topic, partition) == peers.SelfId);
            telemetry.ForgetDepth((topic, partition) => QueueRing.OwnerOf(current, topic, partition) == peers.SelfId);
            candidates = topics.Topics;
        }
        else
        {
            var created = new List<TopicConfig>();
            while (_created.TryDequeue(out var topic))
            {
                created.Add(topic);
            }

            candidates = created;
        }

        foreach (var topic in candidates)
        {
            Interlocked.Add(ref _checked, topic.Partitions);
            for (var partition = 0; partition < topic.Partitions; partition++)
            {
                if (QueueRing.OwnerOf(current, topic.Name, partition) == peers.SelfId && owned.Get(topic.Name, partition, current.Epoch) is null)
                {
                    await owner.TakeOverAsync(topic.Name, partition); // fences the previous owner, learns the deadlines
                }
            }
        }
    }

    /// <summary>
    /// Gauges of the partitions whose view changed since the last refresh: a partition with nothing in flight or delayed
    /// (no deadline) is exact from its view; one with a deadline needs Redis for its in-flight count, at most
    /// <see cref="MaxGaugeReads"/> of those per refresh, the rest at the next one.
    /// </summary>
    private async Task RefreshGaugesAsync()
    {
        var reads = 0;
        var redisAnswers = true;
        foreach (var ((topic, partition), view) in owned.TakeChanged(int.MaxValue))
        {
            if (view is null)
            {
                continue; // no longer owned: the ring change forgot its gauge
            }

            if (view.NextDueMs < 0)
            {
                telemetry.Depth(topic, partition, view.Ready, 0);
                continue;
            }

            if (redisAnswers && reads++ < MaxGaugeReads)
            {
                try
                {
                    var stats = await store.StatsAsync(topic, partition);
                    telemetry.Depth(topic, partition, stats.Ready, stats.InFlight);
                    continue;
                }
                catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
                {
                    redisAnswers = false; // the rest wait for the next refresh, still marked changed
                    LogPostponed(ex.Message);
                }
            }

            owned.MarkChanged(topic, partition);
        }
    }

    private void OnRingChanged(ClusterMembership before, ClusterMembership after)
    {
        // On the Raft loop: count, record, and leave the Redis work to the scheduler's own loop.
        var all = topics.Topics.SelectMany(t => Enumerable.Range(0, t.Partitions).Select(p => (t.Name, p))).ToList();
        var gained = all.Count(tp => QueueRing.OwnerOf(after, tp.Name, tp.p) == peers.SelfId && QueueRing.OwnerOf(before, tp.Name, tp.p) != peers.SelfId);
        var lost = all.Count(tp => QueueRing.OwnerOf(before, tp.Name, tp.p) == peers.SelfId && QueueRing.OwnerOf(after, tp.Name, tp.p) != peers.SelfId);
        telemetry.Rebalanced(before, after, gained, lost);
        _takeOverAll = true;
        Wake();
    }

    private void OnTopicsChanged(TopicConfig? created)
    {
        if (created is null)
        {
            _takeOverAll = true; // a snapshot: any topic may be new
        }
        else
        {
            _created.Enqueue(created);
        }

        Wake();
    }

    private void Wake() => Volatile.Read(ref _wake).TrySetResult();

    [LoggerMessage(4001, LogLevel.Warning, "Queue redelivery postponed, Redis did not answer: {Reason}")]
    private partial void LogPostponed(string reason);
}
