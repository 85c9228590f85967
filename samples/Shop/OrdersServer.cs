using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mtls.AspNetCore;
using Mtls.AspNetCore.Authorization;

namespace Shop;

/// <summary>
/// The orders service: every endpoint speaks mTLS with orders' SVID, and both the HTTP API and the gRPC service admit
/// only the frontend's SPIFFE ID (any other workload of the trust domain gets 403; other trust domains never finish
/// the handshake).
/// </summary>
public static class OrdersServer
{
    /// <summary>
    /// Builds orders listening on <paramref name="url"/> (e.g. <c>https://*:8443</c>; port 0 picks a free one). The identity source comes from configuration (the
    /// <c>Spiffe</c> section: environment variables such as <c>Spiffe__Source</c>, or <paramref name="settings"/>).
    /// </summary>
    public static WebApplication Build(string url, IReadOnlyDictionary<string, string?>? settings = null, Action<ILoggingBuilder>? logging = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        logging?.Invoke(builder.Logging);
        builder.WebHost.UseUrls(url);
        builder.Services.AddSpiffeMtls();
        builder.Services.AddGrpc();

        var app = builder.Build();
        app.MapGet("/orders/{id}", (string id, HttpContext context) => Lookup(id, context)).RequireSpiffeId(ShopIds.Frontend);
        app.MapGrpcService<OrdersGrpcService>().RequireSpiffeId(ShopIds.Frontend);
        return app;
    }

    internal static OrderView Lookup(string id, HttpContext context) => new(
        id,
        "shipped",
        context.GetPeerSpiffeId()?.ToString() ?? "(none)",
        context.Connection.ClientCertificate?.SerialNumber ?? "(none)");
}
