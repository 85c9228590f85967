using Grpc.Core;
using Mtls.AspNetCore;
using Shop.Grpc;

namespace Shop;

/// <summary>The gRPC face of orders; the same answer as <c>GET /orders/{id}</c>.</summary>
public sealed class OrdersGrpcService : Orders.OrdersBase
{
    public override Task<OrderReply> GetOrder(OrderRequest request, ServerCallContext context)
    {
        var order = OrdersServer.Lookup(request.Id, context.GetHttpContext());
        return Task.FromResult(new OrderReply { Id = order.Id, Status = order.Status, Caller = order.Caller, CallerSerial = order.CallerSerial });
    }
}
