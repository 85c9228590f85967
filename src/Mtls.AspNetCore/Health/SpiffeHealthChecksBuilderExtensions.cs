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
}
