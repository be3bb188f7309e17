using System.Text.Json;

namespace DistSync.LoadTests.Cluster;

/// <summary>A request body built once, so a benchmark's loop only sends bytes.</summary>
public static class JsonBody
{
    /// <summary>One JSON object whose fields <paramref name="fields"/> writes.</summary>
    public static byte[] Object(Action<Utf8JsonWriter> fields)
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
