using Mtls.Files;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Mtls.Hosting;
using Mtls.Sources;
using Mtls.WorkloadApi;

namespace Mtls.AspNetCore.Health;

/// <summary>
/// Reports the served SVID: Unhealthy when there is none or it has expired; Degraded once it is past its rotation
/// point and has not been replaced (half its lifetime, when SPIRE rotates; two thirds for files, when
/// csi-driver-spiffe renews), while a Workload API source cannot reach the agent, or while the files on disk do not
/// form a valid SVID (the last good SVID is still served in both cases); Healthy otherwise.
/// </summary>
internal sealed class SpiffeHealthCheck(IX509Source source, TimeProvider time) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        // The SVID this workload presents, as servers and clients do.
        var svid = source.GetX509Svid();
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

        var inner = SpiffeX509SourceFactory.Undecorated(source);
        double rotationFraction = inner is FileX509Source ? 2.0 / 3 : 0.5;
        var rotationPoint = svid.NotBefore + ((svid.NotAfter - svid.NotBefore) * rotationFraction);
        if (now >= rotationPoint)
        {
            return Task.FromResult(HealthCheckResult.Degraded($"X509-SVID {svid.Id} is past its rotation point ({rotationPoint:u}) and has not been rotated", data: data));
        }

        if (inner is WorkloadApiX509Source { State: not WorkloadApiSourceState.Ready } workloadApi)
        {
            data["source_state"] = workloadApi.State.ToString();
            return Task.FromResult(HealthCheckResult.Degraded(
                $"Workload API agent at {workloadApi.Address} unreachable ({workloadApi.State}); serving the last X509-SVID {svid.Id}",
                workloadApi.LastError,
                data));
        }

        if (inner is FileX509Source { LastError: { } fileError } files)
        {
            data["source_error"] = fileError;
            return Task.FromResult(HealthCheckResult.Degraded(
                $"the SVID files in {files.Directory} are not usable ({fileError}); serving the last X509-SVID {svid.Id}",
                data: data));
        }

        return Task.FromResult(HealthCheckResult.Healthy($"X509-SVID {svid.Id} valid until {svid.NotAfter:u}", data));
    }
}
