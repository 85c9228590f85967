namespace Shop;

/// <summary>What the frontend's <c>GET /</c> returns: one order fetched over HTTP and one over gRPC, both over mTLS.</summary>
public sealed record FrontendView(OrderView Http, OrderView Grpc);
