using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
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
        kestrel.Listen(System.Net.IPAddress.Loopback, port, listen =>
        {
            listen.Protocols = protocols;
            switch (kind)
            {
                case "plaintext":
                    break;
                case "raw":
                    UseRawMutualTls(listen, certificateDirectory);
                    break;
                default:
                    ServerKinds.ConfigureListen(kind, listen);
                    break;
            }
        });

    /// <summary>Kestrel mTLS with static certificates and a custom-root chain policy, and no SPIFFE logic at all.</summary>
    private static void UseRawMutualTls(ListenOptions listen, string directory)
    {
        var leaf = X509Certificate2.CreateFromPemFile(Path.Combine(directory, "tls.crt"), Path.Combine(directory, "tls.key"));
        var chain = new X509Certificate2Collection();
        chain.ImportFromPemFile(Path.Combine(directory, "tls.crt"));
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(Path.Combine(directory, "ca.crt"));
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        policy.CustomTrustStore.AddRange(roots);
        listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = leaf,
            ServerCertificateChain = [.. chain.Skip(1)],
            ClientCertificateMode = ClientCertificateMode.RequireCertificate,
            ClientCertificateValidation = (_, _, errors) => errors == SslPolicyErrors.None,
            OnAuthenticate = (_, options) => options.CertificateChainPolicy = policy,
        });
    }
}
