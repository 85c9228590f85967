using System.Security.Claims;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Authentication.Certificate;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Mtls.LoadTest.Servers;

/// <summary>
/// The server a user writes by hand today without Mtls, assembled from the ASP.NET Core docs: static certificates
/// from the same files, Kestrel requiring a client certificate and re-building its chain against the bundle in
/// <c>ClientCertificateValidation</c>, the certificate authentication handler (custom-root trust, no revocation) as
/// the default scheme, and a policy requiring the client's SPIFFE ID in the URI SAN claim the handler issues.
/// With <c>cached</c>, the handler's validation cache (<c>AddCertificateCache</c>, an opt-in the docs describe) is on.
/// </summary>
internal static class HandwrittenServer
{
    internal const string PolicyName = "spiffe-client";

    internal static void Configure(WebApplicationBuilder builder, string certificateDirectory, bool cached)
    {
        var bundle = new X509Certificate2Collection();
        bundle.ImportFromPemFile(Path.Combine(certificateDirectory, "ca.crt"));

        // The handler sees only the client's leaf (Connection.ClientCertificate), not the intermediates it sent in
        // the handshake, so a custom-root chain through an intermediate fails as a partial chain unless the
        // intermediates are supplied. Here they are the ones in our own chain file (one intermediate issues both SVIDs).
        var intermediates = StaticCertificates.Load(certificateDirectory).Intermediates;
        var authentication = builder.Services.AddAuthentication(CertificateAuthenticationDefaults.AuthenticationScheme)
            .AddCertificate(o =>
            {
                o.AllowedCertificateTypes = CertificateTypes.All;
                o.ChainTrustValidationMode = X509ChainTrustMode.CustomRootTrust;
                o.CustomTrustStore = bundle;
                o.AdditionalChainCertificates = intermediates;
                o.RevocationMode = X509RevocationMode.NoCheck;
            });
        if (cached)
        {
            authentication.AddCertificateCache();
        }

        // The handler puts the certificate's URI name (the SPIFFE ID) in a ClaimTypes.Uri claim.
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(PolicyName, policy => policy.RequireAuthenticatedUser().RequireClaim(ClaimTypes.Uri, CertificateFiles.ClientId));
    }

    internal static void UseHttps(ListenOptions listen, string certificateDirectory)
    {
        var certificates = StaticCertificates.Load(certificateDirectory);
        var bundle = new X509Certificate2Collection();
        bundle.ImportFromPemFile(Path.Combine(certificateDirectory, "ca.crt"));
        listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = certificates.Leaf,
            ServerCertificateChain = certificates.Intermediates,
            ClientCertificateMode = ClientCertificateMode.RequireCertificate,
            ClientCertificateValidation = (certificate, chain, _) =>
            {
                // The platform's verdict is ignored: it built the chain against the system roots, which do not hold
                // the bundle. Re-build it trusting only the bundle, with the intermediates the client sent. A resumed
                // session carries the client's leaf alone (the load client resumes), so the known intermediates are
                // supplied too, as they are to the authentication handler below.
                using var custom = new X509Chain();
                custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                custom.ChainPolicy.CustomTrustStore.AddRange(bundle);
                custom.ChainPolicy.ExtraStore.AddRange(certificates.Intermediates);
                custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                if (chain is not null)
                {
                    foreach (var element in chain.ChainElements)
                    {
                        custom.ChainPolicy.ExtraStore.Add(element.Certificate);
                    }
                }

                return custom.Build(certificate);
            },
        });
    }
}
