using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Mtls.Hosting;
using Mtls.Telemetry;

namespace Mtls.AspNetCore.Health;

/// <summary>
/// Reports the federated bundles: Unhealthy while a federated trust domain has no bundle (none of its peers can be
/// verified); Degraded while the last fetch of one failed or none has succeeded yet (the last good or initial bundle is
/// still trusted, and grows older); Healthy otherwise. The data carries each bundle's age (seconds since a fetch last
/// confirmed it), sequence number, failures in a row and last error.
/// </summary>
internal sealed class SpiffeFederationHealthCheck(SpiffeFederationHost federation, TimeProvider time) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (federation.Bundles is not { } bundles)
        {
            return Task.FromResult(HealthCheckResult.Healthy("no federated trust domain configured (Spiffe:Federation)"));
        }

        var now = time.GetUtcNow();
        var data = new Dictionary<string, object>();
        var missing = new List<string>();
        var stale = new List<string>();
        foreach (var status in bundles.Statuses)
        {
            string td = status.TrustDomain.Name;
            var age = status.AgeAt(now);
            data[$"{td}.age_seconds"] = age?.TotalSeconds ?? -1;
            data[$"{td}.sequence"] = status.Bundle?.SequenceNumber?.ToString(CultureInfo.InvariantCulture) ?? "none";
            data[$"{td}.consecutive_failures"] = status.ConsecutiveFailures;
            if (status.LastError is { } error)
            {
                data[$"{td}.last_error"] = LogText.Sanitize(error, 512);
            }

            if (status.Bundle is null)
            {
                missing.Add(td);
            }
            else if (status.LastError is not null || age is null)
            {
                stale.Add(age is { } a ? $"{td} (bundle {a.TotalSeconds:0} s old, {status.ConsecutiveFailures} failed fetches)" : $"{td} (initial bundle, not fetched yet)");
            }
        }

        if (missing.Count > 0)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"no bundle for federated trust domain(s) {string.Join(", ", missing)}", data: data));
        }

        return Task.FromResult(stale.Count > 0
            ? HealthCheckResult.Degraded($"serving older bundles for {string.Join(", ", stale)}", data: data)
            : HealthCheckResult.Healthy($"{bundles.Statuses.Count} federated bundle(s) current", data));
    }
}
