using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mtls.Bundles;
using Mtls.X509;

namespace Mtls.Http.Tests.Servers;

/// <summary>
/// A plain Kestrel mTLS server on 127.0.0.1 (not the Mtls.AspNetCore integration): raw <c>UseHttps</c> with a
/// client-certificate callback that verifies the client's SVID with the intermediates it sent and records its
/// serial. Counts TCP connections (before TLS) and requests.
/// </summary>
public sealed class KestrelTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(string Serial, bool Verified)> _handshakes = new();
    private int _connections;
    private int _requests;
    private int _failuresLeft;

    private KestrelTestServer(X509Svid serverSvid, X509BundleSet clientTrust, bool closeConnections, int failFirstRequests)
    {
        _failuresLeft = failFirstRequests;
        var verifier = new X509SvidVerifier(clientTrust);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(this);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http1AndHttp2;
            listen.Use(next => connection =>
            {
                Interlocked.Increment(ref _connections);
                return next(connection);
            });
            listen.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificate = serverSvid.Certificate,
                ServerCertificateChain = [.. serverSvid.Intermediates],
                ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                ClientCertificateValidation = (certificate, chain, errors) =>
                {
                    // SslStream's own verdict (errors) is ignored on purpose: the SVID verifier decides.
                    bool verified = verifier.TryVerify(certificate, chain?.ChainPolicy.ExtraStore, out _, out _);
                    _handshakes.Enqueue((certificate.SerialNumber, verified));
                    return verified;
                },
            });
        }));

        _app = builder.Build();
        _app.Use((context, next) =>
        {
            Interlocked.Increment(ref _requests);
            if (closeConnections)
            {
                context.Response.Headers.Connection = "close";
            }

            return next(context);
        });
        _app.MapGet("/serial", (HttpContext context) => context.Connection.ClientCertificate?.SerialNumber ?? "none");
        _app.MapGet("/flaky", (HttpContext context) => Interlocked.Decrement(ref _failuresLeft) >= 0
            ? Results.StatusCode(StatusCodes.Status503ServiceUnavailable)
            : Results.Text(context.Connection.ClientCertificate?.SerialNumber ?? "none"));
        _app.MapGet("/authorization", (HttpContext context) => context.Request.Headers.Authorization.ToString());
        _app.MapGrpcService<EchoService>();
    }

    /// <summary>The server's base address, e.g. <c>https://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>TCP connections accepted (counted before the TLS handshake).</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>HTTP requests (HTTP/1.1 or HTTP/2, gRPC included) that reached the application.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Every client certificate seen in a handshake: its serial and whether its SVID verified.</summary>
    public IReadOnlyCollection<(string Serial, bool Verified)> Handshakes => _handshakes;

    /// <summary>Starts a server presenting <paramref name="serverSvid"/> and trusting clients from <paramref name="clientTrust"/>.</summary>
    /// <param name="serverSvid">The server's identity.</param>
    /// <param name="clientTrust">Bundles client SVIDs are verified against.</param>
    /// <param name="closeConnections">Answer with <c>Connection: close</c>, so every request needs a new connection.</param>
    /// <param name="failFirstRequests">How many <c>/flaky</c> requests answer 503 before it succeeds.</param>
    public static async Task<KestrelTestServer> StartAsync(X509Svid serverSvid, X509BundleSet clientTrust, bool closeConnections = false, int failFirstRequests = 0)
    {
        var server = new KestrelTestServer(serverSvid, clientTrust, closeConnections, failFirstRequests);
        await server._app.StartAsync();
        server.BaseAddress = new Uri(server._app.Urls.Single().Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
