namespace DistSync.Node.Security;

/// <summary>
/// Finds what a request acts on (the body's <see cref="ITargeted"/>, else a query parameter), records it for the
/// audit log, and holds a prefix-limited token to its prefixes. A route that reads the whole cluster (lock state,
/// every topic's stats) names nothing, so such a token may not call it.
/// </summary>
public sealed class TargetFilter(string? queryParameter) : IEndpointFilter
{
    public const string ItemKey = "distsync.target";

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var body = Body(context.Arguments);
        var target = body is not null ? body.Target
            : queryParameter is not null && http.Request.Query.TryGetValue(queryParameter, out var value) ? value.ToString() : null;
        if (target is not null)
        {
            http.Items[ItemKey] = target;
        }

        // Every request passes here: a token without prefixes (most of them) is done after one look at its claims.
        if (!http.User.HasClaim(static c => c.Type == Principals.PrefixClaim))
        {
            return next(context);
        }

        // A body without its name is the validator's to refuse (400); a route without one reads everything.
        if (target is not null ? Principals.MayName(http.User, target) : body is not null)
        {
            return next(context);
        }

        var prefixes = Principals.PrefixesOf(http.User);

        var limited = $"This token is limited to names starting with {string.Join(" or ", prefixes.Select(p => $"'{p}'"))}";
        var detail = target is not null ? $"{limited}; '{target}' is not under them."
            : queryParameter is not null ? $"{limited}; name a {queryParameter} under one of them."
            : $"{limited}; this route shows or changes the whole cluster, so such a token may not call it.";
        return ValueTask.FromResult<object?>(TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: detail,
            extensions: new Dictionary<string, object?> { ["prefixes"] = prefixes }));
    }

    private static ITargeted? Body(IList<object?> arguments)
    {
        foreach (var argument in arguments)
        {
            if (argument is ITargeted targeted)
            {
                return targeted;
            }
        }

        return null;
    }
}
