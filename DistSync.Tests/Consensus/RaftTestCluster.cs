using System.Text;
using DistSync.Raft;
using DistSync.Tests.Infrastructure.Simulation;

namespace DistSync.Tests.Consensus;

/// <summary>
/// A small synchronous network for unit tests (like etcd raft's test network): messages are delivered in order
/// until everything is quiet, except on cut links or where <see cref="Drop"/> says so.
/// </summary>
internal sealed class RaftTestCluster
{
    private readonly Dictionary<string, RaftNode> _nodes = new(StringComparer.Ordinal);
    private readonly LinkCuts _cut = new();

    public RaftTestCluster(int size, Action<RaftOptions>? configure = null)
    {
        Ids = [.. Enumerable.Range(1, size).Select(i => $"node{i}")];
        foreach (var id in Ids)
        {
            var options = Options(id, Ids);
            configure?.Invoke(options);
            _nodes[id] = new RaftNode(options, null, new Random(id.GetHashCode(StringComparison.Ordinal)));
            Applied[id] = [];
            Reads[id] = [];
        }
    }

    /// <summary>The founding voters node1..nodeN.</summary>
    public string[] Ids { get; }

    public Dictionary<string, List<Entry>> Applied { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, List<ReadState>> Reads { get; } = new(StringComparer.Ordinal);

    /// <summary>Every message that was delivered or dropped, in order.</summary>
    public List<Message> Sent { get; } = [];

    /// <summary>Return true to drop a message.</summary>
    public Func<Message, bool>? Drop { get; set; }

    public RaftNode this[string id] => _nodes[id];

    public static RaftOptions Options(string id, IReadOnlyList<string> voters) => new()
    {
        Id = id,
        Voters = voters,
        ElectionTicks = 10,
        HeartbeatTicks = 1,
    };

    public static byte[] Command(string text) => Encoding.UTF8.GetBytes(text);

    public void Isolate(string id) => _cut.Isolate(id, [.. _nodes.Keys]);

    /// <summary>
    /// Starts a node that will join as a learner: it knows only itself until the leader's log or snapshot tells it the
    /// configuration. Nothing reaches it before the leader adds it.
    /// </summary>
    public RaftNode AddNode(string id, Action<RaftOptions>? configure = null)
    {
        var options = new RaftOptions { Id = id, Voters = [], Learners = [id], ElectionTicks = 10, HeartbeatTicks = 1 };
        configure?.Invoke(options);
        var node = new RaftNode(options, null, new Random(id.GetHashCode(StringComparison.Ordinal)));
        _nodes[id] = node;
        Applied[id] = [];
        Reads[id] = [];
        return node;
    }

    /// <summary>
    /// Restarts <paramref name="id"/> from what it persisted (everything it was handed: the test network persists at once):
    /// its snapshot, the entries after it and its hard state; the host would apply the committed entries again.
    /// </summary>
    public RaftNode Restart(string id, RaftOptions options)
    {
        var old = _nodes[id];
        var log = old.Log;
        var entries = new List<Entry>();
        for (var index = log.FirstIndex; index <= log.LastIndex; index++)
        {
            entries.Add(log.At(index));
        }

        var status = old.Status;
        var persisted = new PersistedState(new HardState(status.Term, status.VotedFor, status.Commit), log.Snapshot, entries);
        var node = new RaftNode(options, persisted, new Random(7));
        _nodes[id] = node;
        return node;
    }

    /// <summary>Proposes a configuration change at <paramref name="leader"/> and settles the network.</summary>
    public ProposeResult Change(string leader, ConfigChange change)
    {
        var result = _nodes[leader].ProposeConfigChange(change);
        Stabilize();
        return result;
    }

    public void HealAll() => _cut.HealAll();

    public void Rejoin(string id) => _cut.Rejoin(id);

    /// <summary>Makes <paramref name="id"/> campaign and settles the network.</summary>
    public void Elect(string id)
    {
        _nodes[id].CampaignNow();
        Stabilize();
    }

    public void TickAll(int ticks)
    {
        for (var i = 0; i < ticks; i++)
        {
            foreach (var node in _nodes.Values)
            {
                node.Tick();
            }

            Stabilize();
        }
    }

    public ProposeResult Propose(string id, string text)
    {
        var result = _nodes[id].Propose(Command(text));
        Stabilize();
        return result;
    }

    /// <summary>Processes Ready and delivers messages until nothing moves (bounded).</summary>
    public void Stabilize()
    {
        for (var round = 0; round < 10_000; round++)
        {
            var messages = new List<Message>();
            foreach (var (id, node) in _nodes)
            {
                if (!node.HasReady())
                {
                    continue;
                }

                var ready = node.GetReady();
                messages.AddRange(ready.Messages);
                Applied[id].AddRange(ready.CommittedEntries);
                Reads[id].AddRange(ready.ReadStates);
                node.Advance(ready);
            }

            if (messages.Count == 0)
            {
                return;
            }

            foreach (var message in messages)
            {
                Sent.Add(message);
                if (_cut.IsCut(message.From, message.To) || (Drop?.Invoke(message) ?? false) || !_nodes.TryGetValue(message.To, out var to))
                {
                    continue;
                }

                to.Step(message);
            }
        }

        throw new InvalidOperationException("The test network did not settle.");
    }

    public static List<string> Commands(IEnumerable<Entry> entries) =>
        [.. entries.Where(e => e.Type == EntryType.Command).Select(e => Encoding.UTF8.GetString(e.Data))];
}
