using Microsoft.AspNetCore.Server.Kestrel.Core;
using Mtls.AspNetCore;
using Mtls.AspNetCore.Kestrel;
using Mtls.Authorization;
using Mtls.Hosting;

namespace Mtls.LoadTest.Servers;

/// <summary>What differs between server kinds beyond Kestrel's listen options.</summary>
internal static class ServerKinds
{
    internal static void Configure(string kind, WebApplicationBuilder builder, string certificateDirectory)
    {
        if (kind != "mtls")
        {
            return;
        }

        // The library as a service would use it: identity from files (as csi-driver-spiffe writes them), only the
        // expected client admitted at the handshake, so refused peers never reach HTTP.
        builder.Services.AddSpiffeX509Source(o => o.UseFiles(certificateDirectory));
        builder.Services.AddSpiffeMtls(o =>
        {
            o.AllEndpoints = false;
            o.HandshakeAuthorizer = Authorizer.Id(CertificateFiles.ClientId);
        });
    }

    internal static void ConfigureListen(string kind, ListenOptions listen)
    {
        if (kind != "mtls")
        {
            throw new ArgumentException($"unknown server kind '{kind}'; expected plaintext, raw or mtls", nameof(kind));
        }

        listen.UseSpiffeMtls();
    }

    internal static void Map(string kind, WebApplication app) => app.MapGet("/", () => "ok");
}
