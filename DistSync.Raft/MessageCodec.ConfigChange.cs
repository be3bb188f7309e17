namespace DistSync.Raft;

/// <summary>
/// The data of an <see cref="EntryType.ConfigChange"/> entry, in the codec's varints and strings. It lives in the WAL and
/// the snapshot-free log forever, so it carries its own version byte; a reader refuses versions it does not know.
/// <code>
/// configChange = version:u8(1) type:u8 nodeId:str context:blob voterCount:varint str* learnerCount:varint str*
/// </code>
/// The two lists are the configuration after the change.
/// </summary>
public static partial class MessageCodec
{
    public const byte ConfigChangeVersion = 1;

    public static byte[] EncodeConfigChange(ConfigChange change, RaftConfiguration after)
    {
        ArgumentNullException.ThrowIfNull(change);
        ArgumentNullException.ThrowIfNull(after);
        if (change.Context.Length > ConfigChange.MaxContextBytes)
        {
            throw new ArgumentException($"A configuration change's context holds at most {ConfigChange.MaxContextBytes} bytes.", nameof(change));
        }

        var size = 2 + StringSize(change.NodeId) + VarintSize((ulong)change.Context.Length) + change.Context.Length
            + VarintSize((ulong)after.Voters.Count) + VarintSize((ulong)after.Learners.Count);
        foreach (var id in after.Voters.Concat(after.Learners))
        {
            size += StringSize(id);
        }

        var writer = new Writer(new byte[size]);
        writer.Byte(ConfigChangeVersion);
        writer.Byte((byte)change.Type);
        writer.String(change.NodeId);
        writer.Varint((ulong)change.Context.Length);
        writer.Bytes(change.Context);
        WriteIds(ref writer, after.Voters);
        WriteIds(ref writer, after.Learners);
        return writer.Finish();
    }

    public static ConfigChange DecodeConfigChange(ReadOnlySpan<byte> data, out RaftConfiguration after)
    {
        var reader = new Reader(data);
        var version = reader.Byte();
        if (version != ConfigChangeVersion)
        {
            throw new FormatException($"Unknown configuration change version {version}.");
        }

        var type = (ConfigChangeType)reader.Byte();
        if (type is not (ConfigChangeType.AddLearner or ConfigChangeType.Promote or ConfigChangeType.Remove))
        {
            throw new FormatException($"Unknown configuration change type {(byte)type}.");
        }

        var nodeId = reader.String();
        var context = reader.Blob();
        if (nodeId.Length == 0 || context.Length > ConfigChange.MaxContextBytes)
        {
            throw new FormatException("Configuration change without a node id or with an oversized context.");
        }

        var voters = ReadIds(ref reader);
        var learners = ReadIds(ref reader);
        reader.EnsureEnd();
        after = new RaftConfiguration(voters, learners);
        try
        {
            after.Validate(nameof(data));
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"Configuration change names an invalid configuration: {e.Message}", e);
        }

        return new ConfigChange(type, nodeId, context);
    }

    private static void WriteIds(ref Writer writer, IReadOnlyList<string> ids)
    {
        writer.Varint((ulong)ids.Count);
        foreach (var id in ids)
        {
            writer.String(id);
        }
    }

    private static string[] ReadIds(ref Reader reader)
    {
        // An id takes at least 1 byte (its length).
        var ids = new string[reader.Count(MaxVoters, 1)];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = reader.String();
        }

        return ids;
    }
}
