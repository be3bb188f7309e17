namespace DistSync.Raft;

/// <summary>
/// The last index of each append message in flight to one follower, oldest first, in a fixed ring
/// (etcd raft: tracker/inflights.go). Full means the leader must wait for acknowledgements.
/// </summary>
internal sealed class Inflights
{
    private readonly long[] _buffer;
    private int _start;

    public Inflights(int capacity) => _buffer = new long[capacity];

    public int Count { get; private set; }

    public bool Full => Count == _buffer.Length;

    public void Add(long lastIndex)
    {
        if (Full)
        {
            throw new InvalidOperationException("Inflights: add to a full window.");
        }

        _buffer[(_start + Count) % _buffer.Length] = lastIndex;
        Count++;
    }

    /// <summary>Frees every message whose last index is at or below <paramref name="index"/> (acknowledged).</summary>
    public void FreeLE(long index)
    {
        while (Count > 0 && _buffer[_start] <= index)
        {
            _start = (_start + 1) % _buffer.Length;
            Count--;
        }
    }

    public void FreeFirstOne()
    {
        if (Count > 0)
        {
            _start = (_start + 1) % _buffer.Length;
            Count--;
        }
    }

    public void Reset()
    {
        _start = 0;
        Count = 0;
    }
}
