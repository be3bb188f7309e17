namespace DistSync.Node.Locks;

/// <summary>
/// The lock commands' Raft log encoding: a format version, a tag, then the fields as LEB128 varints and
/// length-prefixed UTF-8. Decoding is strict (bounds, modes, canonical varints, no trailing bytes, the
/// <see cref="LockRequestValidator"/> rules), so whatever decodes is a command every node applies alike.
/// </summary>
public static class LockCommandCodec
{
    public const byte FormatVersion = 1;

    private const byte AcquireTag = 1;
    private const byte ReleaseTag = 2;
    private const byte RenewTag = 3;
    private const byte ExpireDueTag = 4;

    /// <summary>Encodes a valid command; an invalid one throws <see cref="ArgumentException"/> so it never reaches the log.</summary>
    public static byte[] Encode(LockCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (LockRequestValidator.Validate(command) is { } error)
        {
            throw new ArgumentException($"invalid lock command: {error.Field} {error.Rule}", nameof(command));
        }

        var writer = new LockBinaryWriter();
        writer.WriteByte(FormatVersion);
        switch (command)
        {
            case LockCommand.Acquire a:
                writer.WriteByte(AcquireTag);
                writer.WriteString(a.Resource);
                writer.WriteString(a.ClientId);
                writer.WriteByte((byte)a.Mode);
                writer.WriteVarint(a.TtlMs);
                writer.WriteVarint(a.WaitMs);
                break;
            case LockCommand.Release r:
                writer.WriteByte(ReleaseTag);
                writer.WriteString(r.Resource);
                writer.WriteString(r.ClientId);
                break;
            case LockCommand.Renew n:
                writer.WriteByte(RenewTag);
                writer.WriteString(n.Resource);
                writer.WriteString(n.ClientId);
                writer.WriteVarint(n.TtlMs);
                break;
            case LockCommand.ExpireDue:
                writer.WriteByte(ExpireDueTag);
                break;
            default:
                throw new ArgumentException($"unknown lock command {command.GetType().Name}", nameof(command));
        }

        writer.WriteVarint(command.NowMs);
        return writer.ToArray();
    }

    /// <summary>Decodes a command or throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static LockCommand Decode(ReadOnlySpan<byte> data)
    {
        var reader = new LockBinaryReader(data);
        var version = reader.ReadByte();
        if (version != FormatVersion)
        {
            throw new FormatException($"unknown lock command format version {version}");
        }

        var tag = reader.ReadByte();
        LockCommand command = tag switch
        {
            AcquireTag => ReadAcquire(ref reader),
            ReleaseTag => ReadRelease(ref reader),
            RenewTag => ReadRenew(ref reader),
            ExpireDueTag => new LockCommand.ExpireDue(ReadNow(ref reader)),
            _ => throw new FormatException($"unknown lock command tag {tag}"),
        };
        reader.EnsureEnd();
        if (LockRequestValidator.Validate(command) is { } error)
        {
            throw new FormatException($"invalid lock command: {error.Field} {error.Rule}");
        }

        return command;
    }

    /// <summary>Like <see cref="Decode"/>, but reports a malformed input as <paramref name="error"/>.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> data, out LockCommand? command, out string? error)
    {
        try
        {
            command = Decode(data);
            error = null;
            return true;
        }
        catch (FormatException ex)
        {
            command = null;
            error = ex.Message;
            return false;
        }
    }

    private static LockCommand.Acquire ReadAcquire(ref LockBinaryReader reader)
    {
        var resource = reader.ReadString(LockRequestValidator.ResourceField, LockLimits.MaxResourceBytes);
        var client = reader.ReadString(LockRequestValidator.ClientIdField, LockLimits.MaxClientIdBytes);
        var mode = reader.ReadMode();
        var ttl = reader.ReadVarint(LockRequestValidator.TtlMsField, LockLimits.MinTtlMs, LockLimits.MaxTtlMs);
        var wait = reader.ReadVarint(LockRequestValidator.WaitMsField, 0, LockLimits.MaxWaitMs);
        return new(resource, client, mode, ttl, wait, ReadNow(ref reader));
    }

    private static LockCommand.Release ReadRelease(ref LockBinaryReader reader)
    {
        var resource = reader.ReadString(LockRequestValidator.ResourceField, LockLimits.MaxResourceBytes);
        var client = reader.ReadString(LockRequestValidator.ClientIdField, LockLimits.MaxClientIdBytes);
        return new(resource, client, ReadNow(ref reader));
    }

    private static LockCommand.Renew ReadRenew(ref LockBinaryReader reader)
    {
        var resource = reader.ReadString(LockRequestValidator.ResourceField, LockLimits.MaxResourceBytes);
        var client = reader.ReadString(LockRequestValidator.ClientIdField, LockLimits.MaxClientIdBytes);
        var ttl = reader.ReadVarint(LockRequestValidator.TtlMsField, LockLimits.MinTtlMs, LockLimits.MaxTtlMs);
        return new(resource, client, ttl, ReadNow(ref reader));
    }

    private static long ReadNow(ref LockBinaryReader reader) =>
        reader.ReadVarint(LockRequestValidator.NowMsField, 0, LockLimits.MaxNowMs);
}
