using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Mtls.AspNetCore.Authorization;
using Mtls.AspNetCore.Kestrel;
using Mtls.AspNetCore.Tests.Infrastructure;
using Mtls.Hosting;
using Mtls.Sources;

namespace Mtls.AspNetCore.Tests.Composition;

/// <summary>
/// Every Kestrel endpoint of an app with AddSpiffeMtls speaks mTLS or was opted out by name: in each composition
/// below, a plaintext or certificate-less caller would reach the handler if coverage were assumed rather than checked.
/// </summary>
public sealed class EndpointCoverageTests : IDisposable
{
    private readonly TestPki _pki = new();
    private readonly InMemoryX509Source _source;

    public EndpointCoverageTests() => _source = new InMemoryX509Source(_pki.Ca.IssueSvid(TestPki.ServerId), _pki.Bundles());

    [Fact]
    public async Task Endpoint_defaults_replaced_after_AddSpiffeMtls_stop_startup_naming_the_endpoint()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            AddMtls(builder);
            // The common gRPC snippet: Kestrel keeps only the last endpoint-defaults delegate.
            builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(l => l.Protocols = HttpProtocols.Http1AndHttp2));
        }));

        Assert.Contains("SPIFFE mTLS does not cover the Kestrel endpoint http://127.0.0.1:", error.Message, StringComparison.Ordinal);
        Assert.Contains("UseSpiffeMtls()", error.Message, StringComparison.Ordinal);
        Assert.Contains("ExemptPort(", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listen_before_AddSpiffeMtls_stops_startup()
    {
        int port = CompositionHost.FreePort();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(builder =>
        {
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
            AddMtls(builder);
        }));

        Assert.Contains($"http://127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_way_tls_from_https_defaults_stops_startup()
    {
        using var certificate = SelfSigned();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(builder =>
        {
            builder.WebHost.UseKestrelHttpsConfiguration();
            builder.WebHost.UseUrls("https://127.0.0.1:0");
            AddMtls(builder);
            builder.WebHost.ConfigureKestrel(k =>
            {
                k.ConfigureEndpointDefaults(l => l.Protocols = HttpProtocols.Http1AndHttp2);
                k.ConfigureHttpsDefaults(h => h.ServerCertificate = certificate);
            });
        }));

        Assert.Contains("SPIFFE mTLS does not cover the Kestrel endpoint https://127.0.0.1:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Second_endpoint_without_UseSpiffeMtls_stops_startup_when_AllEndpoints_is_off()
    {
        int covered = CompositionHost.FreePort();
        int other = CompositionHost.FreePort();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(builder =>
        {
            AddMtls(builder, o => o.AllEndpoints = false);
            builder.WebHost.ConfigureKestrel(k =>
            {
                k.Listen(IPAddress.Loopback, covered, l => l.UseSpiffeMtls());
                k.Listen(IPAddress.Loopback, other);
            });
        }));

        Assert.Contains($"http://127.0.0.1:{other}", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain($":{covered}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http_url_speaks_mtls_and_plaintext_never_reaches_a_handler()
    {
        await using var host = await StartAsync(builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            AddMtls(builder);
        });
        var plain = new Uri($"http://127.0.0.1:{host.Address.Port}/open");
        using var http = new HttpClient();

        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(plain));
        using var client = Client(host.Address, TestPki.ClientId);
        Assert.Equal(HttpStatusCode.OK, (await client.Http.GetAsync($"https://127.0.0.1:{host.Address.Port}/open")).StatusCode);
        Assert.Equal(1, host.Invocations);
    }

    [Fact]
    public async Task ConfigureKestrel_before_AddSpiffeMtls_with_urls_still_speaks_mtls()
    {
        await using var host = await StartAsync(builder =>
        {
            builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestHeaderCount = 50);
            builder.WebHost.UseUrls("https://127.0.0.1:0");
            AddMtls(builder);
        });
        using var anonymous = Client(host.Address, id: null);

        await Assert.ThrowsAsync<HttpRequestException>(() => anonymous.Http.GetAsync("/open"));
        Assert.Equal(0, host.Invocations);
    }

    [Fact]
    public async Task Own_endpoint_defaults_that_call_UseSpiffeMtls_keep_mtls_over_http2()
    {
        await using var host = await StartAsync(builder =>
        {
            builder.WebHost.UseUrls("https://127.0.0.1:0");
            AddMtls(builder);
            builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(l =>
            {
                l.Protocols = HttpProtocols.Http2;
                l.UseSpiffeMtls();
            }));
        });
        using var anonymous = Client(host.Address, id: null);
        using var client = Client(host.Address, TestPki.ClientId);
        client.Http.DefaultRequestVersion = HttpVersion.Version20;
        client.Http.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;

        await Assert.ThrowsAsync<HttpRequestException>(() => anonymous.Http.GetAsync("/open"));
        var response = await client.Http.GetAsync("/open");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal(1, host.Invocations);
    }

    [Fact]
    public async Task ListenLocalhost_after_AddSpiffeMtls_speaks_mtls_on_both_loopbacks()
    {
        int port = CompositionHost.FreePort();
        await using var host = await StartAsync(builder =>
        {
            AddMtls(builder);
            builder.WebHost.ConfigureKestrel(k => k.ListenLocalhost(port));
        });
        using var http = new HttpClient();

        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri($"http://127.0.0.1:{port}/open")));
        using var client = Client(new Uri($"https://127.0.0.1:{port}"), TestPki.ClientId);
        Assert.Equal(HttpStatusCode.OK, (await client.Http.GetAsync("/open")).StatusCode);
        Assert.Equal(1, host.Invocations);
    }

    [Fact]
    public async Task Exempt_port_serves_only_its_paths_in_plaintext_and_requirements_see_no_peer()
    {
        int probes = CompositionHost.FreePort();
        await using var host = await StartAsync(builder =>
        {
            builder.WebHost.UseUrls("https://127.0.0.1:0", $"http://127.0.0.1:{probes}");
            AddMtls(builder, o => o.ExemptPort(probes, "kubelet-probes", "/healthz"));
        });
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{probes}") };

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/open")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/client-only")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/healthz/../open")).StatusCode);
        Assert.Equal(0, host.Invocations);
        Assert.Contains(host.Logs.WithEvent("SpiffeEndpointCovered"), e => e["Coverage"] == "exempt (kubelet-probes)");
    }

    [Fact]
    public async Task Exempt_port_without_paths_still_refuses_spiffe_requirements()
    {
        int plain = CompositionHost.FreePort();
        await using var host = await StartAsync(builder =>
        {
            builder.WebHost.UseUrls("https://127.0.0.1:0", $"http://127.0.0.1:{plain}");
            AddMtls(builder, o => o.ExemptPort(plain, "legacy-callers"));
        });
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{plain}") };

        var response = await http.GetAsync("/client-only");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, host.Invocations);
    }

    [Fact]
    public async Task Request_without_a_covered_connection_is_refused()
    {
        await using var host = await StartAsync(builder =>
        {
            builder.WebHost.UseUrls("https://127.0.0.1:0");
            AddMtls(builder);
        });
        var middleware = ActivatorUtilities.CreateInstance<SpiffeConnectionMiddleware>(host.Services, (RequestDelegate)(_ =>
        {
            host.Counter.Count();
            return Task.CompletedTask;
        }));
        var context = new DefaultHttpContext();

        await middleware.InvokeAsync(context);

        Assert.Equal(StatusCodes.Status403Forbidden, context.Response.StatusCode);
        Assert.Equal(0, host.Invocations);
    }

    public void Dispose()
    {
        _source.Dispose();
        _pki.Dispose();
    }

    private void AddMtls(WebApplicationBuilder builder, Action<SpiffeMtlsOptions>? configure = null)
    {
        builder.Services.AddSpiffeX509Source(_source);
        builder.Services.AddSpiffeMtls(configure);
    }

    private TestClient Client(Uri address, string? id) =>
        new(address, id is null ? null : TestPki.ToClientCertificate(_pki.Ca.Issue(id)), _pki.Bundles());

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    private static Task<CompositionHost> StartAsync(Action<WebApplicationBuilder> compose) =>
        CompositionHost.StartAsync(compose, static (app, invocations) =>
        {
            app.MapGet("/open", () =>
            {
                invocations.Count();
                return "open";
            });
            app.MapGet("/healthz", () => "ok");
            app.MapGet("/client-only", () =>
            {
                invocations.Count();
                return "client";
            }).RequireSpiffeId(TestPki.ClientId);
        });
}
