using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace DistSync.AppHost.Dashboard;

/// <summary>
/// The three Kestrel listeners. Kestrel writes the bound end point back into each ListenOptions,
/// so after start they hold the real ports even when port 0 was asked for.
/// </summary>
internal sealed class DashboardListeners
{
    public ListenOptions? Ui { get; set; }

    public ListenOptions? OtlpGrpc { get; set; }

    public ListenOptions? OtlpHttp { get; set; }

    public int UiPort => PortOf(Ui);

    public int OtlpGrpcPort => PortOf(OtlpGrpc);

    public int OtlpHttpPort => PortOf(OtlpHttp);

    private static int PortOf(ListenOptions? listener)
    {
        var endPoint = listener?.EndPoint as IPEndPoint
            ?? throw new InvalidOperationException("The dashboard's listeners are configured when the host is built.");
        return endPoint.Port;
    }
}
