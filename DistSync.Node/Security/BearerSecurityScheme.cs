using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace DistSync.Node.Security;

/// <summary>Declares the bearer token in the OpenAPI document, so <c>/docs</c> asks for one and sends it.</summary>
public sealed class BearerSecurityScheme : IOpenApiDocumentTransformer
{
    public const string Name = "bearer";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[Name] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "A token from DistSync:Auth:Tokens. Run from the AppHost, the development tokens are in its user secrets (dotnet user-secrets list --project DistSync.AppHost).",
        };
        document.Security ??= [];
        document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Name, document)] = [] });
        return Task.CompletedTask;
    }
}
