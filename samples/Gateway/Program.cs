using System.Net.Http.Json;
using Gateway;
using Microsoft.Extensions.Logging;
using Mtls.Authorization;
using Mtls.Bundles;
using Mtls.Http;
using Mtls.Identity;
using Mtls.Sources;
using Mtls.Testing.Certificates;
using Mtls.Testing.WorkloadApi;

// The gateway of a mesh on one machine: callers reach backends only through it, both hops SPIFFE mTLS. Exit code 0
// when every step behaved as expected.
const string GatewayId = "spiffe://example.org/gateway";
const string Web = "spiffe://example.org/web";
const string Reports = "spiffe://example.org/reports";
const string Orders = "spiffe://example.org/orders";
const string Inventory = "spiffe://example.org/inventory";

Console.WriteLine("""
    ================================================================================
     Mtls gateway: a YARP reverse proxy speaking SPIFFE mTLS on both sides.
     DEMO ONLY: the Workload API agents and the certificate authority used here are
     the embedded test kit (Mtls.Testing). In production the identities come from
     SPIRE or cert-manager's csi-driver-spiffe: see samples/Spire, samples/CertManager.
    ================================================================================
    """);

using var ca = TestCertificateAuthority.Create("example.org");
await using var gatewayAgent = await StartAgentAsync(ca, GatewayId);
await using var ordersAgent = await StartAgentAsync(ca, Orders);
// Stands where inventory should be, but proves another ID: a misrouted or hijacked destination.
await using var impostorAgent = await StartAgentAsync(ca, "spiffe://example.org/impostor");

static void Quiet(ILoggingBuilder logging) => logging.ClearProviders();
static Dictionary<string, string?> Identity(WorkloadApiServer agent) => new()
{
    ["Spiffe:EndpointSocket"] = agent.Address,
    ["Spiffe:TrustDomain"] = "example.org",
    ["Spiffe:StartupTimeout"] = "00:00:10",
};

var gatewayId = SpiffeId.Parse(GatewayId);
await using var orders = BackendServer.Build("orders", "https://127.0.0.1:0", gatewayId, Identity(ordersAgent), Quiet);
await using var impostor = BackendServer.Build("impostor", "https://127.0.0.1:0", gatewayId, Identity(impostorAgent), Quiet);
await Task.WhenAll(orders.StartAsync(), impostor.StartAsync());

var settings = Identity(gatewayAgent);
foreach (var (key, value) in new Dictionary<string, string>
{
    // Who may call what, by caller ID (default deny once an Allow rule exists).
    ["Spiffe:Authorization:Rules:0:Name"] = "orders-from-web",
    ["Spiffe:Authorization:Rules:0:Action"] = "Allow",
    ["Spiffe:Authorization:Rules:0:Principals:0"] = Web,
    ["Spiffe:Authorization:Rules:0:Paths:0"] = "/orders/*",
    ["Spiffe:Authorization:Rules:1:Name"] = "inventory-from-the-trust-domain",
    ["Spiffe:Authorization:Rules:1:Action"] = "Allow",
    ["Spiffe:Authorization:Rules:1:Principals:0"] = "spiffe://example.org/**",
    ["Spiffe:Authorization:Rules:1:Paths:0"] = "/inventory/*",
    // Where it goes, and the ID each cluster's backends must prove.
    ["ReverseProxy:Routes:orders:ClusterId"] = "orders",
    ["ReverseProxy:Routes:orders:Match:Path"] = "/orders/{**rest}",
    ["ReverseProxy:Routes:inventory:ClusterId"] = "inventory",
    ["ReverseProxy:Routes:inventory:Match:Path"] = "/inventory/{**rest}",
    ["ReverseProxy:Clusters:orders:Metadata:SpiffeId"] = Orders,
    ["ReverseProxy:Clusters:orders:Destinations:a:Address"] = orders.Urls.Single(),
    ["ReverseProxy:Clusters:inventory:Metadata:SpiffeId"] = Inventory,
    ["ReverseProxy:Clusters:inventory:Destinations:a:Address"] = impostor.Urls.Single(),
})
{
    settings[key] = value;
}

await using var gateway = GatewayServer.Build("https://127.0.0.1:0", settings,
    logging => logging.ClearProviders().AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning).AddFilter("Yarp", LogLevel.None));
await gateway.StartAsync();
var gatewayUrl = new Uri(gateway.Urls.Single());
Console.WriteLine($"gateway {gatewayUrl} as {GatewayId}; orders {orders.Urls.Single()} as {Orders}; the inventory cluster expects {Inventory}");
Console.WriteLine();

var bundles = new X509BundleSet([ca.CreateBundle()]);
using var webSource = new InMemoryX509Source(ca.IssueSvid(Web), bundles);
using var reportsSource = new InMemoryX509Source(ca.IssueSvid(Reports), bundles);
using var web = new HttpClient(SpiffeHttpHandlerFactory.Create(webSource, Authorizer.Id(GatewayId))) { BaseAddress = gatewayUrl };
using var reports = new HttpClient(SpiffeHttpHandlerFactory.Create(reportsSource, Authorizer.Id(GatewayId))) { BaseAddress = gatewayUrl };
int failures = 0;

await StepAsync(1, "web -> gateway -> orders: allowed, both hops mTLS", async () =>
{
    using var response = await web.GetAsync(new Uri("/orders/1001", UriKind.Relative));
    var view = response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<BackendView>() : null;
    return (view?.Peer == GatewayId && view.Caller == Web,
        $"HTTP {(int)response.StatusCode}; orders verified its peer as {view?.Peer} and took the caller {view?.Caller} from the gateway");
});

await StepAsync(2, "reports -> gateway -> orders: denied by the rule set", async () =>
{
    using var response = await reports.GetAsync(new Uri("/orders/1001", UriKind.Relative));
    return ((int)response.StatusCode == 403, $"HTTP {(int)response.StatusCode} from the gateway: only {Web} may call /orders/*");
});

await StepAsync(3, "web -> gateway -> inventory: a backend with the wrong SPIFFE ID is refused", async () =>
{
    using var response = await web.GetAsync(new Uri("/inventory/42", UriKind.Relative));
    return ((int)response.StatusCode == 502, $"HTTP {(int)response.StatusCode} from the gateway: the backend proved spiffe://example.org/impostor, the cluster expects {Inventory}");
});

await StepAsync(4, "a client without an SVID cannot reach the gateway", async () =>
{
    // The attacker's client: trusts any server and presents no certificate.
    using var handler = new SocketsHttpHandler();
    handler.SslOptions.RemoteCertificateValidationCallback = static (_, certificate, _, _) => certificate is not null;
    using var anonymous = new HttpClient(handler) { BaseAddress = gatewayUrl };
    try
    {
        using var response = await anonymous.GetAsync(new Uri("/inventory/42", UriKind.Relative));
        return (false, $"the gateway answered HTTP {(int)response.StatusCode}");
    }
    catch (HttpRequestException e)
    {
        return (true, $"refused during the TLS handshake: {e.GetBaseException().Message}");
    }
});

Console.WriteLine();
Console.WriteLine(failures == 0 ? "All steps behaved as expected." : $"{failures} step(s) did not behave as expected.");
return failures == 0 ? 0 : 1;

async Task StepAsync(int number, string title, Func<Task<(bool Passed, string Detail)>> step)
{
    var (passed, detail) = await step().WaitAsync(TimeSpan.FromSeconds(15));
    failures += passed ? 0 : 1;
    Console.WriteLine($"{(passed ? "PASS" : "FAIL")} {number,2}. {title}");
    Console.WriteLine($"         {detail}");
}

static async Task<WorkloadApiServer> StartAgentAsync(TestCertificateAuthority ca, string spiffeId)
{
    var agent = new WorkloadApiServer();
    agent.AddTrustDomain(ca);
    agent.SetIdentities(spiffeId);
    await agent.StartAsync();
    return agent;
}
