using System.Globalization;
using System.Text;

namespace DistSync.LoadTests.Versus;

/// <summary>
/// A queue topic name whose partitions fall evenly on a 3-primary Redis Cluster. A partition's keys carry the hash tag
/// <c>{topic:p}</c>. The 8 tags differ only in the last character's low 3 bits and CRC16 is linear, so their slots are
/// one slot XOR a fixed set that flips the two top slot bits: two partitions land in each quarter of the slot space,
/// and every topic reaches all three primaries. But about 9 names in 10 split 4/2/2 (one primary with half the
/// queue), so <c>vs</c> tries suffixes until the split is 3/3/2.
/// </summary>
public static class SpreadTopic
{
    /// <summary>The partitions a topic gets when the publisher names none (the nodes' <c>Queue:DefaultPartitions</c>).</summary>
    public const int Partitions = 8;

    public const int SlotCount = 16384;

    /// <summary>Where <c>redis-cli --cluster create</c> splits the slots over 3 primaries: 0-5460, 5461-10922, 10923-16383.</summary>
    private static readonly int[] PrimaryStarts = [0, 5461, 10923];

    /// <summary><paramref name="name"/> itself if it spreads, else the first <c>name-2</c>, <c>name-3</c>, … that does.</summary>
    public static string Pick(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        for (var attempt = 1; ; attempt++)
        {
            var candidate = attempt == 1 ? name : string.Create(CultureInfo.InvariantCulture, $"{name}-{attempt}");
            // As even as 8 over 3 goes: each primary 2 or 3.
            if (PartitionsPerPrimary(candidate).All(n => n >= Partitions / PrimaryStarts.Length && n <= (Partitions + PrimaryStarts.Length - 1) / PrimaryStarts.Length))
            {
                return candidate;
            }
        }
    }

    /// <summary>How many of the topic's partitions each of the 3 primaries holds.</summary>
    public static int[] PartitionsPerPrimary(string topic)
    {
        var counts = new int[PrimaryStarts.Length];
        for (var p = 0; p < Partitions; p++)
        {
            counts[Primary(Slot(string.Create(CultureInfo.InvariantCulture, $"{topic}:{p}")))]++;
        }

        return counts;
    }

    public static int Primary(int slot) => Array.FindLastIndex(PrimaryStarts, start => slot >= start);

    /// <summary>Redis Cluster's slot of a hash tag's content: CRC16 (XMODEM) of its UTF-8 bytes, mod 16384.</summary>
    public static int Slot(string hashTag)
    {
        ArgumentNullException.ThrowIfNull(hashTag);
        ushort crc = 0;
        foreach (var b in Encoding.UTF8.GetBytes(hashTag))
        {
            crc ^= (ushort)(b << 8);
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x8000) != 0 ? (ushort)((crc << 1) ^ 0x1021) : (ushort)(crc << 1);
            }
        }

        return crc % SlotCount;
    }
}
