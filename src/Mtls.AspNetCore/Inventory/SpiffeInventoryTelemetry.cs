using System.Diagnostics.Metrics;
using Mtls.Telemetry;

namespace Mtls.AspNetCore.Inventory;

/// <summary>The migration metrics on the shared <c>Mtls</c> meter.</summary>
internal static class SpiffeInventoryTelemetry
{
    /// <summary>Tag: the route template that served the request.</summary>
    internal const string RouteTag = "http.route";

    /// <summary>Tag: the request method (standard methods, else <c>_OTHER</c>).</summary>
    internal const string MethodTag = "http.request.method";

    /// <summary>The peer tag's value for a request without a verified peer.</summary>
    internal const string Plaintext = "plaintext";

    /// <summary>Plaintext requests served by permissive endpoints, by route.</summary>
    internal static readonly Counter<long> PlaintextRequests = MtlsTelemetry.Meter.CreateCounter<long>(
        "mtls.permissive.plaintext_requests", "{request}", "Requests served without mTLS by a permissive endpoint, by route");

    /// <summary>Calls recorded in the caller inventory, by peer, method and route.</summary>
    internal static readonly Counter<long> InventoryCalls = MtlsTelemetry.Meter.CreateCounter<long>(
        "mtls.inventory.calls", "{request}", "Calls recorded by the caller inventory, by peer, method and route");

    /// <summary>Calls not recorded because the inventory was full.</summary>
    internal static readonly Counter<long> InventoryOverflow = MtlsTelemetry.Meter.CreateCounter<long>(
        "mtls.inventory.overflow", "{request}", "Calls of new (peer, method, route) triples not recorded: the inventory is full");
}
