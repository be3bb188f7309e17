using DistSync.Node.Hosting;
using Microsoft.Extensions.Options;

namespace DistSync.Tests.Infrastructure;

/// <summary>Peer credentials as a started node has them: the cluster id established, as the node's start-up does first.</summary>
internal static class Credentials
{
    public static PeerCredentials Established(IOptions<NodeOptions> options)
    {
        var credentials = new PeerCredentials(options);
        credentials.Establish();
        return credentials;
    }
}
