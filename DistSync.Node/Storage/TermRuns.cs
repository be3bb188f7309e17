namespace DistSync.Node.Storage;

/// <summary>
/// The term of every live log index, kept as runs (first index of each term) so that SaveSnapshot can tell whether a
/// snapshot matches the log without reading it back. Size = distinct terms in the live log, small in practice.
/// </summary>
internal sealed class TermRuns
{
    private readonly List<(long Start, long Term)> _runs = [(0, 0)];

    /// <summary>The snapshot point (or 0/0) followed by nothing.</summary>
    public void Reset(long baseIndex, long baseTerm)
    {
        _runs.Clear();
        _runs.Add((baseIndex, baseTerm));
    }

    /// <summary>Records entries [index, ...) of one term, forgetting every run at or after index first.</summary>
    public void Append(long index, long term)
    {
        while (_runs.Count > 1 && _runs[^1].Start >= index)
        {
            _runs.RemoveAt(_runs.Count - 1);
        }

        if (_runs[^1].Term != term)
        {
            _runs.Add((index, term));
        }
    }

    /// <summary>Term of <paramref name="index"/>, which the caller guarantees is the base or a live index.</summary>
    public long TermAt(long index)
    {
        if (index < _runs[0].Start)
        {
            throw new InvalidOperationException($"index {index} is below the log base {_runs[0].Start}");
        }

        var lo = 0;
        var hi = _runs.Count - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (_runs[mid].Start <= index)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return _runs[lo].Term;
    }

    /// <summary>Moves the base up to a snapshot that matched the log, keeping the runs after it.</summary>
    public void Rebase(long baseIndex, long baseTerm)
    {
        var keepFrom = 0;
        while (keepFrom + 1 < _runs.Count && _runs[keepFrom + 1].Start <= baseIndex)
        {
            keepFrom++;
        }

        _runs.RemoveRange(0, keepFrom);
        _runs[0] = (baseIndex, baseTerm);
    }
}
