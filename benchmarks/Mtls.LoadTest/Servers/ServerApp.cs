using System.Net.Security;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Mtls.LoadTest.Servers;

/// <summary>
/// The app every scenario serves: one endpoint answering "ok". Runs in a child process so its CPU time and memory
/// are measured apart from the load generator. Each kind listens on two loopback ports: HTTP/1.1 and HTTP/2.
/// </summary>
internal static class ServerApp
{
    internal static async Task RunAsync(string kind, int http1Port, int http2Port, string certificateDirectory)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxConcurrentConnections = null;
            kestrel.Limits.Http2.MaxStreamsPerConnection = 1000;
            Listen(kestrel, kind, http1Port, HttpProtocols.Http1, certificateDirectory);
            Listen(kestrel, kind, http2Port, HttpProtocols.Http2, certificateDirectory);
        });
        ServerKinds.Configure(kind, builder, certificateDirectory);
        var app = builder.Build();
        ServerKinds.Map(kind, app);
        await app.RunAsync();
    }

    private static void Listen(KestrelServerOptions kestrel, string kind, int port, HttpProtocols protocols, string certificateDirectory) =>
        kestrel.ListenLocalhost(port, listen =>
        {
            listen.Protocols = protocols;
            switch (kind)
            {
                case ServerKinds.Plaintext:
                    break;
                case ServerKinds.Raw:
                    UseRawMutualTls(listen, certificateDirectory);
                    break;
                default:
                    ServerKinds.ConfigureListen(kind, listen, certificateDirectory);
                    break;
            }
        });

    /// <summary>Kestrel mTLS with static certificates and a custom-root chain policy, and no SPIFFE logic at all.</summary>
    private static void UseRawMutualTls(ListenOptions listen, string directory)
    {
        var certificates = StaticCertificates.Load(directory);
        listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = certificates.Leaf,
            ServerCertificateChain = certificates.Intermediates,
            ClientCertificateMode = ClientCertificateMode.RequireCertificate,
            ClientCertificateValidation = (_, _, errors) => errors == SslPolicyErrors.None,
            OnAuthenticate = (_, options) => options.CertificateChainPolicy = certificates.Policy,
        });
    }
}
