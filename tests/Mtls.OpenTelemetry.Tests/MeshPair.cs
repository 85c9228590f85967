using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mtls.AspNetCore;
using Mtls.Authorization;
using Mtls.Bundles;
using Mtls.Hosting;
using Mtls.Http;
using Mtls.Sources;
using Mtls.Testing.Certificates;
using Mtls.X509;
using OpenTelemetry.Metrics;

namespace Mtls.OpenTelemetry.Tests;

/// <summary>
/// A real pair of services on 127.0.0.1: an "orders" server (Kestrel, AddSpiffeMtls, a DENY rule for the batch
/// workload) and clients of it (IHttpClientFactory, AddSpiffeMtls), plus example.org's CA and an untrusted CA whose
/// certificates claim example.org IDs. Optionally the server serves Prometheus metrics on an exempt plaintext port.
/// </summary>
public sealed class MeshPair : IAsyncDisposable
{
    public const string OrdersId = "spiffe://example.org/ns/shop/sa/orders";
    public const string WebId = "spiffe://example.org/ns/shop/sa/web";
    public const string BatchId = "spiffe://example.org/ns/jobs/sa/batch";
    public const string ForgedId = "spiffe://example.org/ns/shop/sa/admin";

    private readonly List<IDisposable> _owned = [];
    private readonly List<ServiceProvider> _clients = [];
    private WebApplication _app = null!;

    private MeshPair()
    {
        Ca = TestCertificateAuthority.Create("example.org");
        Attacker = TestCertificateAuthority.Create("example.org");
        Bundles = new X509BundleSet([Ca.CreateBundle()]);
    }

    public TestCertificateAuthority Ca { get; }

    /// <summary>A CA nobody trusts that issues certificates claiming example.org IDs.</summary>
    public TestCertificateAuthority Attacker { get; }

    public X509BundleSet Bundles { get; }

    public Uri ServerAddress { get; private set; } = null!;

    /// <summary>The plaintext, mTLS-exempt scrape address (http://127.0.0.1:port/metrics) when Prometheus export is on.</summary>
    public Uri? MetricsAddress { get; private set; }

    public static async Task<MeshPair> StartAsync(bool prometheus = false, IReadOnlyDictionary<string, string?>? serverConfiguration = null)
    {
        var pair = new MeshPair();
        await pair.StartServerAsync(prometheus, serverConfiguration ?? new Dictionary<string, string?>());
        return pair;
    }

    /// <summary>A client presenting an SVID for <paramref name="id"/> from example.org's CA (or the untrusted one).</summary>
    public HttpClient Client(string id, bool forged = false, IReadOnlyDictionary<string, string?>? configuration = null)
    {
        var svid = Own(forged ? Attacker.IssueSvid(id) : Ca.IssueSvid(id));
        var source = Own(new InMemoryX509Source(svid, Bundles));
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(configuration ?? new Dictionary<string, string?>()).Build());
        services.AddHttpClient("orders", c => c.BaseAddress = ServerAddress)
            .AddSpiffeMtls(_ => source, Authorizer.Id(OrdersId));
        var provider = services.BuildServiceProvider();
        _clients.Add(provider);
        return provider.GetRequiredService<IHttpClientFactory>().CreateClient("orders");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        Ca.Dispose();
        Attacker.Dispose();
    }

    private async Task StartServerAsync(bool prometheus, IReadOnlyDictionary<string, string?> configuration)
    {
        var builder = WebApplication.CreateSlimBuilder();
        int metricsPort = prometheus ? FreePort() : 0;
        builder.WebHost.UseUrls(prometheus ? ["https://127.0.0.1:0", $"http://127.0.0.1:{metricsPort}"] : ["https://127.0.0.1:0"]);
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Spiffe:Authorization:Rules:0:Name"] = "no-batch",
            ["Spiffe:Authorization:Rules:0:Action"] = "Deny",
            ["Spiffe:Authorization:Rules:0:Principals:0"] = BatchId,
        });
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Services.AddSpiffeX509Source(Own(new InMemoryX509Source(Own(Ca.IssueSvid(OrdersId)), Bundles)));
        builder.Services.AddSpiffeMtls(o =>
        {
            if (prometheus)
            {
                o.ExemptPort(metricsPort, "metrics", "/metrics");
            }
        });
        if (prometheus)
        {
            builder.Services.AddOpenTelemetry().WithMetrics(m => m.AddMtlsInstrumentation().AddPrometheusExporter());
        }

        _app = builder.Build();
        _app.MapGet("/orders", () => "orders");
        if (prometheus)
        {
            // Only on the exempt port: scrapers speak plain http, and the mTLS port does not serve metrics.
            _app.MapPrometheusScrapingEndpoint().RequireHost($"*:{metricsPort}");
        }

        await _app.StartAsync();
        ServerAddress = new Uri(_app.Urls.Single(u => u.StartsWith("https:", StringComparison.Ordinal)));
        if (prometheus)
        {
            MetricsAddress = new Uri($"http://127.0.0.1:{metricsPort}/metrics");
        }
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }
}
