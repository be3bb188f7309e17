using System.Diagnostics;

namespace DistSync.Sample;

/// <summary>An order for a customer: what the desk publishes and the handler processes.</summary>
public sealed record Order(Guid Id, string Customer, int Items, DateTimeOffset PlacedAt);

/// <summary>A customer's running totals, cached in DistSync so every instance of the app sees the same.</summary>
public sealed record CustomerTotals(string Customer, int Orders, int Items);

public static class Orders
{
    public const string Topic = "sample-orders";

    /// <summary>The sample's own spans, so each trace starts in the app: place an order, process an order.</summary>
    public static readonly ActivitySource Telemetry = new("DistSync.Sample");

    public static readonly string[] Customers = ["ada", "grace", "edsger", "barbara", "leslie", "tony"];
}
