using System.Text;

namespace DistSync.Raft;

/// <summary>
/// Compact binary form of <see cref="Message"/> for the peer transport. Integers are LEB128 varints (context is
/// zig-zag); strings are length-prefixed UTF-8. Decoding is strict: anything malformed, truncated, trailing or out of
/// range throws <see cref="FormatException"/>, and no allocation is larger than the input justifies.
/// <code>
/// batch   = version:u8(1) count:varint message*
/// message = type:u8 from:str to:str term logTerm index commit rejectHint:varint
///           flags:u8(bit0 reject, bit1 snapshot, bit2 snapshot has learners) context:zigzag entryCount:varint entry* [snapshot]
/// entry   = index term:varint type:u8 len:varint data
/// snapshot= index term:varint voterCount:varint str* [learnerCount:varint str*] len:varint data
/// </code>
/// The learner list (and its flag) is written only when there are learners, so a cluster without learners sends the bytes
/// it sent before learners existed, and a node not yet upgraded refuses (unknown flag) only what it could not understand.
/// </summary>
public static partial class MessageCodec
{
    public const byte Version = 1;
    public const int MaxMessagesPerBatch = 100_000;
    public const int MaxIdBytes = 255;
    private const int MaxVoters = 64;
    private const byte FlagReject = 1;
    private const byte FlagSnapshot = 2;
    private const byte FlagLearners = 4;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static byte[] Encode(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var buffer = new byte[SizeOf(message)];
        var writer = new Writer(buffer);
        Write(ref writer, message);
        return writer.Finish();
    }

    public static byte[] EncodeBatch(IReadOnlyList<Message> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count > MaxMessagesPerBatch)
        {
            throw new ArgumentException($"At most {MaxMessagesPerBatch} messages per batch.", nameof(messages));
        }

        var size = 1 + VarintSize((ulong)messages.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            size += SizeOf(messages[i]);
        }

        var writer = new Writer(new byte[size]);
        writer.Byte(Version);
        writer.Varint((ulong)messages.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            Write(ref writer, messages[i]);
        }

        return writer.Finish();
    }

    public static Message Decode(ReadOnlySpan<byte> data)
    {
        var reader = new Reader(data);
        var message = Read(ref reader);
        reader.EnsureEnd();
        return message;
    }

    public static IReadOnlyList<Message> DecodeBatch(ReadOnlySpan<byte> data)
    {
        var reader = new Reader(data);
        var version = reader.Byte();
        if (version != Version)
        {
            throw new FormatException($"Unknown message batch version {version}.");
        }

        // Every message takes at least 11 bytes, so the count can never ask for more than the input holds.
        var count = reader.Count(MaxMessagesPerBatch, 11);
        var messages = new Message[count];
        for (var i = 0; i < count; i++)
        {
            messages[i] = Read(ref reader);
        }

        reader.EnsureEnd();
        return messages;
    }

    private static int SizeOf(Message m)
    {
        var size = 1 + StringSize(m.From) + StringSize(m.To)
            + VarintSize(Unsigned(m.Term)) + VarintSize(Unsigned(m.LogTerm)) + VarintSize(Unsigned(m.Index))
            + VarintSize(Unsigned(m.Commit)) + VarintSize(Unsigned(m.RejectHint)) + 1
            + VarintSize(ZigZag(m.Context)) + VarintSize((ulong)m.Entries.Count);
        for (var i = 0; i < m.Entries.Count; i++)
        {
            var e = m.Entries[i];
            size += VarintSize(Unsigned(e.Index)) + VarintSize(Unsigned(e.Term)) + 1 + VarintSize((ulong)e.Data.Length) + e.Data.Length;
        }

        if (m.Snapshot is { } s)
        {
            size += VarintSize(Unsigned(s.Metadata.Index)) + VarintSize(Unsigned(s.Metadata.Term))
                + VarintSize((ulong)s.Metadata.Voters.Count) + VarintSize((ulong)s.Data.Length) + s.Data.Length;
            foreach (var voter in s.Metadata.Voters)
            {
                size += StringSize(voter);
            }

            if (s.Metadata.Learners.Count > 0)
            {
                size += VarintSize((ulong)s.Metadata.Learners.Count);
                foreach (var learner in s.Metadata.Learners)
                {
                    size += StringSize(learner);
                }
            }
        }

        return size;
    }

    private static void Write(ref Writer w, Message m)
    {
        w.Byte((byte)m.Type);
        w.String(m.From);
        w.String(m.To);
        w.Varint(Unsigned(m.Term));
        w.Varint(Unsigned(m.LogTerm));
        w.Varint(Unsigned(m.Index));
        w.Varint(Unsigned(m.Commit));
        w.Varint(Unsigned(m.RejectHint));
        var hasLearners = m.Snapshot is { Metadata.Learners.Count: > 0 };
        w.Byte((byte)((m.Reject ? FlagReject : 0) | (m.Snapshot is null ? 0 : FlagSnapshot) | (hasLearners ? FlagLearners : 0)));
        w.Varint(ZigZag(m.Context));
        w.Varint((ulong)m.Entries.Count);
        for (var i = 0; i < m.Entries.Count; i++)
        {
            var e = m.Entries[i];
            w.Varint(Unsigned(e.Index));
            w.Varint(Unsigned(e.Term));
            w.Byte((byte)e.Type);
            w.Varint((ulong)e.Data.Length);
            w.Bytes(e.Data);
        }

        if (m.Snapshot is { } s)
        {
            w.Varint(Unsigned(s.Metadata.Index));
            w.Varint(Unsigned(s.Metadata.Term));
            w.Varint((ulong)s.Metadata.Voters.Count);
            foreach (var voter in s.Metadata.Voters)
            {
                w.String(voter);
            }

            if (hasLearners)
            {
                WriteIds(ref w, s.Metadata.Learners);
            }

            w.Varint((ulong)s.Data.Length);
            w.Bytes(s.Data);
        }
    }

    private static Message Read(ref Reader r)
    {
        var type = (MessageType)r.Byte();
        if (type < MessageType.PreVote || type > MessageType.ForwardAnswer)
        {
            throw new FormatException($"Unknown message type {(byte)type}.");
        }

        var from = r.String();
        var to = r.String();
        var term = r.Long();
        var logTerm = r.Long();
        var index = r.Long();
        var commit = r.Long();
        var rejectHint = r.Long();
        var flags = r.Byte();
        if ((flags & ~(FlagReject | FlagSnapshot | FlagLearners)) != 0 || (flags & (FlagSnapshot | FlagLearners)) == FlagLearners)
        {
            throw new FormatException($"Unknown message flags {flags}.");
        }

        var context = UnZigZag(r.Varint());

        // An entry takes at least 4 bytes.
        var entryCount = r.Count(int.MaxValue, 4);
        IReadOnlyList<Entry> entries = [];
        if (entryCount > 0)
        {
            var array = new Entry[entryCount];
            for (var i = 0; i < entryCount; i++)
            {
                var entryIndex = r.Long();
                var entryTerm = r.Long();
                var entryType = (EntryType)r.Byte();
                if (entryType is not (EntryType.Empty or EntryType.Command or EntryType.ConfigChange))
                {
                    throw new FormatException($"Unknown entry type {(byte)entryType}.");
                }

                if (entryIndex < 1 || (i > 0 && entryIndex != array[i - 1].Index + 1))
                {
                    throw new FormatException($"Entry index {entryIndex} breaks the contiguous run.");
                }

                array[i] = new Entry(entryIndex, entryTerm, entryType, r.Blob());
            }

            if (type == MessageType.Append && array[0].Index != index + 1)
            {
                throw new FormatException($"Append entries start at {array[0].Index}, not after {index}.");
            }

            entries = array;
        }

        Snapshot? snapshot = null;
        if ((flags & FlagSnapshot) != 0)
        {
            var snapIndex = r.Long();
            var snapTerm = r.Long();
            var voterCount = r.Count(MaxVoters, 2);
            var voters = new string[voterCount];
            for (var i = 0; i < voterCount; i++)
            {
                voters[i] = r.String();
            }

            var learners = (flags & FlagLearners) != 0 ? ReadIds(ref r) : [];
            snapshot = new Snapshot(new SnapshotMetadata(snapIndex, snapTerm, voters, learners), r.Blob());
        }

        if (type == MessageType.InstallSnapshot && snapshot is null)
        {
            throw new FormatException("InstallSnapshot without a snapshot.");
        }

        return new Message
        {
            Type = type,
            From = from,
            To = to,
            Term = term,
            LogTerm = logTerm,
            Index = index,
            Commit = commit,
            RejectHint = rejectHint,
            Reject = (flags & FlagReject) != 0,
            Context = context,
            Entries = entries,
            Snapshot = snapshot,
        };
    }
}
