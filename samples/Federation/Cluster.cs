using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mtls.AspNetCore;
using Mtls.AspNetCore.Authorization;
using Mtls.AspNetCore.Federation;
using Mtls.AspNetCore.Health;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Mtls.Authorization;
using Mtls.Bundles;
using Mtls.Hosting;
using Mtls.Http;
using Mtls.Sources;
using Mtls.Testing.Certificates;

namespace Federation;

/// <summary>
/// One "cluster": a service of one trust domain, written as an application would be: <c>AddSpiffeMtls()</c>,
/// <c>Spiffe:Federation</c> in configuration, <c>MapSpiffeBundleEndpoint</c> on its mTLS port (https_spiffe) and on a
/// Web PKI port (https_web). Its identity is an in-memory source fed by a demo CA, standing in for SPIRE or cert-manager.
/// </summary>
internal sealed class Cluster : IAsyncDisposable
{
    private readonly WebApplication _app;

    private Cluster(WebApplication app, InMemoryX509Source identity, Uri address, Uri webBundleUrl)
    {
        _app = app;
        Identity = identity;
        Address = address;
        WebBundleUrl = webBundleUrl;
    }

    /// <summary>The identity the demo rotates (stands in for the agent of this cluster).</summary>
    public InMemoryX509Source Identity { get; }

    public Uri Address { get; }

    public Uri SpiffeBundleUrl => new(Address, "/bundle");

    public Uri WebBundleUrl { get; }

    /// <summary>Our identity plus the federated bundles: what Kestrel and HttpClient use.</summary>
    public IX509Source Source => _app.Services.GetRequiredService<IX509Source>();

    /// <summary>A port free on 127.0.0.1 now, for the Web PKI bundle port (exempt ports are named by number).</summary>
    public static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    public static async Task<Cluster> StartAsync(TestCertificateAuthority ca, string id, X509Certificate2 webCertificate, int webPort, Dictionary<string, string?> configuration, string callerTrustDomain)
    {
        var identity = new InMemoryX509Source(ca.IssueSvid(id), new X509BundleSet([ca.CreateBundle()]));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Services.AddSpiffeX509Source(identity);
        builder.Services.AddSpiffeMtls(o => o.ExemptPort(webPort, "bundle-endpoint", "/bundle"));
        builder.Services.AddHealthChecks().AddSpiffeFederationHealthChecks();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.Listen(IPAddress.Loopback, webPort, listen => listen.UseHttps(webCertificate));
        });
        var app = builder.Build();
        app.MapSpiffeBundleEndpoint("/bundle", TimeSpan.FromSeconds(1));
        app.MapGet("/hello", (HttpContext context) => $"{id} answers {context.GetPeerSpiffeId()}").RequireTrustDomain(callerTrustDomain);
        await app.StartAsync();
        int port = app.Urls.Select(u => new Uri(u).Port).Single(p => p != webPort);
        return new Cluster(app, identity, new Uri($"https://127.0.0.1:{port}"), new Uri($"https://127.0.0.1:{webPort}/bundle"));
    }

    /// <summary>Calls <paramref name="url"/> on a new mTLS connection, accepting only the server <paramref name="server"/>.</summary>
    public async Task<string> CallAsync(Uri url, string server, CancellationToken cancellationToken)
    {
        using var http = new HttpClient(SpiffeHttpHandlerFactory.Create(Source, Authorizer.Id(server)));
        return await http.GetStringAsync(url, cancellationToken);
    }

    /// <summary>Waits until the bundle this cluster trusts for <paramref name="trustDomain"/> satisfies <paramref name="condition"/>.</summary>
    public async Task WaitForBundleAsync(Mtls.Identity.TrustDomain trustDomain, Func<X509Bundle, bool> condition, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check()
        {
            if (Source.GetX509Bundle(trustDomain) is { } bundle && condition(bundle))
            {
                done.TrySetResult();
            }
        }

        using (Microsoft.Extensions.Primitives.ChangeToken.OnChange(Source.GetChangeToken, Check))
        {
            Check();
            await done.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Waits until the federation health check is Healthy (every federated bundle confirmed by a fetch), polling it as
    /// a probe would; bounded by <paramref name="cancellationToken"/>. Returns its description and data.
    /// </summary>
    public async Task<string> WaitForFederationHealthyAsync(CancellationToken cancellationToken)
    {
        var health = _app.Services.GetRequiredService<HealthCheckService>();
        while (true)
        {
            var entry = (await health.CheckHealthAsync(cancellationToken)).Entries["spiffe-federation"];
            if (entry.Status == HealthStatus.Healthy)
            {
                return $"{entry.Description}; {string.Join(", ", entry.Data.Select(d => $"{d.Key}={d.Value}"))}";
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Identity.Dispose();
    }
}
