using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace DistSync.Node.Security;

public static class SecuritySetup
{
    /// <summary>Tokens and roles, the audit log, per-token rate limits and caps on blocking waits.</summary>
    public static WebApplicationBuilder AddSecurity(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuthOptions>()
            .BindConfiguration(AuthOptions.SectionName)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        builder.Services.AddSingleton<TokenTable>();
        builder.Services.AddAuthentication(TokenAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, TokenAuthenticationHandler>(TokenAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorization(o => o.AddRolePolicies());
        builder.Services.AddTokenRateLimits();
        builder.Services.AddSingleton<BlockingWaits>();
        builder.Services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.SectionName);
        builder.Services.AddSingleton<AuditLog>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AuditLog>());
        return builder;
    }
}
