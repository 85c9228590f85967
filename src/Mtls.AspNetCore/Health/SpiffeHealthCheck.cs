using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Mtls.Sources;
using Mtls.Tls;
using Mtls.WorkloadApi;

namespace Mtls.AspNetCore.Health;

/// <summary>
/// Reports the served SVID: Unhealthy when there is none or it has expired; Degraded once it is past its rotation
/// point (half its lifetime, when SPIRE rotates) and has not been replaced, or while a Workload API source cannot
/// reach the agent (the last good SVID is still served); Healthy otherwise.
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
        if (now >= rotationPoint)
        {
            return Task.FromResult(HealthCheckResult.Degraded($"X509-SVID {svid.Id} is past its rotation point ({rotationPoint:u}) and has not been rotated", data: data));
        }

        if (source is WorkloadApiX509Source { State: not WorkloadApiSourceState.Ready } workloadApi)
        {
            data["source_state"] = workloadApi.State.ToString();
            return Task.FromResult(HealthCheckResult.Degraded(
                $"Workload API agent at {workloadApi.Address} unreachable ({workloadApi.State}); serving the last X509-SVID {svid.Id}",
                workloadApi.LastError,
                data));
        }

        return Task.FromResult(HealthCheckResult.Healthy($"X509-SVID {svid.Id} valid until {svid.NotAfter:u}", data));
    }
}
