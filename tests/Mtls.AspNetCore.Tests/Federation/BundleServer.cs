using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using System.Net.Security;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;
using Mtls.Bundles;

namespace Mtls.AspNetCore.Tests.Federation;

/// <summary>
/// A bundle endpoint the test controls, on real Kestrel (127.0.0.1, port 0, HTTPS with the given certificate and no
/// client certificate): it serves a good bundle, or whatever hostile answer the test sets.
/// </summary>
public sealed class BundleServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private Func<HttpContext, Task> _respond = context =>
    {
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        return Task.CompletedTask;
    };

    private BundleServer(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    /// <summary>How many requests reached the endpoint.</summary>
    public int Requests => Volatile.Read(ref _requests);

    private int _requests;

    private SslStreamCertificateContext _certificate = null!;

    /// <summary>Starts the endpoint serving <paramref name="certificate"/> (with <paramref name="chain"/>, if any).</summary>
    public static async Task<BundleServer> StartAsync(X509Certificate2 certificate, X509Certificate2Collection? chain = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        BundleServer? created = null;
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(new TlsHandshakeCallbackOptions
        {
            OnConnection = _ => ValueTask.FromResult(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = Volatile.Read(ref created!._certificate),
                ClientCertificateRequired = false,
            }),
        })));
        var app = builder.Build();
        var server = new BundleServer(app);
        created = server;
        server.UseCertificate(certificate, chain);
        app.Run(context =>
        {
            Interlocked.Increment(ref server._requests);
            return Volatile.Read(ref server._respond)(context);
        });
        await app.StartAsync();
        server.Url = new Uri($"{app.Urls.Single()}/bundle");
        return server;
    }

    /// <summary>Serves <paramref name="certificate"/> from the next handshake on.</summary>
    public void UseCertificate(X509Certificate2 certificate, X509Certificate2Collection? chain = null) =>
        Volatile.Write(ref _certificate, SslStreamCertificateContext.Create(certificate, chain, offline: true));

    /// <summary>Sets what the endpoint answers from now on.</summary>
    public void Respond(Func<HttpContext, Task> respond) => Volatile.Write(ref _respond, respond);

    /// <summary>Serves <paramref name="json"/> as the bundle document.</summary>
    public void Serve(string json) => Respond(context =>
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(json, Encoding.UTF8);
    });

    public void Serve(SpiffeBundle bundle) => Serve(bundle.ToJson());

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
