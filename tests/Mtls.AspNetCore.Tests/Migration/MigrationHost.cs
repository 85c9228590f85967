using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Mtls.AspNetCore.Authorization;
using Mtls.AspNetCore.Inventory;
using Mtls.AspNetCore.Tests.Composition;
using Mtls.AspNetCore.Tests.Infrastructure;
using Mtls.Hosting;
using Mtls.Sources;

namespace Mtls.AspNetCore.Tests.Migration;

/// <summary>
/// A service being migrated: one Kestrel endpoint on a fixed loopback port (permissive or strict), a few routes, the
/// caller inventory behind the <c>operators</c> policy; and callers with an SVID, or plaintext.
/// </summary>
public sealed class MigrationHost : IAsyncDisposable
{
    public const string OperatorId = "spiffe://example.org/operator";
    public const string InventoryPath = "/_mtls/inventory";

    private readonly CompositionHost _host;
    private readonly TestPki _pki;

    private MigrationHost(CompositionHost host, TestPki pki, int port)
    {
        _host = host;
        _pki = pki;
        Port = port;
    }

    public int Port { get; }

    public CompositionHost Host => _host;

    public TestLoggerProvider Logs => _host.Logs;

    public int Invocations => _host.Invocations;

    public static async Task<MigrationHost> StartAsync(
        TestPki pki,
        IX509Source source,
        bool permissive,
        IReadOnlyDictionary<string, string?>? configuration = null,
        Action<SpiffeMtlsOptions>? configure = null,
        Stream? jsonConfiguration = null)
    {
        int port = CompositionHost.FreePort();
        var host = await CompositionHost.StartAsync(
            builder =>
            {
                builder.WebHost.UseUrls($"https://127.0.0.1:{port}");
                builder.Configuration.AddInMemoryCollection(configuration ?? new Dictionary<string, string?>());
                if (jsonConfiguration is not null)
                {
                    builder.Configuration.AddJsonStream(jsonConfiguration);
                }

                builder.Services.AddSpiffeX509Source(source);
                builder.Services.AddSpiffeMtls(o =>
                {
                    if (permissive)
                    {
                        o.PermissivePorts.Add(port);
                    }

                    configure?.Invoke(o);
                });
                builder.Services.AddAuthorizationBuilder().AddPolicy("operators", p => p.RequireSpiffeId(OperatorId));
            },
            static (app, invocations) =>
            {
                app.MapGet("/api/hello", (HttpContext context) =>
                {
                    invocations.Count();
                    return context.GetPeerSpiffeId()?.ToString() ?? "(none)";
                });
                app.MapGet("/api/secret", () =>
                {
                    invocations.Count();
                    return "secret";
                });
                app.MapPost("/api/orders", () =>
                {
                    invocations.Count();
                    return "created";
                });
                app.MapGet("/api/orders/{id}", (string id) =>
                {
                    invocations.Count();
                    return id;
                });
                app.MapGet("/api/counted", () =>
                {
                    invocations.Count();
                    return "counted";
                });
                app.MapGet("/api/client-only", () =>
                {
                    invocations.Count();
                    return "client";
                }).RequireSpiffeId(TestPki.ClientId);
                app.MapSpiffeCallerInventory(InventoryPath, "operators");
            });
        return new MigrationHost(host, pki, port);
    }

    /// <summary>A caller presenting an SVID with <paramref name="id"/>, issued by <paramref name="ca"/> (ours by default).</summary>
    public TestClient MtlsClient(string id, Mtls.Testing.Certificates.TestCertificateAuthority? ca = null) =>
        new(new Uri($"https://127.0.0.1:{Port}"), TestPki.ToClientCertificate((ca ?? _pki.Ca).Issue(id)), _pki.Bundles());

    /// <summary>A caller that speaks HTTP/1.1 without TLS to the same port.</summary>
    public HttpClient PlaintextClient() => new() { BaseAddress = new Uri($"http://127.0.0.1:{Port}") };

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    /// <summary>Sends <paramref name="method"/> <paramref name="path"/> and returns the status.</summary>
    public static async Task<HttpStatusCode> SendAsync(HttpClient client, HttpMethod method, string path)
    {
        using var request = new HttpRequestMessage(method, path);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
