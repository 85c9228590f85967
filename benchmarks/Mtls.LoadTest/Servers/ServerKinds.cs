using Microsoft.AspNetCore.Server.Kestrel.Core;
using Mtls.AspNetCore;
using Mtls.AspNetCore.Authorization;
using Mtls.AspNetCore.Kestrel;
using Mtls.Authorization;
using Mtls.Hosting;
using Mtls.OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Mtls.LoadTest.Servers;

/// <summary>
/// What differs between server kinds beyond Kestrel's listen options:
/// <c>plaintext</c> and <c>raw</c> (no SPIFFE logic), <c>mtls-kestrel</c> (the app that uses only the rule set and the handshake authorizer: the source and the Kestrel part, without the
/// authentication and authorization services), <c>mtls-rules</c> (Mtls with the declarative rule set and the
/// handshake authorizer), <c>mtls-telemetry</c> (<c>mtls-rules</c> with OpenTelemetry metrics on: request metrics with
/// verified identities and Mtls's instruments, aggregated by the Prometheus exporter), <c>mtls-policy</c> (the same plus an endpoint policy, so the Spiffe authentication scheme
/// runs per request) and <c>handwritten</c> (what a user writes today without Mtls, see <see cref="HandwrittenServer"/>; <c>handwritten-cached</c> with the
/// certificate handler's validation cache).
/// </summary>
internal static class ServerKinds
{
    internal const string Plaintext = "plaintext";
    internal const string Raw = "raw";
    internal const string MtlsKestrel = "mtls-kestrel";
    internal const string MtlsRules = "mtls-rules";
    internal const string MtlsPolicy = "mtls-policy";
    internal const string MtlsTelemetry = "mtls-telemetry";
    internal const string Handwritten = "handwritten";
    internal const string HandwrittenCached = "handwritten-cached";

    private static bool IsMtls(string kind) => kind is MtlsKestrel or MtlsRules or MtlsPolicy or MtlsTelemetry;

    internal static void Configure(string kind, WebApplicationBuilder builder, string certificateDirectory)
    {
        if (kind is Handwritten or HandwrittenCached)
        {
            HandwrittenServer.Configure(builder, certificateDirectory, cached: kind == HandwrittenCached);
            return;
        }

        if (!IsMtls(kind))
        {
            return;
        }

        // A realistic small rule set, from configuration as an operator would write it: batch jobs may not write,
        // the load client may read. Configuration (not code) so the binding path is the one services use.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Spiffe:Authorization:Rules:0:Name"] = "no-batch-writes",
            ["Spiffe:Authorization:Rules:0:Action"] = "Deny",
            ["Spiffe:Authorization:Rules:0:Principals:0"] = "spiffe://bench.local/ns/batch/**",
            ["Spiffe:Authorization:Rules:0:Methods:0"] = "POST",
            ["Spiffe:Authorization:Rules:0:Methods:1"] = "DELETE",
            ["Spiffe:Authorization:Rules:1:Name"] = "client-reads",
            ["Spiffe:Authorization:Rules:1:Action"] = "Allow",
            ["Spiffe:Authorization:Rules:1:Principals:0"] = CertificateFiles.ClientId,
            ["Spiffe:Authorization:Rules:1:Paths:0"] = "/",
            ["Spiffe:Authorization:Rules:1:Paths:1"] = "/api/*",
            ["Spiffe:Authorization:Rules:1:Methods:0"] = "GET",
        });

        // The library as a service would use it: identity from files (as csi-driver-spiffe writes them), only the
        // expected client admitted at the handshake, so refused peers never reach HTTP. Default connection checks
        // (peer expiry, bundle change, maximum connection age) stay on: they are what is measured.
        builder.Services.AddSpiffeX509Source(o => o.UseFiles(certificateDirectory));
        Action<SpiffeMtlsOptions> configure = o =>
        {
            o.AllEndpoints = false;
            o.HandshakeAuthorizer = Authorizer.Id(CertificateFiles.ClientId);
        };

        // mtls-kestrel leaves out the authentication and authorization services (and so their middleware), to
        // separate what the connection checks and rules cost from what ASP.NET Core's auth pipeline costs.
        if (kind == MtlsKestrel)
        {
            builder.Services.AddSpiffeKestrel(configure);
        }
        else
        {
            builder.Services.AddSpiffeMtls(configure);
        }

        // The README's setup line: what enabling telemetry costs per request (identity tags on ASP.NET Core's request
        // metric, the histogram aggregation, Mtls's instruments). Nobody scrapes during the run.
        if (kind == MtlsTelemetry)
        {
            builder.Services.AddOpenTelemetry().WithMetrics(m => m.AddMtlsInstrumentation().AddPrometheusExporter());
        }
    }

    internal static void ConfigureListen(string kind, ListenOptions listen, string certificateDirectory)
    {
        switch (kind)
        {
            case MtlsKestrel or MtlsRules or MtlsPolicy or MtlsTelemetry:
                listen.UseSpiffeMtls();
                break;
            case Handwritten or HandwrittenCached:
                HandwrittenServer.UseHttps(listen, certificateDirectory);
                break;
            default:
                throw new ArgumentException($"unknown server kind '{kind}'; expected {Plaintext}, {Raw}, {MtlsKestrel}, {MtlsRules}, {MtlsTelemetry}, {MtlsPolicy}, {Handwritten} or {HandwrittenCached}", nameof(kind));
        }
    }

    internal static void Map(string kind, WebApplication app)
    {
        var endpoint = app.MapGet("/", () => "ok");
        switch (kind)
        {
            case MtlsPolicy:
                endpoint.RequireSpiffeId(CertificateFiles.ClientId);
                break;
            case Handwritten or HandwrittenCached:
                endpoint.RequireAuthorization(HandwrittenServer.PolicyName);
                break;
        }
    }
}
