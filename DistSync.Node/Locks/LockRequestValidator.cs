using System.Text;

namespace DistSync.Node.Locks;

/// <summary>
/// Checks request fields before anything is proposed, so bad input gets a 400 naming the field and never
/// reaches the log. The same rules guard <see cref="LockTable.Apply"/> and <see cref="LockCommandCodec"/>.
/// Field names are the API's snake_case ones.
/// </summary>
public static class LockRequestValidator
{
    public const string ResourceField = "resource";
    public const string ClientIdField = "client_id";
    public const string ModeField = "mode";
    public const string WaitMsField = "wait_ms";
    public const string TtlMsField = "ttl_ms";
    public const string NowMsField = "now_ms";
    public const string FencingTokenField = "fencing_token";
    public const string RequestIdField = "request_id";
    public const string SessionIdField = "session_id";

    /// <summary>Not a field of any body: the name of the token a request came with, which owns the sessions it opens.</summary>
    public const string OwnerField = "owner";

    private static readonly UTF8Encoding _strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Validates an acquire body; null fields for wait_ms/ttl_ms mean "use the default". With a session, the hold has no
    /// lease of its own, so ttl_ms must be left out.
    /// </summary>
    public static LockValidationError? ValidateAcquire(string? resource, string? clientId, string? mode, long? waitMs, long? ttlMs, long? sessionId = null)
    {
        if (ValidateResource(resource) is { } r)
        {
            return r;
        }

        if (ValidateClientId(clientId) is { } c)
        {
            return c;
        }

        if (string.IsNullOrEmpty(mode))
        {
            return new(ModeField, "is required");
        }

        if (!LockModes.TryParse(mode, out _))
        {
            return new(ModeField, $"must be '{LockModes.SharedName}' or '{LockModes.ExclusiveName}'");
        }

        if (sessionId is not null)
        {
            return ValidateWaitMs(waitMs ?? LockLimits.DefaultWaitMs) ?? ValidateSessionId(sessionId)
                ?? (ttlMs is null ? null : new(TtlMsField, "must not be given with session_id: a session's holds last as long as the session"));
        }

        return ValidateWaitMs(waitMs ?? LockLimits.DefaultWaitMs) ?? ValidateTtlMs(ttlMs ?? LockLimits.DefaultTtlMs);
    }

    /// <summary>A session id names the create that opened it, a Raft index: 1 or more.</summary>
    public static LockValidationError? ValidateSessionId(long? sessionId) => sessionId switch
    {
        null => new(SessionIdField, "is required"),
        < 1 => new(SessionIdField, "must be at least 1 (an id from a session's create)"),
        _ => null,
    };

    public static LockValidationError? ValidateSessionTtlMs(long ttlMs) =>
        ttlMs is < LockLimits.MinSessionTtlMs or > LockLimits.MaxSessionTtlMs
            ? new(TtlMsField, $"must be between {LockLimits.MinSessionTtlMs} and {LockLimits.MaxSessionTtlMs}")
            : null;

    public static LockValidationError? ValidateOwner(string? owner) =>
        ValidateId(OwnerField, owner, LockLimits.MaxOwnerBytes);

    public static LockValidationError? ValidateRelease(string? resource, string? clientId, long? fencingToken = null) =>
        ValidateResource(resource) ?? ValidateClientId(clientId) ?? ValidateFencingToken(fencingToken);

    public static LockValidationError? ValidateRenew(string? resource, string? clientId, long? ttlMs, long? fencingToken = null) =>
        ValidateResource(resource) ?? ValidateClientId(clientId) ?? ValidateTtlMs(ttlMs ?? LockLimits.DefaultTtlMs)
        ?? ValidateFencingToken(fencingToken);

    /// <summary>An optional request id: when given, a non-empty id like a client id.</summary>
    public static LockValidationError? ValidateRequestId(string? requestId) =>
        requestId is null ? null : ValidateId(RequestIdField, requestId, LockLimits.MaxRequestIdBytes);

    /// <summary>A token names a grant, and grants are Raft indices: 1 or more.</summary>
    public static LockValidationError? ValidateFencingToken(long? fencingToken) =>
        fencingToken is < 1 ? new(FencingTokenField, "must be at least 1 (a token from an acquire's answer)") : null;

    /// <summary>Validates a whole command, including the leader-chosen time.</summary>
    public static LockValidationError? Validate(LockCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.NowMs is < 0 or > LockLimits.MaxNowMs)
        {
            return new(NowMsField, $"must be between 0 and {LockLimits.MaxNowMs}");
        }

        if (command.RequestId is not null && ValidateRequestId(command.RequestId) is { } requestId)
        {
            return requestId;
        }

        return command switch
        {
            LockCommand.Acquire a => ValidateResource(a.Resource) ?? ValidateClientId(a.ClientId) ?? ValidateMode(a.Mode)
                ?? ValidateWaitMs(a.WaitMs) ?? ValidateAcquirer(a),
            LockCommand.Release r => ValidateResource(r.Resource) ?? ValidateClientId(r.ClientId) ?? ValidateFencingToken(r.FencingToken),
            LockCommand.Renew n => ValidateResource(n.Resource) ?? ValidateClientId(n.ClientId) ?? ValidateTtlMs(n.TtlMs)
                ?? ValidateFencingToken(n.FencingToken),
            LockCommand.ExpireDue => null,
            LockCommand.Withdraw w => ValidateResource(w.Resource) ?? ValidateClientId(w.ClientId)
                ?? (w.RequestIndex < 1 ? new("request_index", "must be at least 1") : null),
            LockCommand.CreateSession c => ValidateOwner(c.Owner) ?? ValidateSessionTtlMs(c.TtlMs),
            LockCommand.KeepAlive k => ValidateSessionId(k.SessionId) ?? ValidateOwner(k.Owner),
            LockCommand.CloseSession c => ValidateSessionId(c.SessionId) ?? ValidateOwner(c.Owner),
            _ => throw new ArgumentException($"unknown lock command {command.GetType().Name}", nameof(command)),
        };
    }

    public static LockValidationError? ValidateResource(string? resource) =>
        ValidateId(ResourceField, resource, LockLimits.MaxResourceBytes);

    public static LockValidationError? ValidateClientId(string? clientId) =>
        ValidateId(ClientIdField, clientId, LockLimits.MaxClientIdBytes);

    public static LockValidationError? ValidateWaitMs(long waitMs) =>
        waitMs is < 0 or > LockLimits.MaxWaitMs ? new(WaitMsField, $"must be between 0 and {LockLimits.MaxWaitMs}") : null;

    public static LockValidationError? ValidateTtlMs(long ttlMs) =>
        ttlMs is < LockLimits.MinTtlMs or > LockLimits.MaxTtlMs
            ? new(TtlMsField, $"must be between {LockLimits.MinTtlMs} and {LockLimits.MaxTtlMs}")
            : null;

    /// <summary>An acquire has a lease of its own, or a session and the owner asking for it: never both, never half of one.</summary>
    private static LockValidationError? ValidateAcquirer(LockCommand.Acquire a) => a.SessionId is null
        ? ValidateTtlMs(a.TtlMs) ?? (a.Owner is null ? null : new(OwnerField, "is given only with session_id"))
        : ValidateSessionId(a.SessionId) ?? ValidateOwner(a.Owner)
            ?? (a.TtlMs == 0 ? null : new(TtlMsField, "must be 0 with session_id: a session's holds last as long as the session"));

    private static LockValidationError? ValidateMode(LockMode mode) =>
        LockModes.IsDefined((byte)mode) ? null : new(ModeField, $"must be '{LockModes.SharedName}' or '{LockModes.ExclusiveName}'");

    private static LockValidationError? ValidateId(string field, string? value, int maxBytes)
    {
        if (string.IsNullOrEmpty(value))
        {
            return new(field, "is required");
        }

        // Every UTF-16 unit is at least one UTF-8 byte, so a longer string is too long without counting.
        if (value.Length > maxBytes)
        {
            return new(field, $"must be at most {maxBytes} UTF-8 bytes");
        }

        foreach (var ch in value)
        {
            if (char.IsControl(ch))
            {
                return new(field, "must not contain control characters");
            }
        }

        int bytes;
        try
        {
            bytes = _strictUtf8.GetByteCount(value);
        }
        catch (EncoderFallbackException)
        {
            return new(field, "must be valid Unicode text");
        }

        return bytes > maxBytes ? new(field, $"must be at most {maxBytes} UTF-8 bytes") : null;
    }
}
