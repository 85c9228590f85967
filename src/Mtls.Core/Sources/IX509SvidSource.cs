using Mtls.X509;

namespace Mtls.Sources;

/// <summary>Supplies this workload's current X.509-SVID (go-spiffe's <c>x509svid.Source</c>).</summary>
public interface IX509SvidSource
{
    /// <summary>
    /// The current SVID, or null when the workload has none (not yet received, or withdrawn by the agent).
    /// Callers must not dispose it: the source owns it and disposes it after it has been replaced.
    /// </summary>
    X509Svid? GetX509Svid();
}
