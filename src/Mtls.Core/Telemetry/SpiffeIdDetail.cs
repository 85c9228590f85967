namespace Mtls.Telemetry;

/// <summary>How much of a verified SPIFFE ID the request metrics carry (<see cref="SpiffeTelemetryOptions.RequestIdentities"/>).</summary>
public enum SpiffeIdDetail
{
    /// <summary>The full SPIFFE ID (after <see cref="SpiffeTelemetryOptions.IdPatterns"/>): one series per workload pair.</summary>
    Id,

    /// <summary>Only the trust domain, as <c>spiffe://trust-domain</c>: one series per trust-domain pair.</summary>
    TrustDomain,

    /// <summary>No identity attributes on request metrics or spans.</summary>
    None,
}
