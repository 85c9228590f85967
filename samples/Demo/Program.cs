using Demo;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Mtls.Authorization;
using Mtls.Bundles;
using Mtls.Http;
using Mtls.Sources;
using Mtls.Testing.Certificates;
using Mtls.Testing.Jwt;
using Mtls.Testing.WorkloadApi;
using Shop;

// The whole story on one machine: orders and a frontend speak mTLS with SPIFFE identities from a (demo-only) Workload
// API; the frontend is allowed, a third workload is denied, a foreign trust domain is refused at the handshake, and a
// rotation happens under live traffic; behind a TLS-terminating gateway, billing still authorizes the frontend by its
// JWT-SVID and refuses a replayed token. Exit code 0 when every step behaved as expected.
const string Reports = "spiffe://cluster.local/ns/shop/sa/reports";
const string Foreigner = "spiffe://evil.example/ns/shop/sa/frontend";

Console.WriteLine("""
    ================================================================================
     Mtls demo: mTLS between two services with SPIFFE identities, on this machine.
     DEMO ONLY: the Workload API agents and the certificate authority used here are
     the embedded test kit (Mtls.Testing), for demos and tests. In production the
     identities come from SPIRE or cert-manager's csi-driver-spiffe: see
     samples/Spire and samples/CertManager.
    ================================================================================
    """);

var transcript = new Transcript(Console.Out);
using var ca = TestCertificateAuthority.Create(ShopIds.TrustDomain);
using var foreignCa = TestCertificateAuthority.Create("evil.example");
using var jwtIssuer = TestJwtIssuer.Create(ShopIds.TrustDomain);
// One agent per workload: the embedded agent attests callers by process, and all three workloads share this one.
await using var ordersAgent = await StartAgentAsync(ca, ShopIds.Orders);
await using var frontendAgent = await StartAgentAsync(ca, ShopIds.Frontend);
await using var reportsAgent = await StartAgentAsync(ca, Reports);
await using var billingAgent = await StartAgentAsync(ca, ProxyScenario.Billing, jwtIssuer);
await using var gatewayAgent = await StartAgentAsync(ca, ProxyScenario.Gateway);
frontendAgent.AddJwtIssuer(jwtIssuer);
using var refusals = new HandshakeRefusals();
await using var metrics = MetricsEndpoint.Build();
await metrics.StartAsync();
var metricsUrl = new Uri(new Uri(metrics.Urls.Single()), "/metrics");

static void Quiet(ILoggingBuilder logging) => logging.ClearProviders();
static Dictionary<string, string?> Identity(WorkloadApiServer agent) => new()
{
    ["Spiffe:EndpointSocket"] = agent.Address,
    ["Spiffe:TrustDomain"] = ShopIds.TrustDomain,
    ["Spiffe:StartupTimeout"] = "00:00:10",
};

await using var orders = OrdersServer.Build("https://127.0.0.1:0", Identity(ordersAgent), Quiet);
await orders.StartAsync();
var ordersUrl = new Uri(orders.Urls.Single());
// A new connection per call, so that each call shows the certificate the caller holds right now.
await using var frontend = FrontendServer.Build("http://127.0.0.1:0", ordersUrl, Identity(frontendAgent), c => c.PooledConnectionLifetime = TimeSpan.Zero, Quiet);
await using var reports = FrontendServer.Build("http://127.0.0.1:0", ordersUrl, Identity(reportsAgent), c => c.PooledConnectionLifetime = TimeSpan.Zero, Quiet);
await Task.WhenAll(frontend.StartAsync(), reports.StartAsync());
var ordersSource = orders.Services.GetRequiredService<IX509Source>();
var frontendSource = frontend.Services.GetRequiredService<IX509Source>();
transcript.Note($"Workload API agents (unix sockets): orders {ordersAgent.Address}, frontend {frontendAgent.Address}, reports {reportsAgent.Address}");
transcript.Note($"orders   {ordersUrl}  mTLS as {ShopIds.Orders}; its API and gRPC service admit only {ShopIds.Frontend}");
transcript.Note($"frontend calls orders as {ShopIds.Frontend}; reports calls orders as {Reports}");
transcript.Note($"Prometheus metrics of every service here: scrape {metricsUrl} (plain http, 127.0.0.1 only)");
Console.WriteLine();

await transcript.StepAsync("frontend -> orders over HTTP (mTLS): allowed", async cancel =>
{
    var (status, order) = await frontend.Services.GetRequiredService<OrdersClient>().GetOverHttpAsync("1001", cancel);
    return (status == 200 && order?.Caller == ShopIds.Frontend,
        $"HTTP {status}; orders verified the caller as {order?.Caller ?? "(no order)"} and the frontend verified orders as {ShopIds.Orders}");
});

await transcript.StepAsync("frontend -> orders over gRPC (mTLS): allowed", async cancel =>
{
    var order = await frontend.Services.GetRequiredService<OrdersClient>().GetOverGrpcAsync("1002", cancel);
    return (order.Caller == ShopIds.Frontend, $"gRPC GetOrder OK (order {order.Id} {order.Status}); orders saw caller {order.Caller}");
});

await transcript.StepAsync("reports -> orders: a trusted workload the policy does not allow is denied", async cancel =>
{
    var client = reports.Services.GetRequiredService<OrdersClient>();
    var (status, _) = await client.GetOverHttpAsync("1001", cancel);
    var grpcStatus = StatusCode.OK;
    try
    {
        await client.GetOverGrpcAsync("1002", cancel);
    }
    catch (RpcException e)
    {
        grpcStatus = e.StatusCode;
    }

    return (status == 403 && grpcStatus == StatusCode.PermissionDenied,
        $"HTTP {status} and gRPC {grpcStatus}: {Reports} passed the handshake (same trust domain) but orders' policy admits only the frontend");
});

await transcript.StepAsync("a peer from another trust domain is refused at the TLS handshake", async cancel =>
{
    // Same path as the frontend, but signed by another trust domain's CA; it even trusts orders' CA.
    using var foreign = new InMemoryX509Source(foreignCa.IssueSvid(Foreigner), new X509BundleSet([ca.CreateBundle()]));
    using var http = new HttpClient(SpiffeHttpHandlerFactory.Create(foreign, Authorizer.Id(ShopIds.Orders))) { BaseAddress = ordersUrl };
    try
    {
        using var response = await http.GetAsync(new Uri("/orders/1001", UriKind.Relative), cancel);
        return (false, $"orders answered HTTP {(int)response.StatusCode} to {Foreigner}");
    }
    catch (HttpRequestException e)
    {
        string reason = await refusals.FirstServerRefusal.WaitAsync(cancel);
        return (reason == "UntrustedTrustDomain",
            $"no HTTP request reached orders: it refused {Foreigner} during the handshake ({reason}); the client saw: {e.GetBaseException().Message}");
    }
});

await transcript.StepAsync("live rotation: both agents re-issue SVIDs, calls keep succeeding with the new certificates", async cancel =>
{
    string ordersBefore = ordersSource.GetX509Svid()!.Certificate.SerialNumber;
    string frontendBefore = frontendSource.GetX509Svid()!.Certificate.SerialNumber;
    var rotated = Task.WhenAll(NextChange(ordersSource), NextChange(frontendSource));
    ordersAgent.Rotate();
    frontendAgent.Rotate();
    await rotated.WaitAsync(cancel);
    string ordersAfter = ordersSource.GetX509Svid()!.Certificate.SerialNumber;
    string frontendAfter = frontendSource.GetX509Svid()!.Certificate.SerialNumber;

    var client = frontend.Services.GetRequiredService<OrdersClient>();
    var (status, order) = await client.GetOverHttpAsync("1003", cancel);
    var overGrpc = await client.GetOverGrpcAsync("1004", cancel);
    bool passed = ordersAfter != ordersBefore && frontendAfter != frontendBefore && status == 200
        && order?.CallerSerial == frontendAfter && overGrpc.CallerSerial == frontendAfter;
    return (passed,
        $"orders serial {LocalShop.Abbreviate(ordersBefore)} -> {LocalShop.Abbreviate(ordersAfter)}, frontend serial {LocalShop.Abbreviate(frontendBefore)} -> {LocalShop.Abbreviate(frontendAfter)}; "
        + $"next calls: HTTP {status} and gRPC OK, orders saw the frontend's new certificate {LocalShop.Abbreviate(order?.CallerSerial ?? "(none)")}");
});

await using (var proxy = await ProxyScenario.StartAsync(Identity(billingAgent), Identity(gatewayAgent), Identity(frontendAgent)))
{
    transcript.Note($"billing  mTLS as {ProxyScenario.Billing}; admits the gateway {ProxyScenario.Gateway} as peer only with a JWT-SVID of {ShopIds.Frontend}");

    await transcript.StepAsync("frontend -> TLS-terminating gateway -> billing: billing authorizes the original caller by its JWT-SVID", async cancel =>
    {
        var (status, body) = await proxy.CallAsync(cancel);
        return (status == 200 && body == $"invoice 2001 for {ShopIds.Frontend}, mTLS peer {ProxyScenario.Gateway}",
            $"HTTP {status}: {body}; the gateway ended the frontend's mTLS, the JWT-SVID (audience {ProxyScenario.Billing}) carried the frontend across");
    });

    await transcript.StepAsync("a token for another audience, replayed to billing through the gateway, is refused", async cancel =>
    {
        var (status, body) = await proxy.ReplayAsync(cancel);
        var rule = await proxy.FirstRefusal.WaitAsync(cancel);
        return (status == 403 && body.Length == 0 && rule == Mtls.Jwt.JwtSvidRule.WrongAudience,
            $"HTTP {status}, empty body: the gateway is a valid peer but the frontend's token for {ShopIds.Orders} is not one for billing; billing's OnFailed event saw rule {rule}, the caller learned nothing more");
    });
}

await transcript.StepAsync("telemetry: the request metrics name the caller and the callee by verified SPIFFE ID", async cancel =>
{
    using var http = new HttpClient();
    string exposition = await http.GetStringAsync(metricsUrl, cancel);
    string edge = $"spiffe_client_id=\"{ShopIds.Frontend}\",spiffe_server_id=\"{ShopIds.Orders}\"";
    var line = exposition.Split('\n').FirstOrDefault(l => l.StartsWith("http_server_request_duration_seconds_count{", StringComparison.Ordinal) && l.Contains(edge, StringComparison.Ordinal) && l.Contains("http_response_status_code=\"200\"", StringComparison.Ordinal));
    return (line is not null,
        $"{metricsUrl} serves {line ?? "(no such series)"}; who calls whom: sum by (spiffe_client_id, spiffe_server_id) (rate(http_server_request_duration_seconds_count[5m]))");
});

Console.WriteLine();
Console.WriteLine(transcript.Failures == 0
    ? "All steps behaved as expected."
    : $"{transcript.Failures} step(s) did not behave as expected.");
return transcript.Failures == 0 ? 0 : 1;

static async Task<WorkloadApiServer> StartAgentAsync(TestCertificateAuthority ca, string spiffeId, TestJwtIssuer? jwtIssuer = null)
{
    var agent = new WorkloadApiServer();
    agent.AddTrustDomain(ca);
    if (jwtIssuer is not null)
    {
        agent.AddJwtIssuer(jwtIssuer);
    }

    agent.SetIdentities(spiffeId);
    await agent.StartAsync();
    return agent;
}

static Task NextChange(IX509Source source)
{
    var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    source.GetChangeToken().RegisterChangeCallback(static state => ((TaskCompletionSource)state!).TrySetResult(), changed);
    return changed.Task;
}
