namespace DistSync.Node.Locks;

/// <summary>
/// Snapshot image: "DSLK", a format version, then the resources in ordinal order, each with its fencing token,
/// holders (ordinal order) and queue (head first). The same table always gives the same bytes.
/// Version 2 adds each hold's and waiter's request index, each waiter's request id, and after the resources the
/// remembered request ids (soonest forgotten first) with their answers; version 1 images still load (a hold's request is taken to be
/// its grant, and a waiter's is unknown, so it can only end by grant, timeout or release).
/// Version 3 adds sessions: before the resources, the open sessions (by id) with owner, TTL, end and create request id;
/// and each hold's and waiter's session (0: none). A table without sessions is still written as version 2, so a node of
/// the release before can load it while a cluster is upgraded one node at a time.
/// A remembered answer may be a refusal (answer tag 4 and its status word), which a node of a release that did not
/// remember refusals cannot read: such a release is upgraded by stopping every node (see the upgrade notes).
/// </summary>
public sealed partial class LockTable
{
    public const byte SnapshotVersion = 3;

    /// <summary>The version a table without sessions is written in.</summary>
    public const byte SessionlessSnapshotVersion = 2;

    private const byte LegacySnapshotVersion = 1;

    private static ReadOnlySpan<byte> SnapshotMagic => "DSLK"u8;

    public byte[] Serialize()
    {
        var version = _sessions.Count == 0 ? SessionlessSnapshotVersion : SnapshotVersion;
        var writer = new LockBinaryWriter(256);
        writer.WriteBytes(SnapshotMagic);
        writer.WriteByte(version);
        if (version == SnapshotVersion)
        {
            WriteSessions(writer);
        }

        writer.WriteVarint(_resources.Count);
        foreach (var entry in _resources.Values)
        {
            writer.WriteString(entry.Name);
            writer.WriteVarint(entry.FencingToken);
            writer.WriteVarint(entry.Holders.Count);
            foreach (var (client, hold) in entry.Holders)
            {
                writer.WriteString(client);
                writer.WriteByte((byte)hold.Mode);
                writer.WriteVarint(hold.Token);
                writer.WriteVarint(hold.ExpiresAtMs);
                writer.WriteVarint(hold.RequestIndex);
                if (version == SnapshotVersion)
                {
                    writer.WriteVarint(hold.SessionId);
                }
            }

            writer.WriteVarint(entry.Queue.Count);
            foreach (var waiter in entry.Queue)
            {
                writer.WriteString(waiter.ClientId);
                writer.WriteByte((byte)waiter.Mode);
                writer.WriteVarint(waiter.TtlMs);
                writer.WriteVarint(waiter.DeadlineMs);
                writer.WriteVarint(waiter.RequestIndex);
                writer.WriteString(waiter.RequestId ?? "");
                if (version == SnapshotVersion)
                {
                    writer.WriteVarint(waiter.SessionId);
                }
            }
        }

        writer.WriteVarint(_requestsByExpiry.Count);
        foreach (var (untilMs, client, requestId) in _requestsByExpiry)
        {
            var record = _requests[(client, requestId)];
            writer.WriteString(client);
            writer.WriteString(requestId);
            writer.WriteString(record.Resource);
            writer.WriteByte((byte)record.Kind);
            writer.WriteByte(record.Repeated ? (byte)1 : (byte)0);
            writer.WriteVarint(untilMs);
            WriteAnswer(writer, record.Answer);
        }

        return writer.ToArray();
    }

    private void WriteSessions(LockBinaryWriter writer)
    {
        writer.WriteVarint(_sessions.Count);
        foreach (var session in _sessions.Values)
        {
            writer.WriteVarint(session.Id);
            writer.WriteString(session.Owner);
            writer.WriteVarint(session.TtlMs);
            writer.WriteVarint(session.ExpiresAtMs);
            writer.WriteString(session.RequestId ?? "");
        }
    }

    private static void ReadSessions(ref LockBinaryReader reader, LockTable table)
    {
        var count = reader.ReadCount("session count", LockLimits.MaxSessions);
        for (var i = 0; i < count; i++)
        {
            var id = reader.ReadVarint(LockRequestValidator.SessionIdField, 1, long.MaxValue);
            if (table._sessions.Count > 0 && table._sessions.Keys.Last() >= id)
            {
                throw new FormatException($"sessions out of order at {id}");
            }

            var owner = Checked(reader.ReadString(LockRequestValidator.OwnerField, LockLimits.MaxOwnerBytes), LockRequestValidator.ValidateOwner);
            var ttl = reader.ReadVarint(LockRequestValidator.TtlMsField, LockLimits.MinSessionTtlMs, LockLimits.MaxSessionTtlMs);
            var expiresAt = reader.ReadVarint("expires_at", 0, long.MaxValue);
            var requestId = reader.ReadString(LockRequestValidator.RequestIdField, LockLimits.MaxRequestIdBytes) is { Length: > 0 } given
                ? Checked(given, LockRequestValidator.ValidateRequestId)
                : null;
            if (requestId is not null && table._sessionsByRequest.ContainsKey((owner, requestId)))
            {
                throw new FormatException($"request {requestId} of {owner} names two sessions");
            }

            table.AddSession(new LockSessionEntry(id, owner, ttl, expiresAt, requestId));
            table._lastIndex = Math.Max(table._lastIndex, id);
        }
    }

    private const byte WaitingAnswer = 0;
    private const byte AcquiredAnswer = 1;
    private const byte ReleasedAnswer = 2;
    private const byte RenewedAnswer = 3;
    private const byte RefusedAnswer = 4;

    private static void WriteAnswer(LockBinaryWriter writer, LockOutcome? answer)
    {
        switch (answer)
        {
            case null:
                writer.WriteByte(WaitingAnswer);
                break;
            case LockOutcome.Acquired a:
                writer.WriteByte(AcquiredAnswer);
                writer.WriteVarint(a.Token);
                writer.WriteVarint(a.ExpiresAtMs);
                writer.WriteByte((byte)a.Mode);
                writer.WriteByte(a.AlreadyHeld ? (byte)1 : (byte)0);
                break;
            case LockOutcome.Released r:
                writer.WriteByte(ReleasedAnswer);
                writer.WriteByte((byte)((r.HoldReleased ? 1 : 0) | (r.WaitCancelled ? 2 : 0)));
                break;
            case LockOutcome.Renewed n:
                writer.WriteByte(RenewedAnswer);
                writer.WriteVarint(n.Token);
                writer.WriteVarint(n.ExpiresAtMs);
                break;
            case LockOutcome.RefusedBefore r:
                writer.WriteByte(RefusedAnswer);
                writer.WriteString(r.Status);
                break;
            default:
                throw new InvalidOperationException($"a remembered answer cannot be {answer.GetType().Name}");
        }
    }

    private static LockOutcome? ReadAnswer(ref LockBinaryReader reader) => reader.ReadByte() switch
    {
        WaitingAnswer => null,
        AcquiredAnswer => new LockOutcome.Acquired(reader.ReadVarint("token", 1, long.MaxValue), reader.ReadVarint("expires_at", 0, long.MaxValue),
            reader.ReadMode(), reader.ReadByte() switch { 0 => false, 1 => true, var b => throw new FormatException($"already_held {b}") }),
        ReleasedAnswer => reader.ReadByte() is var flags and <= 3
            ? new LockOutcome.Released((flags & 1) != 0, (flags & 2) != 0)
            : throw new FormatException("released flags out of range"),
        RenewedAnswer => new LockOutcome.Renewed(reader.ReadVarint("token", 1, long.MaxValue), reader.ReadVarint("expires_at", 0, long.MaxValue)),
        RefusedAnswer => reader.ReadString("refusal", 32) is var status && LockOutcome.RefusedBefore.Statuses.Contains(status)
            ? new LockOutcome.RefusedBefore(status)
            : throw new FormatException($"unknown remembered refusal '{status}'"),
        var tag => throw new FormatException($"unknown remembered answer {tag}"),
    };

    private static void ReadRequests(ref LockBinaryReader reader, LockTable table)
    {
        var count = reader.ReadCount("request count", LockLimits.MaxRememberedRequests);
        for (var i = 0; i < count; i++)
        {
            var client = ReadClientId(ref reader);
            var requestId = Checked(reader.ReadString(LockRequestValidator.RequestIdField, LockLimits.MaxRequestIdBytes), LockRequestValidator.ValidateRequestId);
            var resource = ReadResource(ref reader);
            var kind = reader.ReadByte() is var k && Enum.IsDefined((LockRequestKind)k) ? (LockRequestKind)k : throw new FormatException($"unknown request kind {k}");
            var repeated = reader.ReadByte() switch { 0 => false, 1 => true, var b => throw new FormatException($"repeated {b}") };
            var until = reader.ReadVarint("until", 0, long.MaxValue);
            var answer = ReadAnswer(ref reader);
            if (!table._requestsByExpiry.Add((until, client, requestId))
                || !table._requests.TryAdd((client, requestId), new LockRequestRecord(resource, kind, answer, until) { Repeated = repeated }))
            {
                throw new FormatException($"request {requestId} of {client} remembered twice");
            }
        }
    }

    /// <summary>
    /// Rebuilds a table from <see cref="Serialize"/>'s bytes, checking every invariant; malformed or inconsistent
    /// input throws <see cref="FormatException"/>. Commands applied next must have indices above every token in it.
    /// </summary>
    public static LockTable Restore(ReadOnlySpan<byte> data)
    {
        var reader = new LockBinaryReader(data);
        if (!reader.ReadBytes(SnapshotMagic.Length).SequenceEqual(SnapshotMagic))
        {
            throw new FormatException("not a lock table snapshot");
        }

        var version = reader.ReadByte();
        if (version is not (SnapshotVersion or SessionlessSnapshotVersion or LegacySnapshotVersion))
        {
            throw new FormatException($"unknown lock snapshot version {version}");
        }

        var table = new LockTable();
        if (version == SnapshotVersion)
        {
            ReadSessions(ref reader, table);
        }

        var resourceCount = reader.ReadCount("resource count", LockLimits.MaxResources);
        string? previous = null;
        for (var i = 0; i < resourceCount; i++)
        {
            var entry = ReadEntry(ref reader, table, version);
            if (previous is not null && string.CompareOrdinal(previous, entry.Name) >= 0)
            {
                throw new FormatException($"resources out of order at {entry.Name}");
            }

            previous = entry.Name;
            table._resources.Add(entry.Name, entry);
            table._lastIndex = Math.Max(table._lastIndex, entry.FencingToken);
        }

        if (version != LegacySnapshotVersion)
        {
            ReadRequests(ref reader, table);
        }

        reader.EnsureEnd();
        try
        {
            table.CheckInvariants();
        }
        catch (InvalidOperationException ex)
        {
            throw new FormatException($"inconsistent lock snapshot: {ex.Message}", ex);
        }

        return table;
    }

    private static LockResourceEntry ReadEntry(ref LockBinaryReader reader, LockTable table, byte version)
    {
        var legacy = version == LegacySnapshotVersion;
        var withSessions = version == SnapshotVersion;
        var entry = new LockResourceEntry(ReadResource(ref reader));
        entry.FencingToken = reader.ReadVarint("fencing_token", 1, long.MaxValue);
        var holderCount = reader.ReadCount("holder count", LockLimits.MaxClientsPerResource);
        string? previous = null;
        for (var i = 0; i < holderCount; i++)
        {
            var client = ReadClientId(ref reader);
            if (previous is not null && string.CompareOrdinal(previous, client) >= 0)
            {
                throw new FormatException($"holders of {entry.Name} out of order at {client}");
            }

            previous = client;
            var mode = reader.ReadMode();
            var token = reader.ReadVarint("token", 1, long.MaxValue);
            var expiresAt = reader.ReadVarint("expires_at", 0, long.MaxValue);
            var requestIndex = legacy ? token : reader.ReadVarint("request_index", 1, long.MaxValue);
            var hold = new LockHolderEntry(mode, token, expiresAt, requestIndex) { SessionId = withSessions ? ReadSessionOf(ref reader, table) : 0 };
            entry.Holders.Add(client, hold);
            if (hold.SessionId == 0)
            {
                table._deadlines.Add(LeaseDeadline(entry, client, hold));
            }
            else
            {
                table._sessions[hold.SessionId].Holds.Add((entry.Name, client));
            }

            table._holdCounts[client] = table._holdCounts.GetValueOrDefault(client) + 1;
        }

        var waiterCount = reader.ReadCount("waiter count", LockLimits.MaxClientsPerResource - holderCount);
        for (var i = 0; i < waiterCount; i++)
        {
            var client = ReadClientId(ref reader);
            var waiter = new LockWaiterEntry(
                client,
                reader.ReadMode(),
                // A session's waiter has no lease of its own (0); the invariants check that only it has none.
                reader.ReadVarint(LockRequestValidator.TtlMsField, withSessions ? 0 : LockLimits.MinTtlMs, LockLimits.MaxTtlMs),
                reader.ReadVarint("deadline", 0, long.MaxValue),
                legacy ? 0 : reader.ReadVarint("request_index", 1, long.MaxValue),
                legacy ? null : reader.ReadString(LockRequestValidator.RequestIdField, LockLimits.MaxRequestIdBytes) is { Length: > 0 } id ? id : null);
            waiter = waiter with { SessionId = withSessions ? ReadSessionOf(ref reader, table) : 0 };
            if (!table._waitingOn.TryAdd(client, entry.Name))
            {
                throw new FormatException($"client {client} waits twice");
            }

            entry.WaiterNodes.Add(client, entry.Queue.AddLast(waiter));
            table._deadlines.Add(new LockDeadline(waiter.DeadlineMs, LockDeadlineKind.Wait, entry.Name, client));
            if (waiter.SessionId != 0)
            {
                table._sessions[waiter.SessionId].Waits.Add((entry.Name, client));
            }
        }

        return entry;
    }

    /// <summary>A hold's or waiter's session: 0 for none, else one the image opened.</summary>
    private static long ReadSessionOf(ref LockBinaryReader reader, LockTable table)
    {
        var sessionId = reader.ReadVarint(LockRequestValidator.SessionIdField, 0, long.MaxValue);
        return sessionId == 0 || table._sessions.ContainsKey(sessionId) ? sessionId : throw new FormatException($"session {sessionId} is not open");
    }

    private static string ReadResource(ref LockBinaryReader reader) =>
        Checked(reader.ReadString(LockRequestValidator.ResourceField, LockLimits.MaxResourceBytes), LockRequestValidator.ValidateResource);

    private static string ReadClientId(ref LockBinaryReader reader) =>
        Checked(reader.ReadString(LockRequestValidator.ClientIdField, LockLimits.MaxClientIdBytes), LockRequestValidator.ValidateClientId);

    private static string Checked(string value, Func<string?, LockValidationError?> validate) =>
        validate(value) is { } error ? throw new FormatException($"invalid {error.Field}: {error.Rule}") : value;
}
