using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Mtls.AspNetCore.Authorization;
using Mtls.AspNetCore.Federation;
using Mtls.AspNetCore.Health;
using Mtls.AspNetCore.Tests.Composition;
using Mtls.AspNetCore.Tests.Infrastructure;
using Mtls.Authorization;
using Mtls.Bundles;
using Mtls.Federation;
using Mtls.Hosting;
using Mtls.Http;
using Mtls.Sources;
using Mtls.Testing.Certificates;

namespace Mtls.AspNetCore.Tests.Federation;

/// <summary>
/// A service of one trust domain as users write it: <c>AddSpiffeMtls()</c>, <c>Spiffe:Federation</c> from configuration,
/// <c>MapSpiffeBundleEndpoint</c>, on real Kestrel: an mTLS port (port 0) and a Web PKI port for the https_web bundle
/// endpoint (opted out of mTLS by name). Its identity is an in-memory source the test rotates; its clock is fake.
/// </summary>
public sealed class FederatedService : IAsyncDisposable
{
    private readonly CompositionHost _host;

    private FederatedService(CompositionHost host, InMemoryX509Source identity, FakeTimeProvider time, int bundlePort)
    {
        _host = host;
        Identity = identity;
        Time = time;
        Address = new Uri($"https://127.0.0.1:{host.Addresses.Select(u => u.Port).Single(p => p != bundlePort)}");
        WebBundleUrl = new Uri($"https://127.0.0.1:{bundlePort}/bundle");
    }

    /// <summary>The identity the test rotates (SVID and own bundle).</summary>
    public InMemoryX509Source Identity { get; }

    public FakeTimeProvider Time { get; }

    public TestLoggerProvider Logs => _host.Logs;

    public IServiceProvider Services => _host.Services;

    /// <summary>The source servers and clients use (our identity with the federated bundles).</summary>
    public IX509Source Source => Services.GetRequiredService<IX509Source>();

    public FederatedBundleSource? Federation => Services.GetRequiredService<SpiffeFederationHost>().Bundles;

    /// <summary>The mTLS address.</summary>
    public Uri Address { get; }

    /// <summary>The https_spiffe bundle endpoint (on the mTLS port).</summary>
    public Uri SpiffeBundleUrl => new(Address, "/bundle");

    /// <summary>The https_web bundle endpoint (on the Web PKI port).</summary>
    public Uri WebBundleUrl { get; }

    /// <summary>Starts a service presenting an SVID for <paramref name="id"/> from <paramref name="ca"/>, trusting <paramref name="bundles"/> (default: its own CA's).</summary>
    public static async Task<FederatedService> StartAsync(
        TestCertificateAuthority ca,
        string id,
        TestWebPki web,
        IReadOnlyDictionary<string, string?> configuration,
        int? webPort = null,
        X509BundleSet? bundles = null,
        Action<WebApplication>? map = null,
        Action<IServiceCollection>? services = null)
    {
        int bundlePort = webPort ?? CompositionHost.FreePort();
        var identity = new InMemoryX509Source(ca.IssueSvid(id), bundles ?? new X509BundleSet([ca.CreateBundle()]));
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        CompositionHost host;
        try
        {
            host = await CompositionHost.StartAsync(
                builder =>
                {
                    builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(configuration) { ["Spiffe:TrustDomain"] = ca.TrustDomain.Name });
                    builder.Services.AddSingleton<TimeProvider>(time);
                    builder.Services.AddSpiffeX509Source(identity);
                    builder.Services.AddSpiffeMtls(o => o.ExemptPort(bundlePort, "bundle-endpoint", "/bundle"));
                    builder.Services.AddHealthChecks().AddSpiffeFederationHealthChecks();
                    services?.Invoke(builder.Services);
                    builder.WebHost.ConfigureKestrel(k =>
                    {
                        k.Listen(IPAddress.Loopback, 0);
                        k.Listen(IPAddress.Loopback, bundlePort, listen => listen.UseHttps(web.ServerCertificate));
                    });
                },
                (app, _) =>
                {
                    app.MapSpiffeBundleEndpoint("/bundle", TimeSpan.FromSeconds(30));
                    app.MapGet("/api/hello", (HttpContext context) => context.GetPeerSpiffeId()?.ToString() ?? "(none)");
                    map?.Invoke(app);
                });
        }
        catch
        {
            identity.Dispose();
            throw;
        }

        return new FederatedService(host, identity, time, bundlePort);
    }

    /// <summary>Calls <paramref name="address"/> over mTLS with this service's source, on a new connection, authorizing the server with <paramref name="server"/>.</summary>
    public async Task<string> CallAsync(Uri address, Authorizer server)
    {
        using var http = new HttpClient(SpiffeHttpHandlerFactory.Create(Source, server)) { BaseAddress = address };
        using var response = await http.GetAsync(address);
        string body = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode ? body : $"{(int)response.StatusCode}";
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        Identity.Dispose();
    }
}
