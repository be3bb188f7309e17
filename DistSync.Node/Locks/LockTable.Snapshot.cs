namespace DistSync.Node.Locks;

/// <summary>
/// Snapshot image: "DSLK", a format version, then the resources in ordinal order, each with its fencing token,
/// holders (ordinal order) and queue (head first). The same table always gives the same bytes.
/// Version 2 adds each hold's and waiter's request index; version 1 images still load (a hold's request is taken to be
/// its grant, and a waiter's is unknown, so it can only end by grant, timeout or release).
/// </summary>
public sealed partial class LockTable
{
    public const byte SnapshotVersion = 2;

    private const byte LegacySnapshotVersion = 1;

    private static ReadOnlySpan<byte> SnapshotMagic => "DSLK"u8;

    public byte[] Serialize()
    {
        var writer = new LockBinaryWriter(256);
        writer.WriteBytes(SnapshotMagic);
        writer.WriteByte(SnapshotVersion);
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
            }

            writer.WriteVarint(entry.Queue.Count);
            foreach (var waiter in entry.Queue)
            {
                writer.WriteString(waiter.ClientId);
                writer.WriteByte((byte)waiter.Mode);
                writer.WriteVarint(waiter.TtlMs);
                writer.WriteVarint(waiter.DeadlineMs);
                writer.WriteVarint(waiter.RequestIndex);
            }
        }

        return writer.ToArray();
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
        if (version is not (SnapshotVersion or LegacySnapshotVersion))
        {
            throw new FormatException($"unknown lock snapshot version {version}");
        }

        var table = new LockTable();
        var resourceCount = reader.ReadCount("resource count", LockLimits.MaxResources);
        string? previous = null;
        for (var i = 0; i < resourceCount; i++)
        {
            var entry = ReadEntry(ref reader, table, legacy: version == LegacySnapshotVersion);
            if (previous is not null && string.CompareOrdinal(previous, entry.Name) >= 0)
            {
                throw new FormatException($"resources out of order at {entry.Name}");
            }

            previous = entry.Name;
            table._resources.Add(entry.Name, entry);
            table._lastIndex = Math.Max(table._lastIndex, entry.FencingToken);
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

    private static LockResourceEntry ReadEntry(ref LockBinaryReader reader, LockTable table, bool legacy)
    {
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
            var hold = new LockHold(mode, token, expiresAt, legacy ? token : reader.ReadVarint("request_index", 1, long.MaxValue));
            entry.Holders.Add(client, hold);
            table._deadlines.Add(LeaseDeadline(entry, client, hold));
            table._holdCounts[client] = table._holdCounts.GetValueOrDefault(client) + 1;
        }

        var waiterCount = reader.ReadCount("waiter count", LockLimits.MaxClientsPerResource - holderCount);
        for (var i = 0; i < waiterCount; i++)
        {
            var client = ReadClientId(ref reader);
            var waiter = new LockWaiter(
                client,
                reader.ReadMode(),
                reader.ReadVarint(LockRequestValidator.TtlMsField, LockLimits.MinTtlMs, LockLimits.MaxTtlMs),
                reader.ReadVarint("deadline", 0, long.MaxValue),
                legacy ? 0 : reader.ReadVarint("request_index", 1, long.MaxValue));
            if (!table._waitingOn.TryAdd(client, entry.Name))
            {
                throw new FormatException($"client {client} waits twice");
            }

            entry.WaiterNodes.Add(client, entry.Queue.AddLast(waiter));
            table._deadlines.Add(new LockDeadline(waiter.DeadlineMs, LockDeadlineKind.Wait, entry.Name, client));
        }

        return entry;
    }

    private static string ReadResource(ref LockBinaryReader reader) =>
        Checked(reader.ReadString(LockRequestValidator.ResourceField, LockLimits.MaxResourceBytes), LockRequestValidator.ValidateResource);

    private static string ReadClientId(ref LockBinaryReader reader) =>
        Checked(reader.ReadString(LockRequestValidator.ClientIdField, LockLimits.MaxClientIdBytes), LockRequestValidator.ValidateClientId);

    private static string Checked(string value, Func<string?, LockValidationError?> validate) =>
        validate(value) is { } error ? throw new FormatException($"invalid {error.Field}: {error.Rule}") : value;
}
