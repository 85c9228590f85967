using Mtls.Telemetry;

namespace Mtls.AspNetCore.Authorization;

/// <summary>Counts server-side authorization decisions on the shared <c>mtls.authorization.decisions</c> counter.</summary>
internal static class SpiffeAuthorizationTelemetry
{
    internal static void Record(bool allowed, string rule) => Record(allowed ? "allow" : "deny", rule);

    internal static void Record(string decision, string rule) => MtlsTelemetry.RecordDecision("server", decision, rule);
}
