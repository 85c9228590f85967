using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Mtls.AspNetCore.Health;

/// <summary>Registers the SPIFFE identity health check.</summary>
public static class SpiffeHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check of the served X509-SVID (needs <c>AddSpiffeX509Source</c> or <c>AddSpiffeMtls</c>): Unhealthy without an SVID or once it has
    /// expired, Degraded past its rotation point (half its lifetime) without rotation, else Healthy.
    /// </summary>
    public static IHealthChecksBuilder AddSpiffeHealthChecks(this IHealthChecksBuilder builder, string name = "spiffe", IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddCheck<SpiffeHealthCheck>(name, failureStatus: null, tags: tags ?? []);
    }

    /// <summary>
    /// Adds a check of the federated bundles of <c>Spiffe:Federation</c> (needs <c>AddSpiffeX509Source</c> or
    /// <c>AddSpiffeMtls</c>): Unhealthy while a federated trust domain has no bundle, Degraded while its last fetch failed
    /// or none has succeeded yet (the last good bundle is kept; the data says how old it is), else Healthy.
    /// </summary>
    public static IHealthChecksBuilder AddSpiffeFederationHealthChecks(this IHealthChecksBuilder builder, string name = "spiffe-federation", IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddCheck<SpiffeFederationHealthCheck>(name, failureStatus: null, tags: tags ?? []);
    }
}
