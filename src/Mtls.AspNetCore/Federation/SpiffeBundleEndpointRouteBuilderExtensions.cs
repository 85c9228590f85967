using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mtls.Hosting;
using Mtls.Identity;
using Mtls.Sources;

namespace Mtls.AspNetCore.Federation;

/// <summary>Publishes this trust domain's bundle for federation.</summary>
public static class SpiffeBundleEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Serves this trust domain's bundle at <paramref name="pattern"/> in the SPIFFE bundle format (SPIFFE Trust Domain
    /// and Bundle, section 4): the X.509 authorities of the service's own source (<c>x509-svid</c> keys with
    /// <c>x5c</c>), the JWT authorities of a registered <see cref="IJwtBundleSource"/> if any (<c>jwt-svid</c> keys),
    /// <c>spiffe_refresh_hint</c> and a <c>spiffe_sequence</c> that grows with each step of a CA rotation. The trust
    /// domain is <c>Spiffe:TrustDomain</c>, else the one of the service's SVID; 503 until the source has a bundle for it.
    /// </summary>
    /// <remarks>
    /// The profile is the endpoint's: on an mTLS endpoint it is <c>https_spiffe</c> (clients authenticate our SVID; they
    /// must also present one this server admits). For <c>https_web</c>, serve it on a port opted out of mTLS
    /// (<c>ExemptPort(port, "bundle-endpoint", pattern)</c>) that you configure with a Web PKI certificate
    /// (<c>listen.UseHttps(certificate)</c>). The endpoint allows anonymous requests (a bundle is public); a rule set
    /// with ALLOW rules must allow its path.
    /// </remarks>
    /// <param name="endpoints">The application's routes.</param>
    /// <param name="pattern">The route, e.g. <c>/bundle</c>.</param>
    /// <param name="refreshHint">The <c>spiffe_refresh_hint</c>; default 5 minutes. It bounds how long a relying party keeps trusting an authority after you remove it.</param>
    public static IEndpointConventionBuilder MapSpiffeBundleEndpoint(this IEndpointRouteBuilder endpoints, string pattern = "/bundle", TimeSpan? refreshHint = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(pattern);
        if (refreshHint is { } hint && (hint < TimeSpan.FromSeconds(1) || hint.Ticks % TimeSpan.TicksPerSecond != 0))
        {
            throw new ArgumentOutOfRangeException(nameof(refreshHint), hint, "The refresh hint is a whole number of seconds, at least one.");
        }

        var services = endpoints.ServiceProvider;
        var configured = services.GetService<IOptions<SpiffeX509SourceOptions>>()?.Value.TrustDomain;
        var publisher = new SpiffeBundlePublisher(
            services.GetRequiredService<IX509Source>(),
            configured is null ? null : TrustDomain.Parse(configured),
            services.GetService<IJwtBundleSource>(),
            refreshHint ?? TimeSpan.FromMinutes(5));
        return endpoints.MapGet(pattern, publisher.WriteAsync).AllowAnonymous().WithDisplayName("SPIFFE bundle endpoint");
    }
}
