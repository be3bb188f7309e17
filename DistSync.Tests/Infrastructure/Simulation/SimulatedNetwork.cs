using DistSync.Raft;

namespace DistSync.Tests.Infrastructure.Simulation;

/// <summary>
/// The in-memory network of a seeded simulation: messages are dropped, delayed, duplicated and reordered, and hosts
/// are partitioned and healed. Every draw comes from the run's one random source, so a seed replays exactly.
/// </summary>
internal sealed class SimulatedNetwork
{
    private readonly Random _random;
    private readonly IReadOnlyList<ISimulatedHost> _hosts;
    private readonly Dictionary<string, int> _indexOf = new(StringComparer.Ordinal);
    private readonly PriorityQueue<Message, (long Tick, long Sequence)> _queue = new();
    private readonly int[] _partitionGroup;
    private readonly int _maxDelayTicks;
    private readonly double _baseDropRate;
    private readonly double _duplicateRate;
    private readonly double _partitionRate;
    private readonly double _healRate;
    private long _sequence;
    private double _dropRate;

    public SimulatedNetwork(
        Random random,
        IReadOnlyList<ISimulatedHost> hosts,
        int maxDelayTicks,
        double dropRate,
        double duplicateRate,
        double partitionRate,
        double healRate)
    {
        if (maxDelayTicks < 1)
        {
            throw new InvalidOperationException($"maxDelayTicks must be at least 1, was {maxDelayTicks}.");
        }

        _random = random;
        _hosts = hosts;
        for (var i = 0; i < hosts.Count; i++)
        {
            _indexOf[hosts[i].Id] = i;
        }

        _partitionGroup = new int[hosts.Count];
        _maxDelayTicks = maxDelayTicks;
        _baseDropRate = dropRate;
        _dropRate = dropRate;
        _duplicateRate = duplicateRate;
        _partitionRate = partitionRate;
        _healRate = healRate;
    }

    /// <summary>Queues a message sent at <paramref name="tick"/>; outside chaos it arrives next tick, once.</summary>
    public void Send(Message message, long tick, bool chaos)
    {
        if (chaos && _random.NextDouble() < _dropRate)
        {
            return;
        }

        var copies = chaos && _random.NextDouble() < _duplicateRate ? 2 : 1;
        for (var i = 0; i < copies; i++)
        {
            var delay = chaos ? 1 + _random.Next(_maxDelayTicks) : 1;
            _queue.Enqueue(message, (tick + delay, _sequence++));
        }
    }

    /// <summary>Steps every message due by <paramref name="tick"/> into its receiver, if it is up and reachable.</summary>
    public void DeliverDue(long tick)
    {
        // Bounded by what is queued now: delivering never enqueues for the current tick.
        var limit = _queue.Count;
        for (var i = 0; i < limit && _queue.TryPeek(out var message, out var due) && due.Tick <= tick; i++)
        {
            _queue.Dequeue();
            var from = _hosts[_indexOf[message.From]];
            var to = _hosts[_indexOf[message.To]];
            if (to.Raft is not { } raft || !Connected(message.From, message.To))
            {
                // A host whose send failed tells its core, as the HTTP transport would.
                if (from.Raft is { } sender && _random.Next(2) == 0)
                {
                    sender.ReportUnreachable(to.Id);
                }

                continue;
            }

            raft.Step(message);
        }
    }

    /// <summary>Maybe splits the hosts into two groups (often the leader alone), or maybe heals the split.</summary>
    public void InjectPartition(ISimulatedHost? leader)
    {
        var roll = _random.NextDouble();
        if (roll < _partitionRate)
        {
            for (var i = 0; i < _partitionGroup.Length; i++)
            {
                _partitionGroup[i] = _random.Next(2);
            }

            // Often cut the leader off alone, so a new leader rises while the old one still takes proposals.
            if (_random.Next(2) == 0 && leader is not null)
            {
                Array.Fill(_partitionGroup, 0);
                _partitionGroup[_indexOf[leader.Id]] = 1;
            }
        }
        else if (roll < _partitionRate + _healRate)
        {
            Array.Clear(_partitionGroup);
        }
    }

    /// <summary>Now and then the loss rate swings: a clean spell or a lossy one.</summary>
    public void MaybeChangeDropRate()
    {
        if (_random.NextDouble() < 0.01)
        {
            _dropRate = _random.NextDouble() < 0.5 ? 0 : _baseDropRate * 4 * _random.NextDouble();
        }
    }

    /// <summary>Ends every partition and all message loss.</summary>
    public void Heal()
    {
        Array.Clear(_partitionGroup);
        _dropRate = 0;
    }

    private bool Connected(string a, string b) => _partitionGroup[_indexOf[a]] == _partitionGroup[_indexOf[b]];
}
