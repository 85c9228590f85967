using System.Net.Http.Json;
using Shop.Grpc;

namespace Shop;

/// <summary>
/// How a workload calls orders over mTLS, by HTTP and by gRPC. Registered with <see cref="OrdersClientRegistration"/>:
/// both clients accept only a server that proves <see cref="ShopIds.Orders"/>.
/// </summary>
public sealed class OrdersClient(HttpClient http, Orders.OrdersClient grpc)
{
    /// <summary>GET /orders/{id}: the status code, and the order when it is 200.</summary>
    public async Task<(int Status, OrderView? Order)> GetOverHttpAsync(string id, CancellationToken cancellationToken = default)
    {
        using var response = await http.GetAsync(new Uri($"/orders/{Uri.EscapeDataString(id)}", UriKind.Relative), cancellationToken);
        var order = response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<OrderView>(cancellationToken) : null;
        return ((int)response.StatusCode, order);
    }

    /// <summary>The gRPC GetOrder call; a refusal surfaces as an <see cref="global::Grpc.Core.RpcException"/>.</summary>
    public async Task<OrderView> GetOverGrpcAsync(string id, CancellationToken cancellationToken = default)
    {
        var reply = await grpc.GetOrderAsync(new OrderRequest { Id = id }, cancellationToken: cancellationToken);
        return new OrderView(reply.Id, reply.Status, reply.Caller, reply.CallerSerial);
    }
}
