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
/// Version 3 adds sessions: the create, keep-alive and close commands, and an acquire for a session (the version 2
/// acquire followed by the session id and the owner). Only those are written as version 3; every other command is still
/// written as version 2, which a node of the release before reads, so a cluster can be upgraded one node at a time as
/// long as no session is used before every node runs this release. One command has one encoding: a version 3 command
/// that version 2 can say does not decode.
/// </remarks>
public static class LockCommandCodec
{
    public const byte FormatVersion = 3;

    /// <summary>The version of the commands that have nothing to do with sessions.</summary>
    public const byte SessionlessFormatVersion = 2;

    private const byte LegacyFormatVersion = 1;
    private const byte AcquireTag = 1;
    private const byte ReleaseTag = 2;
    private const byte RenewTag = 3;
    private const byte ExpireDueTag = 4;
    private const byte WithdrawTag = 5;
    private const byte CreateSessionTag = 6;
    private const byte KeepAliveTag = 7;
    private const byte CloseSessionTag = 8;

    /// <summary>Encodes a valid command; an invalid one throws <see cref="ArgumentException"/> so it never reaches the log.</summary>
    public static byte[] Encode(LockCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (LockRequestValidator.Validate(command) is { } error)
        {
            throw new ArgumentException($"invalid lock command: {error.Field} {error.Rule}", nameof(command));
        }

        var writer = new LockBinaryWriter();
        writer.WriteByte(NeedsSessions(command) ? FormatVersion : SessionlessFormatVersion);
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
                if (a.SessionId is { } sessionId)
                {
                    writer.WriteVarint(sessionId);
                    writer.WriteString(a.Owner!);
                }

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
            case LockCommand.CreateSession c:
                writer.WriteByte(CreateSessionTag);
                writer.WriteString(c.Owner);
                writer.WriteVarint(c.TtlMs);
                writer.WriteString(c.RequestId ?? "");
                break;
            case LockCommand.KeepAlive k:
                writer.WriteByte(KeepAliveTag);
                writer.WriteVarint(k.SessionId);
                writer.WriteString(k.Owner);
                break;
            case LockCommand.CloseSession c:
                writer.WriteByte(CloseSessionTag);
                writer.WriteVarint(c.SessionId);
                writer.WriteString(c.Owner);
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
        if (version is not (FormatVersion or SessionlessFormatVersion or LegacyFormatVersion))
        {
            throw new FormatException($"unknown lock command format version {version}");
        }

        var legacy = version == LegacyFormatVersion;
        var tag = reader.ReadByte();
        LockCommand command = (version, tag) switch
        {
            (FormatVersion, AcquireTag) => ReadSessionAcquire(ref reader),
            (FormatVersion, CreateSessionTag) => ReadCreateSession(ref reader),
            (FormatVersion, KeepAliveTag) => new LockCommand.KeepAlive(ReadSessionId(ref reader), ReadOwner(ref reader), 0),
            (FormatVersion, CloseSessionTag) => new LockCommand.CloseSession(ReadSessionId(ref reader), ReadOwner(ref reader), 0),
            (FormatVersion, _) => throw new FormatException($"lock command tag {tag} is not written in format version {version}"),
            (_, AcquireTag) => ReadAcquire(ref reader, legacy),
            (_, ReleaseTag) => ReadRelease(ref reader, legacy),
            (_, RenewTag) => ReadRenew(ref reader, legacy),
            (_, ExpireDueTag) => new LockCommand.ExpireDue(ReadNow(ref reader, legacy)),
            (_, WithdrawTag) when !legacy => ReadWithdraw(ref reader),
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

    /// <summary>A version 2 acquire, then the session (at least 1: an acquire without one is written as version 2) and its owner.</summary>
    private static LockCommand.Acquire ReadSessionAcquire(ref LockBinaryReader reader)
    {
        var resource = ReadResource(ref reader);
        var client = ReadClient(ref reader);
        var mode = reader.ReadMode();
        var ttl = reader.ReadVarint(LockRequestValidator.TtlMsField, 0, 0);
        var wait = reader.ReadVarint(LockRequestValidator.WaitMsField, 0, LockLimits.MaxWaitMs);
        var requestId = ReadRequestId(ref reader, legacy: false);
        return new(resource, client, mode, ttl, wait, 0) { RequestId = requestId, SessionId = ReadSessionId(ref reader), Owner = ReadOwner(ref reader) };
    }

    private static LockCommand.CreateSession ReadCreateSession(ref LockBinaryReader reader)
    {
        var owner = ReadOwner(ref reader);
        var ttl = reader.ReadVarint(LockRequestValidator.TtlMsField, LockLimits.MinSessionTtlMs, LockLimits.MaxSessionTtlMs);
        return new(owner, ttl, 0) { RequestId = ReadRequestId(ref reader, legacy: false) };
    }

    private static long ReadSessionId(ref LockBinaryReader reader) => reader.ReadVarint(LockRequestValidator.SessionIdField, 1, long.MaxValue);

    private static string ReadOwner(ref LockBinaryReader reader) => reader.ReadString(LockRequestValidator.OwnerField, LockLimits.MaxOwnerBytes);

    private static bool NeedsSessions(LockCommand command) =>
        command is LockCommand.CreateSession or LockCommand.KeepAlive or LockCommand.CloseSession or LockCommand.Acquire { SessionId: not null };

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
