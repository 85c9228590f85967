using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mtls.Http.Tests.Servers;

/// <summary>A plaintext Kestrel on 127.0.0.1 (HTTP/1.1 and h2c) that echoes the Authorization header and counts TCP connections.</summary>
public sealed class PlainHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _connections;

    private PlainHttpServer(bool http2Only)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = http2Only ? HttpProtocols.Http2 : HttpProtocols.Http1;
            listen.Use(next => connection =>
            {
                Interlocked.Increment(ref _connections);
                return next(connection);
            });
        }));
        _app = builder.Build();
        _app.MapGet("/authorization", (HttpContext context) => context.Request.Headers.Authorization.ToString());
        _app.MapGrpcService<EchoService>();
    }

    /// <summary>The base address, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>TCP connections accepted.</summary>
    public int Connections => Volatile.Read(ref _connections);

    public static async Task<PlainHttpServer> StartAsync(bool http2Only = false)
    {
        var server = new PlainHttpServer(http2Only);
        await server._app.StartAsync();
        server.BaseAddress = new Uri(server._app.Urls.Single() + "/");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
