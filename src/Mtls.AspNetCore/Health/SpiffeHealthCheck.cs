using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Mtls.Sources;
using Mtls.Tls;

namespace Mtls.AspNetCore.Health;

/// <summary>
/// Reports the served SVID: Unhealthy when there is none or it has expired; Degraded once it is past its rotation
/// point (half its lifetime, when SPIRE rotates) and has not been replaced; Healthy otherwise.
/// </summary>
internal sealed class SpiffeHealthCheck(IX509Source source, IOptions<SpiffeMtlsOptions> options, TimeProvider time) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        string? hint = options.Value.SvidHint;
        var svid = SpiffeServerTlsOptionsCache.SelectSvid(source, string.IsNullOrEmpty(hint) ? null : hint);
        if (svid is null)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("no X509-SVID"));
        }

        var now = time.GetUtcNow();
        var data = new Dictionary<string, object>
        {
            ["spiffe_id"] = svid.Id.ToString(),
            ["not_after"] = svid.NotAfter,
            ["seconds_to_expiry"] = (svid.NotAfter - now).TotalSeconds,
        };
        if (now >= svid.NotAfter)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"X509-SVID {svid.Id} expired at {svid.NotAfter:u}", data: data));
        }

        var rotationPoint = svid.NotBefore + ((svid.NotAfter - svid.NotBefore) / 2);
        return Task.FromResult(now >= rotationPoint
            ? HealthCheckResult.Degraded($"X509-SVID {svid.Id} is past its rotation point ({rotationPoint:u}) and has not been rotated", data: data)
            : HealthCheckResult.Healthy($"X509-SVID {svid.Id} valid until {svid.NotAfter:u}", data));
    }
}
