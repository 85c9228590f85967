using Gateway;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Mtls.AspNetCore.Tests.Infrastructure;
using Mtls.Authorization;
using Mtls.Bundles;
using Mtls.Http;
using Mtls.Identity;
using Mtls.Sources;
using Mtls.Testing.Certificates;
using Mtls.Testing.WorkloadApi;

namespace Mtls.Samples.Tests.Gateway;

/// <summary>
/// The sample's servers on real Kestrel (127.0.0.1, port 0), each with its SVID from its own test Workload API: the
/// gateway, orders (proves the orders ID) and an impostor standing where the inventory cluster points (proves another
/// ID). Requests reaching each backend's pipeline are counted; the gateway's logs are captured.
/// </summary>
public sealed class GatewayMesh : IAsyncLifetime
{
    public const string GatewayId = "spiffe://example.org/gateway";
    public const string Web = "spiffe://example.org/web";
    public const string Reports = "spiffe://example.org/reports";
    public const string Orders = "spiffe://example.org/orders";
    public const string Inventory = "spiffe://example.org/inventory";
    public const string Impostor = "spiffe://example.org/impostor";

    private readonly List<IAsyncDisposable> _owned = [];
    private readonly List<IDisposable> _sources = [];
    private int _ordersRequests;
    private int _impostorRequests;

    public TestCertificateAuthority Ca { get; } = TestCertificateAuthority.Create("example.org");

    public TestLoggerProvider GatewayLogs { get; } = new();

    public WorkloadApiServer GatewayAgent { get; private set; } = null!;

    public Uri GatewayUrl { get; private set; } = null!;

    public Uri OrdersUrl { get; private set; } = null!;

    public Uri ImpostorUrl { get; private set; } = null!;

    /// <summary>Requests that reached orders' pipeline (past the TLS handshake, the connection check and its authorization).</summary>
    public int OrdersRequests => Volatile.Read(ref _ordersRequests);

    /// <summary>Requests that reached the impostor's pipeline.</summary>
    public int ImpostorRequests => Volatile.Read(ref _impostorRequests);

    public async Task InitializeAsync()
    {
        GatewayAgent = await StartAgentAsync(GatewayId);
        var orders = BackendServer.Build("orders", "https://127.0.0.1:0", SpiffeId.Parse(GatewayId), Identity(await StartAgentAsync(Orders)), Quiet);
        var impostor = BackendServer.Build("impostor", "https://127.0.0.1:0", SpiffeId.Parse(GatewayId), Identity(await StartAgentAsync(Impostor)), Quiet);
        orders.Use((context, next) => { Interlocked.Increment(ref _ordersRequests); return next(context); });
        impostor.Use((context, next) => { Interlocked.Increment(ref _impostorRequests); return next(context); });
        OrdersUrl = await StartAsync(orders);
        ImpostorUrl = await StartAsync(impostor);
        GatewayUrl = await StartAsync(GatewayServer.Build(
            "https://127.0.0.1:0",
            GatewaySettings(GatewayAgent, OrdersUrl, ImpostorUrl),
            logging => logging.ClearProviders().AddProvider(GatewayLogs).SetMinimumLevel(LogLevel.Information)));
    }

    /// <summary>
    /// The gateway's configuration: /orders/* only from web (and never /orders/admin/*), /inventory/* from the
    /// trust domain; orders' cluster expects the orders ID, inventory's the inventory ID.
    /// </summary>
    public static Dictionary<string, string?> GatewaySettings(WorkloadApiServer agent, Uri orders, Uri inventory)
    {
        var settings = Identity(agent);
        settings["Spiffe:Authorization:Rules:0:Name"] = "no-admin";
        settings["Spiffe:Authorization:Rules:0:Action"] = "Deny";
        settings["Spiffe:Authorization:Rules:0:Principals:0"] = "*";
        settings["Spiffe:Authorization:Rules:0:Paths:0"] = "/orders/admin/*";
        settings["Spiffe:Authorization:Rules:1:Name"] = "orders-from-web";
        settings["Spiffe:Authorization:Rules:1:Action"] = "Allow";
        settings["Spiffe:Authorization:Rules:1:Principals:0"] = Web;
        settings["Spiffe:Authorization:Rules:1:Paths:0"] = "/orders/*";
        settings["Spiffe:Authorization:Rules:2:Name"] = "inventory-from-the-trust-domain";
        settings["Spiffe:Authorization:Rules:2:Action"] = "Allow";
        settings["Spiffe:Authorization:Rules:2:Principals:0"] = "spiffe://example.org/**";
        settings["Spiffe:Authorization:Rules:2:Paths:0"] = "/inventory/*";
        settings["ReverseProxy:Routes:orders:ClusterId"] = "orders";
        settings["ReverseProxy:Routes:orders:Match:Path"] = "/orders/{**rest}";
        settings["ReverseProxy:Routes:inventory:ClusterId"] = "inventory";
        settings["ReverseProxy:Routes:inventory:Match:Path"] = "/inventory/{**rest}";
        settings["ReverseProxy:Clusters:orders:Metadata:SpiffeId"] = Orders;
        settings["ReverseProxy:Clusters:orders:Destinations:a:Address"] = orders.ToString();
        settings["ReverseProxy:Clusters:inventory:Metadata:SpiffeId"] = Inventory;
        settings["ReverseProxy:Clusters:inventory:Destinations:a:Address"] = inventory.ToString();
        return settings;
    }

    /// <summary>A client holding an SVID for <paramref name="id"/> that accepts only the gateway.</summary>
    public HttpClient ClientAs(string id)
    {
        var source = new InMemoryX509Source(Ca.IssueSvid(id), new X509BundleSet([Ca.CreateBundle()]));
        _sources.Add(source);
        return new HttpClient(SpiffeHttpHandlerFactory.Create(source, Authorizer.Id(GatewayId))) { BaseAddress = GatewayUrl, Timeout = TimeSpan.FromSeconds(15) };
    }

    public async Task<WorkloadApiServer> StartAgentAsync(string id)
    {
        var agent = new WorkloadApiServer();
        _owned.Add(agent);
        agent.AddTrustDomain(Ca);
        agent.SetIdentities(id);
        await agent.StartAsync();
        return agent;
    }

    public async Task DisposeAsync()
    {
        // Servers first (added last), then their agents.
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        _sources.ForEach(s => s.Dispose());
        Ca.Dispose();
        GatewayLogs.Dispose();
    }

    private static Dictionary<string, string?> Identity(WorkloadApiServer agent) => new()
    {
        ["Spiffe:EndpointSocket"] = agent.Address,
        ["Spiffe:TrustDomain"] = "example.org",
        ["Spiffe:StartupTimeout"] = "00:00:10",
    };

    private static void Quiet(ILoggingBuilder logging) => logging.ClearProviders();

    private async Task<Uri> StartAsync(WebApplication app)
    {
        _owned.Add(app);
        await app.StartAsync();
        return new Uri(app.Urls.Single());
    }
}
