using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;

namespace DistSync.Tests.Security;

/// <summary>
/// Generated hostile input against every public route of a real cluster (CsCheck): each request is a valid one with
/// one defect (no token, a bad one, a reader writing, a body that is not JSON or not an object, a field of the wrong
/// type, missing or out of range, a body over the limit, a wrong content type or method, a bad query), plus junk
/// headers. Every answer must be a 4xx problem, never a 5xx, and nothing the requests name may change.
/// </summary>
[Collection(SecurityCollection.Name)]
[Trait("Category", "Integration")]
public sealed class HostileInputTests(SecurityCluster cluster)
{
    private const int Requests = 2000;

    private static readonly string Run = Guid.NewGuid().ToString("n")[..8];
    private static readonly string[] Resources = [.. Enumerable.Range(0, 3).Select(i => $"fz{Run}/r{i}")];
    private static readonly string[] Topics = [.. Enumerable.Range(0, 3).Select(i => $"fz{Run}-t{i}")];
    private static readonly string[] Keys = [.. Enumerable.Range(0, 3).Select(i => $"fz{Run}/k{i}")];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EveryPublicRoute_RefusesEveryDefect_WithA4xxProblem_AndChangesNothing()
    {
        var clients = cluster.NodeNames.ToDictionary(n => n, n => cluster.CreateHttpClient(n, role: null));
        var before = await SnapshotAsync();
        var sent = 0;
        var gen = Gen.Select(Gen.Int[0, Routes.Length - 1], Gen.Int[0, Enum.GetValues<Defect>().Length - 1], Gen.Int[1, 3], Gen.Int, Gen.String[Gen.Char, 0, 40])
            .Select((route, defect, node, seed, noise) => Probe.Make(Routes[route], (Defect)defect, $"node{node}", seed, noise, cluster.Tokens));

        await gen.SampleAsync(async probe =>
        {
            using var response = await clients[probe.Node].SendAsync(probe.ToRequest(), Ct);
            var body = await response.Content.ReadAsStringAsync(Ct);
            var status = (int)response.StatusCode;
            Assert.True(status is >= 400 and < 500, $"{probe} answered {status}: {Shorten(body)}");
            Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{probe} answered {status} as {response.Content.Headers.ContentType}: {Shorten(body)}");
            if (probe.ExpectedStatus is { } expected)
            {
                Assert.True(expected == status, $"{probe} answered {status}, expected {expected}: {Shorten(body)}");
            }

            if (Interlocked.Increment(ref sent) % 250 == 0)
            {
                Assert.Equal(before, await SnapshotAsync());
            }
        }, iter: Requests, threads: 1, print: p => p.ToString());

        Assert.Equal(before, await SnapshotAsync());
        Assert.True(sent >= Requests, $"only {sent} requests were sent");
        foreach (var http in clients.Values)
        {
            http.Dispose();
        }
    }

    /// <summary>What the requests could have touched: their locks, topics and keys, as the admin sees them.</summary>
    private async Task<string> SnapshotAsync()
    {
        using var admin = cluster.CreateHttpClient("node1");
        var locks = JsonNode.Parse(await admin.GetStringAsync("/locks/state", Ct))!["locks"]!.AsObject();
        var stats = JsonNode.Parse(await admin.GetStringAsync("/queue/stats", Ct))!["topics"]!.AsArray();
        var lines = new List<string>();
        foreach (var key in Keys)
        {
            var view = JsonNode.Parse(await admin.GetStringAsync($"/cache/lines?key={Uri.EscapeDataString(key)}", Ct))!;
            lines.Add($"{key}: {string.Join(",", view["lines"]!.AsArray().Select(l => $"{l!["node"]}={l["state"]}@{l["version"]}"))} owner={view["directory"]?["owner"]}");
        }

        return string.Join("\n",
            locks.Where(l => l.Key.StartsWith($"fz{Run}", StringComparison.Ordinal)).Select(l => $"lock {l.Key}: {l.Value!.ToJsonString()}")
                .Concat(stats.Select(t => t!["topic"]!.GetValue<string>()).Where(t => t.StartsWith($"fz{Run}", StringComparison.Ordinal)).Select(t => $"topic {t}"))
                .Concat(lines));
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";

    private enum Defect
    {
        NoToken,
        UnknownToken,
        NotBearer,
        ReaderWrites,
        NotJson,
        NotAnObject,
        WrongType,
        MissingField,
        OutOfRange,
        TooLarge,
        WrongContentType,
        WrongMethod,
        BadQuery,
    }

    /// <summary>A public route: its method and path, the role it needs, a valid body (or query), what each field must be.</summary>
    private sealed record Route(string Method, string Path, string Role, Func<Random, JsonObject>? Body, Func<Random, string>? Query, string[] Required,
        Dictionary<string, Func<Random, JsonNode?>> OutOfRange, int BodyLimit = 4096)
    {
        public bool Writes => Role != "reader";
    }

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];

    private static string Long(int bytes) => new('x', bytes);

    private static readonly Route[] Routes =
    [
        new("POST", "/locks/acquire", "writer", r => new() { ["resource"] = Pick(r, Resources), ["client_id"] = "fz-client", ["mode"] = Pick(r, ["shared", "exclusive"]), ["ttl_ms"] = 60_000 },
            null, ["resource", "client_id", "mode"], new() { ["resource"] = _ => "", ["mode"] = _ => "sideways", ["ttl_ms"] = _ => -5, ["wait_ms"] = _ => 10_000_000, ["client_id"] = _ => Long(200) }),
        new("POST", "/locks/release", "writer", r => new() { ["resource"] = Pick(r, Resources), ["client_id"] = "fz-client" },
            null, ["resource", "client_id"], new() { ["resource"] = _ => Long(300), ["client_id"] = _ => "" }),
        new("POST", "/locks/renew", "writer", r => new() { ["resource"] = Pick(r, Resources), ["client_id"] = "fz-client", ["ttl_ms"] = 60_000 },
            null, ["resource", "client_id"], new() { ["ttl_ms"] = _ => 0, ["resource"] = _ => "" }),
        new("GET", "/locks/state", "reader", null, _ => "consistency=linearizable", [], new()),
        new("POST", "/queue/publish", "writer", r => new() { ["topic"] = Pick(r, Topics), ["payload"] = new JsonObject { ["n"] = r.Next() } },
            null, ["topic", "payload"], new() { ["topic"] = _ => "", ["delay_sec"] = _ => -1, ["partitions"] = _ => 100_000, ["dedup_id"] = _ => Long(200) }, 256 * 1024 + 4096),
        new("POST", "/queue/publish_batch", "writer", r => new() { ["topic"] = Pick(r, Topics), ["messages"] = new JsonArray(new JsonObject { ["payload"] = 1 }) },
            null, ["topic", "messages"], new() { ["messages"] = _ => new JsonArray(), ["topic"] = _ => Long(300) }, 100 * (256 * 1024 + 4096)),
        new("POST", "/queue/consume", "writer", r => new() { ["topic"] = Pick(r, Topics) },
            null, ["topic"], new() { ["visibility_timeout_sec"] = _ => -3, ["wait_sec"] = _ => 999, ["max_messages"] = _ => 0 }),
        new("POST", "/queue/ack", "writer", r => new() { ["topic"] = Pick(r, Topics), ["id"] = "fz-missing" },
            null, ["topic", "id"], new() { ["topic"] = _ => "" }),
        new("POST", "/queue/ack_batch", "writer", r => new() { ["topic"] = Pick(r, Topics), ["messages"] = new JsonArray(new JsonObject { ["id"] = "fz-missing" }) },
            null, ["topic", "messages"], new() { ["messages"] = _ => new JsonArray() }, 100 * 4096),
        new("POST", "/queue/nack", "writer", r => new() { ["topic"] = Pick(r, Topics), ["id"] = "fz-missing" },
            null, ["topic", "id"], new() { ["delay_sec"] = _ => -1 }),
        new("POST", "/queue/extend", "writer", r => new() { ["topic"] = Pick(r, Topics), ["id"] = "fz-missing", ["visibility_timeout_sec"] = 30 },
            null, ["topic", "id"], new() { ["visibility_timeout_sec"] = _ => -1 }),
        new("POST", "/queue/requeue_expired", "writer", r => new() { ["topic"] = Pick(r, Topics) }, null, ["topic"], new() { ["topic"] = _ => "" }),
        new("POST", "/queue/redrive", "admin", r => new() { ["topic"] = Pick(r, Topics) }, null, ["topic"], new() { ["topic"] = _ => Long(300) }),
        new("GET", "/queue/stats", "reader", null, r => $"topic={Pick(r, Topics)}", [], new()),
        new("GET", "/queue/dead_letters", "reader", null, r => $"topic={Pick(r, Topics)}", [], new()),
        new("POST", "/cache/set", "writer", r => new() { ["key"] = Pick(r, Keys), ["value"] = new JsonObject { ["n"] = r.Next() } },
            null, ["key", "value"], new() { ["key"] = _ => "", ["ttl_sec"] = _ => -1 }, 1024 * 1024 + 4096),
        new("POST", "/cache/delete", "writer", r => new() { ["key"] = Pick(r, Keys) }, null, ["key"], new() { ["key"] = _ => Long(600) }),
        new("POST", "/cache/invalidate", "writer", r => new() { ["key"] = Pick(r, Keys) }, null, ["key"], new() { ["key"] = _ => "" }),
        new("GET", "/cache/get", "reader", null, r => $"key={Pick(r, Keys)}", [], new()),
        new("GET", "/cache/lines", "reader", null, r => $"key={Pick(r, Keys)}", [], new()),
        new("GET", "/raft/status", "reader", null, _ => "", [], new()),
        new("POST", "/raft/transfer-leadership", "admin", _ => new() { ["target"] = "node9" }, null, ["target"], new() { ["target"] = _ => "" }, 1024),
        new("GET", "/cluster/state", "reader", null, _ => "", [], new()),
    ];

    /// <summary>One request: a route made defective one way, to one node, with junk headers.</summary>
    private sealed record Probe(string Node, string Method, string PathAndQuery, string? Body, string? ContentType, string? Authorization, string Kind,
        int? ExpectedStatus, IReadOnlyList<KeyValuePair<string, string>> Junk)
    {
        public static Probe Make(Route route, Defect defect, string node, int seed, string noise, IReadOnlyDictionary<string, string> tokens)
        {
            var random = new Random(seed);
            // A defect that does not apply to the route (a body defect on a GET) falls back to one that does.
            defect = (defect, route.Body is null) switch
            {
                (Defect.ReaderWrites, _) when !route.Writes => Defect.UnknownToken,
                (Defect.NotJson or Defect.NotAnObject or Defect.WrongType or Defect.MissingField or Defect.OutOfRange or Defect.TooLarge or Defect.WrongContentType, true) => Defect.BadQuery,
                (Defect.BadQuery, false) => Pick(random, [Defect.NotJson, Defect.WrongType, Defect.MissingField]),
                _ => defect,
            };
            var token = tokens[route.Role];
            string? authorization = $"Bearer {token}";
            var body = route.Body?.Invoke(random);
            var query = route.Query?.Invoke(random) ?? "";
            string? text = body?.ToJsonString();
            var contentType = body is null ? null : "application/json";
            var method = route.Method;
            int? expected = null;
            switch (defect)
            {
                case Defect.NoToken:
                    authorization = null;
                    expected = 401;
                    break;
                case Defect.UnknownToken:
                    authorization = $"Bearer {Guid.NewGuid():n}{noise.Length}";
                    expected = 401;
                    break;
                case Defect.NotBearer:
                    authorization = Pick(random, [$"Basic {Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + token))}", "Bearer", $"Token {token}", token]);
                    expected = 401;
                    break;
                case Defect.ReaderWrites:
                    authorization = $"Bearer {tokens["reader"]}";
                    expected = 403;
                    break;
                case Defect.NotJson:
                    text = Pick(random, ["{", "{\"resource\":", "not json", "\u0000\u0001\u0002", noise.Length > 0 ? "{" + noise : "[", "{\"topic\":\"a\",}", "{'key':'single quotes'}"]);
                    break;
                case Defect.NotAnObject:
                    text = Pick(random, ["[]", "42", "\"text\"", "null", "true", "[{\"key\":\"k\"}]"]);
                    break;
                case Defect.WrongType:
                {
                    var field = Pick(random, [.. body!.Select(p => p.Key)]);
                    body![field] = body[field] is JsonValue value && value.GetValueKind() == JsonValueKind.String
                        ? Pick<JsonNode>(random, [JsonValue.Create(123)!, new JsonObject(), new JsonArray(), JsonValue.Create(true)!])
                        : Pick<JsonNode>(random, [new JsonObject { ["nested"] = 1 }, new JsonArray(1, 2), JsonValue.Create(true)!]);
                    if (field is "payload" or "value")
                    {
                        body[field] = null; // any JSON is a valid payload or value; null is not
                    }

                    text = body.ToJsonString();
                    break;
                }

                case Defect.MissingField:
                    body!.Remove(Pick(random, route.Required));
                    text = body.ToJsonString();
                    break;
                case Defect.OutOfRange:
                {
                    var (field, value) = route.OutOfRange.ElementAt(random.Next(route.OutOfRange.Count));
                    body![field] = value(random);
                    text = body.ToJsonString();
                    break;
                }

                case Defect.TooLarge:
                    body!["padding"] = Long(route.BodyLimit + 1);
                    text = body.ToJsonString();
                    expected = 413;
                    break;
                case Defect.WrongContentType:
                    contentType = Pick(random, ["text/plain", "application/xml", "application/x-www-form-urlencoded"]);
                    expected = 415;
                    break;
                case Defect.WrongMethod:
                    method = route.Method == "GET" ? Pick(random, ["DELETE", "PUT"]) : Pick(random, ["GET", "DELETE", "PATCH"]);
                    text = method == "GET" ? null : text;
                    expected = 405;
                    break;
                case Defect.BadQuery:
                    query = route.Path switch
                    {
                        "/locks/state" => Pick(random, ["consistency=sometimes", "consistency="  + Uri.EscapeDataString(noise) + "x"]),
                        "/cache/get" or "/cache/lines" => Pick(random, ["", "key=", "key=" + Long(600)]),
                        "/queue/dead_letters" => Pick(random, ["", "topic=", $"topic={Topics[0]}&limit=-1"]),
                        "/queue/stats" => "topic=" + Long(300),
                        // Nothing to break in the query: the route takes none, so break the token instead.
                        _ => "",
                    };
                    if (route.Path is "/raft/status" or "/cluster/state")
                    {
                        authorization = null;
                        expected = 401;
                    }

                    break;
            }

            // Junk headers: names and values a client might send by mistake or on purpose; none may matter.
            var junk = new List<KeyValuePair<string, string>>
            {
                new("X-Fuzz", new string([.. noise.Where(c => c is >= ' ' and <= '~')])),
                new("Accept", Pick(random, ["*/*", "text/html", "application/xml", ""])),
            };
            if (random.Next(4) == 0)
            {
                junk.Add(new("X-Forwarded-For", "10.0.0." + random.Next(256)));
            }

            return new Probe(node, method, route.Path + (query.Length > 0 ? "?" + query : ""), text, contentType, authorization, defect.ToString(), expected, junk);
        }

        public HttpRequestMessage ToRequest()
        {
            var request = new HttpRequestMessage(new HttpMethod(Method), PathAndQuery);
            if (Body is not null)
            {
                request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(Body));
                if (ContentType is not null)
                {
                    request.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
                }
            }

            if (Authorization is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", Authorization);
            }

            foreach (var (name, value) in Junk)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            return request;
        }

        public override string ToString() =>
            $"{Kind}: {Method} {Node}{(PathAndQuery.Length > 120 ? PathAndQuery[..120] + "…" : PathAndQuery)} auth={Authorization?.Split(' ')[0] ?? "none"} "
            + $"type={ContentType ?? "none"} body={(Body is null ? "none" : Body.Length > 120 ? Body[..120] + $"… ({Body.Length} chars)" : Body)}";
    }
}
