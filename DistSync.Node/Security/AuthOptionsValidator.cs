using Microsoft.Extensions.Options;

namespace DistSync.Node.Security;

/// <summary>Fails start-up with every problem in <c>DistSync:Auth</c>, each said as what to change.</summary>
public sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options) =>
        options.Problems().ToList() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
}
