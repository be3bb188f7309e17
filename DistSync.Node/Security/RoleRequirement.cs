using Microsoft.AspNetCore.Authorization;

namespace DistSync.Node.Security;

/// <summary>The role a route needs, as metadata the 403 answer can name.</summary>
public sealed record RoleRequirementMetadata(Role Role);

public static class RoleRequirement
{
    public static string PolicyName(Role role) => $"role:{role.ToString().ToLowerInvariant()}";

    /// <summary>One policy per role; a route without one (nothing public is left so) needs a reader.</summary>
    public static void AddRolePolicies(this AuthorizationOptions options)
    {
        foreach (var role in Enum.GetValues<Role>())
        {
            // No scheme named: the default one has already authenticated the request, and naming it would run it again.
            options.AddPolicy(PolicyName(role), policy => policy.RequireAssertion(ctx => Principals.RoleOf(ctx.User) >= role));
        }

        options.FallbackPolicy = options.GetPolicy(PolicyName(Role.Reader));
    }

    public static TBuilder RequireRole<TBuilder>(this TBuilder builder, Role role)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RoleRequirementMetadata(role)).RequireAuthorization(PolicyName(role));
}
