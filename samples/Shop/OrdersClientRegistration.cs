using Microsoft.Extensions.DependencyInjection;
using Mtls.Authorization;
using Mtls.Http;
using Shop.Grpc;

namespace Shop;

/// <summary>Registers <see cref="OrdersClient"/>: an HttpClient and a gRPC client, both SPIFFE mTLS to orders.</summary>
public static class OrdersClientRegistration
{
    public static IServiceCollection AddOrdersClient(this IServiceCollection services, Uri orders, Action<SpiffeHttpClientOptions>? connection = null)
    {
        // The server must prove the orders ID; its host name is not what identifies it.
        var ordersOnly = Authorizer.Id(ShopIds.Orders);
        // Explicit names: both client types are called OrdersClient, and one name would merge their handlers.
        services.AddGrpcClient<Orders.OrdersClient>("orders-grpc", o => o.Address = orders).AddSpiffeMtls(ordersOnly, connection);
        services.AddHttpClient<OrdersClient>("orders-http", c => c.BaseAddress = orders).AddSpiffeMtls(ordersOnly, connection);
        return services;
    }
}
