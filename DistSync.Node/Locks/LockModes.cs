using System.Diagnostics.CodeAnalysis;

namespace DistSync.Node.Locks;

/// <summary>Wire names and the compatibility rule of <see cref="LockMode"/>.</summary>
public static class LockModes
{
    public const string SharedName = "shared";
    public const string ExclusiveName = "exclusive";

    /// <summary>The API's name of a mode (snake_case, as the original system spelled it).</summary>
    public static string ToWireName(this LockMode mode) => mode switch
    {
        LockMode.Shared => SharedName,
        LockMode.Exclusive => ExclusiveName,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown lock mode"),
    };

    /// <summary>Parses "shared" or "exclusive" (any letter case); anything else is refused.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out LockMode mode)
    {
        if (string.Equals(text, SharedName, StringComparison.OrdinalIgnoreCase))
        {
            mode = LockMode.Shared;
            return true;
        }

        if (string.Equals(text, ExclusiveName, StringComparison.OrdinalIgnoreCase))
        {
            mode = LockMode.Exclusive;
            return true;
        }

        mode = default;
        return false;
    }

    /// <summary>Whether the byte is a defined mode (decoders check this before casting).</summary>
    public static bool IsDefined(byte value) => value is (byte)LockMode.Shared or (byte)LockMode.Exclusive;

    /// <summary>Two holds conflict unless both are shared.</summary>
    public static bool Conflicts(LockMode a, LockMode b) => a == LockMode.Exclusive || b == LockMode.Exclusive;
}
