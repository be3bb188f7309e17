using System.Text;
using DistSync.LoadTests.Cluster;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace DistSync.LoadTests.Versus;

/// <summary>
/// NATS JetStream through NATS.Net, one connection shared by every worker. One R3 file-storage work-queue stream; each
/// level has its own subject and a durable pull consumer with explicit acks on it. A round trip publishes and waits for
/// the PubAck (the stream has stored it on a quorum), fetches one message (waiting up to 1 s, as DistSync's consume
/// does) and acks it with a double ack, so the ack too is confirmed by the server.
/// </summary>
public sealed class NatsTarget : IVersusTarget, IAsyncDisposable
{
    private static readonly byte[] Order = Encoding.UTF8.GetBytes("{\"order\":17}");

    private readonly NatsConnection _nats;
    private readonly NatsJSContext _js;
    private readonly string _stream;
    private readonly string _run;

    private NatsTarget(NatsConnection nats, string stream, string run)
    {
        _nats = nats;
        _js = new NatsJSContext(nats);
        _stream = stream;
        _run = run;
    }

    public string System => VersusSystems.Nats;

    public string Driver => "NATS.Net";

    /// <summary>Connects and creates the run's stream (retrying while the cluster still elects its JetStream leaders).</summary>
    public static async Task<NatsTarget> CreateAsync(NatsCluster cluster, string run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var nats = new NatsConnection(new NatsOpts { Url = cluster.ClientUrl, Name = "distsync-vs" });
        var target = new NatsTarget(nats, $"VS_{run}", run);
        try
        {
            await nats.ConnectAsync();
            // Work-queue retention: an acked message is removed, as a DistSync queue removes it.
            var config = new StreamConfig(target._stream, [$"vs.{run}.>"]) { NumReplicas = 3, Storage = StreamConfigStorage.File, Retention = StreamConfigRetention.Workqueue };
            await PeerReadiness.WaitAsync("the NATS stream", cluster.Processes, async ct =>
            {
                await target._js.CreateStreamAsync(config, ct);
                return true;
            }, cancellationToken);
            return target;
        }
        catch
        {
            await target.DisposeAsync();
            throw;
        }
    }

    public bool Runs(string workload) => workload == VersusWorkloads.Queue;

    public async Task<VersusRun> PrepareAsync(string workload, int workers, CancellationToken cancellationToken)
    {
        var name = $"rt{workers}";
        var subject = $"vs.{_run}.{name}";
        var consumer = await _js.CreateOrUpdateConsumerAsync(_stream, new ConsumerConfig(name)
        {
            AckPolicy = ConsumerConfigAckPolicy.Explicit,
            FilterSubject = subject,
            AckWait = TimeSpan.FromSeconds(30),
        }, cancellationToken);
        var next = new NatsJSNextOpts { Expires = TimeSpan.FromSeconds(1) };
        var doubleAck = new AckOpts { DoubleAck = true };
        return new VersusRun(
            (_, ct) => ClientOutcome.RunAsync(async () =>
            {
                var published = await _js.PublishAsync(subject, Order, cancellationToken: ct);
                published.EnsureSuccess();
                var message = await consumer.NextAsync<byte[]>(opts: next, cancellationToken: ct);
                if (message is not { } received)
                {
                    return OpResult.Failed("consume found nothing within 1 s");
                }

                await received.AckAsync(doubleAck, ct);
                return OpResult.Ok;
            }),
            async () => await _js.DeleteConsumerAsync(_stream, name));
    }

    public async ValueTask DisposeAsync() => await _nats.DisposeAsync();
}
