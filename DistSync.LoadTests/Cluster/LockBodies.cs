namespace DistSync.LoadTests.Cluster;

/// <summary>The lock API's request bodies, encoded once per client so the loop only sends bytes.</summary>
public static class LockBodies
{
    public static byte[] Acquire(string resource, string clientId, string mode, long waitMs, long ttlMs, string? requestId = null) => JsonBody.Object(w =>
    {
        w.WriteString("resource", resource);
        w.WriteString("client_id", clientId);
        w.WriteString("mode", mode);
        w.WriteNumber("wait_ms", waitMs);
        w.WriteNumber("ttl_ms", ttlMs);
        if (requestId is not null)
        {
            w.WriteString("request_id", requestId);
        }
    });

    public static byte[] Release(string resource, string clientId, long? fencingToken = null) => JsonBody.Object(w =>
    {
        w.WriteString("resource", resource);
        w.WriteString("client_id", clientId);
        if (fencingToken is { } token)
        {
            w.WriteNumber("fencing_token", token);
        }
    });

    public static byte[] Renew(string resource, string clientId, long ttlMs) => JsonBody.Object(w =>
    {
        w.WriteString("resource", resource);
        w.WriteString("client_id", clientId);
        w.WriteNumber("ttl_ms", ttlMs);
    });
}
