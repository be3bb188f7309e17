using DistSync.Node.Locks;

namespace DistSync.Tests.Locks;

public class LockRequestValidatorTests
{
    [Theory]
    [InlineData("r", "c", "shared", null, null)]
    [InlineData("r", "c", "EXCLUSIVE", 0L, 1L)]
    [InlineData("r", "c", "exclusive", LockLimits.MaxWaitMs, LockLimits.MaxTtlMs)]
    public void ValidateAcquire_GoodRequest_Null(string resource, string client, string mode, long? waitMs, long? ttlMs)
    {
        Assert.Null(LockRequestValidator.ValidateAcquire(resource, client, mode, waitMs, ttlMs));
    }

    [Theory]
    [InlineData(null, "c", "shared", null, null, "resource", "is required")]
    [InlineData("", "c", "shared", null, null, "resource", "is required")]
    [InlineData("r", null, "shared", null, null, "client_id", "is required")]
    [InlineData("r", "c", null, null, null, "mode", "is required")]
    [InlineData("r", "c", "read", null, null, "mode", "must be 'shared' or 'exclusive'")]
    [InlineData("r", "c", "shared", -1L, null, "wait_ms", "must be between 0 and 300000")]
    [InlineData("r", "c", "shared", LockLimits.MaxWaitMs + 1, null, "wait_ms", "must be between 0 and 300000")]
    [InlineData("r", "c", "shared", null, 0L, "ttl_ms", "must be between 1 and 3600000")]
    [InlineData("r", "c", "shared", null, -5L, "ttl_ms", "must be between 1 and 3600000")]
    [InlineData("r", "c", "shared", null, long.MaxValue, "ttl_ms", "must be between 1 and 3600000")]
    [InlineData("r\n", "c", "shared", null, null, "resource", "must not contain control characters")]
    public void ValidateAcquire_BadField_NamesFieldAndRule(string? resource, string? client, string? mode, long? waitMs, long? ttlMs, string field, string rule)
    {
        Assert.Equal(new LockValidationError(field, rule), LockRequestValidator.ValidateAcquire(resource, client, mode, waitMs, ttlMs));
    }

    [Fact]
    public void ValidateAcquire_LoneSurrogate_NotValidUnicode()
    {
        var lone = new string((char)0xD800, 1); // built at run time: attribute metadata cannot carry a lone surrogate

        Assert.Equal(new LockValidationError("client_id", "must be valid Unicode text"), LockRequestValidator.ValidateAcquire("r", lone, "shared", null, null));
        Assert.Equal(new LockValidationError("resource", "must be valid Unicode text"), LockRequestValidator.ValidateRelease("a" + lone + "b", "c"));
    }

    [Fact]
    public void ValidateAcquire_OversizedIds_CountsUtf8Bytes()
    {
        var resourceAtLimit = new string('é', LockLimits.MaxResourceBytes / 2); // 2 bytes each
        var resourceOver = resourceAtLimit + "x";
        var clientOver = new string('c', LockLimits.MaxClientIdBytes + 1);

        Assert.Null(LockRequestValidator.ValidateAcquire(resourceAtLimit, "c", "shared", null, null));
        Assert.Equal(new LockValidationError("resource", "must be at most 256 UTF-8 bytes"), LockRequestValidator.ValidateAcquire(resourceOver, "c", "shared", null, null));
        Assert.Equal(new LockValidationError("client_id", "must be at most 128 UTF-8 bytes"), LockRequestValidator.ValidateRelease("r", clientOver));
    }

    [Fact]
    public void ValidateRenew_BadTtl_NamesTtl()
    {
        Assert.Null(LockRequestValidator.ValidateRenew("r", "c", null));
        Assert.Equal("ttl_ms", LockRequestValidator.ValidateRenew("r", "c", LockLimits.MaxTtlMs + 1)?.Field);
        Assert.Equal("resource", LockRequestValidator.ValidateRenew(" ".Trim(), "c", 10)?.Field);
    }

    [Fact]
    public void Validate_Commands_ChecksTimeAndFields()
    {
        Assert.Null(LockRequestValidator.Validate(new LockCommand.ExpireDue(LockLimits.MaxNowMs)));
        Assert.Equal("now_ms", LockRequestValidator.Validate(new LockCommand.ExpireDue(LockLimits.MaxNowMs + 1))?.Field);
        Assert.Equal("mode", LockRequestValidator.Validate(new LockCommand.Acquire("r", "c", (LockMode)0, 1, 0, 0))?.Field);
        Assert.Equal("client_id", LockRequestValidator.Validate(new LockCommand.Release("r", "", 0))?.Field);
    }
}
