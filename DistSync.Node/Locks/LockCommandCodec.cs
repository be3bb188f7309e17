namespace DistSync.Node.Locks;

/// <summary>
/// The lock commands' Raft log encoding: a format version, a tag, then the fields as LEB128 varints and
/// length-prefixed UTF-8. Decoding is strict (bounds, modes, canonical varints, no trailing bytes, the
/// <see cref="LockRequestValidator"/> rules), so whatever decodes is a command every node applies alike.
/// </summary>
/// <remarks>
/// Version 2 carries no time (the leader stamps the entry), adds fencing tokens to release and renew (0: none), request
/// ids to acquire, release and renew (empty: none) and the withdraw command. Version 1, written before, ends every command with its proposer's clock; it still
/// decodes, so a data folder of that version loads.
/// </remarks>
public static class LockCommandCodec
{
    public const byte FormatVersion = 2;

    private const byte LegacyFormatVersion = 1;
    private const byte AcquireTag = 1;
    private const byte ReleaseTag = 2;
    private const byte RenewTag = 3;
    private const byte ExpireDueTag = 4;
    private const byte WithdrawTag = 5;

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
                writer.WriteString(a.RequestId ?? "");
                break;
            case LockCommand.Release r:
                writer.WriteByte(ReleaseTag);
                writer.WriteString(r.Resource);
                writer.WriteString(r.ClientId);
                writer.WriteVarint(r.FencingToken ?? 0);
                writer.WriteString(r.RequestId ?? "");
                break;
            case LockCommand.Renew n:
                writer.WriteByte(RenewTag);
                writer.WriteString(n.Resource);
                writer.WriteString(n.ClientId);
                writer.WriteVarint(n.TtlMs);
                writer.WriteVarint(n.FencingToken ?? 0);
                writer.WriteString(n.RequestId ?? "");
                break;
            case LockCommand.ExpireDue:
                writer.WriteByte(ExpireDueTag);
                break;
            case LockCommand.Withdraw w:
                writer.WriteByte(WithdrawTag);
                writer.WriteString(w.Resource);
                writer.WriteString(w.ClientId);
                writer.WriteVarint(w.RequestIndex);
                writer.WriteString(w.RequestId ?? "");
                break;
            default:
                throw new ArgumentException($"unknown lock command {command.GetType().Name}", nameof(command));
        }

        return writer.ToArray();
    }

    /// <summary>Decodes a command or throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static LockCommand Decode(ReadOnlySpan<byte> data)
    {
        var reader = new LockBinaryReader(data);
        var version = reader.ReadByte();
        if (version is not (FormatVersion or LegacyFormatVersion))
        {
            throw new FormatException($"unknown lock command format version {version}");
        }

        var legacy = version == LegacyFormatVersion;
        var tag = reader.ReadByte();
        LockCommand command = tag switch
        {
            AcquireTag => ReadAcquire(ref reader, legacy),
            ReleaseTag => ReadRelease(ref reader, legacy),
            RenewTag => ReadRenew(ref reader, legacy),
            ExpireDueTag => new LockCommand.ExpireDue(ReadNow(ref reader, legacy)),
            WithdrawTag when !legacy => ReadWithdraw(ref reader),
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

    private static LockCommand.Acquire ReadAcquire(ref LockBinaryReader reader, bool legacy)
    {
        var resource = ReadResource(ref reader);
        var client = ReadClient(ref reader);
        var mode = reader.ReadMode();
        var ttl = reader.ReadVarint(LockRequestValidator.TtlMsField, LockLimits.MinTtlMs, LockLimits.MaxTtlMs);
        var wait = reader.ReadVarint(LockRequestValidator.WaitMsField, 0, LockLimits.MaxWaitMs);
        return new(resource, client, mode, ttl, wait, ReadNow(ref reader, legacy)) { RequestId = ReadRequestId(ref reader, legacy) };
    }

    private static LockCommand.Release ReadRelease(ref LockBinaryReader reader, bool legacy)
    {
        var resource = ReadResource(ref reader);
        var client = ReadClient(ref reader);
        var token = legacy ? 0 : reader.ReadVarint(LockRequestValidator.FencingTokenField, 0, long.MaxValue);
        return new(resource, client, ReadNow(ref reader, legacy)) { FencingToken = token > 0 ? token : null, RequestId = ReadRequestId(ref reader, legacy) };
    }

    private static LockCommand.Renew ReadRenew(ref LockBinaryReader reader, bool legacy)
    {
        var resource = ReadResource(ref reader);
        var client = ReadClient(ref reader);
        var ttl = reader.ReadVarint(LockRequestValidator.TtlMsField, LockLimits.MinTtlMs, LockLimits.MaxTtlMs);
        var token = legacy ? 0 : reader.ReadVarint(LockRequestValidator.FencingTokenField, 0, long.MaxValue);
        return new(resource, client, ttl, ReadNow(ref reader, legacy)) { FencingToken = token > 0 ? token : null, RequestId = ReadRequestId(ref reader, legacy) };
    }

    private static LockCommand.Withdraw ReadWithdraw(ref LockBinaryReader reader)
    {
        var resource = ReadResource(ref reader);
        var client = ReadClient(ref reader);
        var requestIndex = reader.ReadVarint("request_index", 1, long.MaxValue);
        return new(resource, client, requestIndex, 0) { RequestId = ReadRequestId(ref reader, legacy: false) };
    }

    private static string ReadResource(ref LockBinaryReader reader) =>
        reader.ReadString(LockRequestValidator.ResourceField, LockLimits.MaxResourceBytes);

    private static string ReadClient(ref LockBinaryReader reader) =>
        reader.ReadString(LockRequestValidator.ClientIdField, LockLimits.MaxClientIdBytes);

    private static string? ReadRequestId(ref LockBinaryReader reader, bool legacy) =>
        legacy ? null : reader.ReadString(LockRequestValidator.RequestIdField, LockLimits.MaxRequestIdBytes) is { Length: > 0 } id ? id : null;

    /// <summary>Only the legacy format carries a time; version 2 commands apply at the leader's stamp.</summary>
    private static long ReadNow(ref LockBinaryReader reader, bool legacy) =>
        legacy ? reader.ReadVarint(LockRequestValidator.NowMsField, 0, LockLimits.MaxNowMs) : 0;
}
