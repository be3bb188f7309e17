using System.Security.Cryptography;
using System.Text;

namespace DistSync.AppHost.Dashboard.Otlp;

/// <summary>The x-otlp-api-key check shared by the gRPC and HTTP receivers.</summary>
internal sealed class OtlpApiKey(string key)
{
    public const string HeaderName = "x-otlp-api-key";

    private readonly byte[] _key = Encoding.UTF8.GetBytes(key);

    /// <summary>Constant-time comparison, so the key cannot be guessed byte by byte from timings.</summary>
    public bool IsValid(string? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _key);
}
