namespace DistSync.Hosting;

/// <summary>
/// Redis (or Garnet) run as a local process, for machines without a container runtime. Its connection string has
/// the shape Aspire's Redis container gives, so <c>WithReference</c> hands nodes the same <c>ConnectionStrings__redis</c>.
/// </summary>
public sealed class RedisServerResource(string name, string command, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";

    private EndpointReference? _endpoint;

    public ParameterResource Password { get; } = password;

    public EndpointReference PrimaryEndpoint => _endpoint ??= new(this, EndpointName);

    // 127.0.0.1, not the endpoint's "localhost": the server binds IPv4 loopback only.
    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"127.0.0.1:{PrimaryEndpoint.Property(EndpointProperty.Port)},password={Password}");
}
