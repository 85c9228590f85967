using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mtls.Hosting;
using Mtls.Http;

namespace Shop;

/// <summary>
/// The frontend: its public side (<c>GET /</c>) stays plain HTTP, as behind an ingress; its calls to orders are mTLS
/// with the frontend's SVID, over HTTP and gRPC.
/// </summary>
public static class FrontendServer
{
    /// <summary>
    /// Builds the frontend listening on <paramref name="url"/> (e.g. <c>https://*:8443</c>; port 0 picks a free one) and calling <paramref name="orders"/>. The identity
    /// source comes from configuration, as for <see cref="OrdersServer.Build"/>.
    /// </summary>
    public static WebApplication Build(
        string url,
        Uri orders,
        IReadOnlyDictionary<string, string?>? settings = null,
        Action<SpiffeHttpClientOptions>? connection = null,
        Action<ILoggingBuilder>? logging = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        logging?.Invoke(builder.Logging);
        builder.WebHost.UseUrls(url);
        // The identity is for outgoing calls only: the source without the Kestrel part, so the public endpoint stays
        // plain HTTP (start small: only service-to-service).
        builder.Services.AddSpiffeX509Source();
        builder.Services.AddOrdersClient(orders, connection);

        var app = builder.Build();
        app.MapGet("/", async (OrdersClient client, CancellationToken cancellationToken) =>
        {
            try
            {
                var (status, order) = await client.GetOverHttpAsync("1001", cancellationToken);
                if (order is null)
                {
                    return Results.Problem($"orders answered HTTP {status}", statusCode: StatusCodes.Status502BadGateway);
                }

                return Results.Ok(new FrontendView(order, await client.GetOverGrpcAsync("1002", cancellationToken)));
            }
            catch (Exception e) when (e is HttpRequestException or RpcException or SpiffeAuthorizationException)
            {
                return Results.Problem($"calling orders failed: {e.Message}", statusCode: StatusCodes.Status502BadGateway);
            }
        });
        return app;
    }
}
