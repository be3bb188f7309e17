using System.Text.Json;

namespace DistSync.LoadTests;

/// <summary>The lock API's request bodies, encoded once per client so the loop only sends bytes.</summary>
public static class LockBodies
{
    public static byte[] Acquire(string resource, string clientId, string mode, long waitMs, long ttlMs) => Write(w =>
    {
        w.WriteString("resource", resource);
        w.WriteString("client_id", clientId);
        w.WriteString("mode", mode);
        w.WriteNumber("wait_ms", waitMs);
        w.WriteNumber("ttl_ms", ttlMs);
    });

    public static byte[] Release(string resource, string clientId) => Write(w =>
    {
        w.WriteString("resource", resource);
        w.WriteString("client_id", clientId);
    });

    public static byte[] Renew(string resource, string clientId, long ttlMs) => Write(w =>
    {
        w.WriteString("resource", resource);
        w.WriteString("client_id", clientId);
        w.WriteNumber("ttl_ms", ttlMs);
    });

    private static byte[] Write(Action<Utf8JsonWriter> fields)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            fields(writer);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
