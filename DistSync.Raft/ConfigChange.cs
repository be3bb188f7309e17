namespace DistSync.Raft;

/// <summary>
/// One membership change (thesis §4.1: one server at a time). <see cref="Context"/> is opaque to Raft: the host puts
/// there what the other nodes need to know of the member (its URL). As the data of an <see cref="EntryType.ConfigChange"/>
/// entry it travels with the whole configuration it leads to, as the thesis stores configurations in the log (§4.1), so a
/// node that reads the log from any point (a new learner, a restart) rebuilds the configuration without knowing the one
/// the cluster started with.
/// </summary>
public sealed record ConfigChange(ConfigChangeType Type, string NodeId, byte[] Context)
{
    /// <summary>Most bytes of <see cref="Context"/>.</summary>
    public const int MaxContextBytes = 4096;

    public static ConfigChange AddLearner(string nodeId, byte[]? context = null) => new(ConfigChangeType.AddLearner, nodeId, context ?? []);

    public static ConfigChange Promote(string nodeId) => new(ConfigChangeType.Promote, nodeId, []);

    public static ConfigChange Remove(string nodeId) => new(ConfigChangeType.Remove, nodeId, []);

    /// <summary>The entry data: this change and the configuration <paramref name="after"/> it (format in <see cref="MessageCodec"/>).</summary>
    public byte[] Encode(RaftConfiguration after) => MessageCodec.EncodeConfigChange(this, after);

    /// <summary>Reads an <see cref="EntryType.ConfigChange"/> entry's data; throws <see cref="FormatException"/> when malformed.</summary>
    public static ConfigChange Decode(ReadOnlySpan<byte> data, out RaftConfiguration after) => MessageCodec.DecodeConfigChange(data, out after);

    /// <summary>Reads the change alone, e.g. for the host to learn a new member's URL.</summary>
    public static ConfigChange Decode(ReadOnlySpan<byte> data) => Decode(data, out _);
}
