using Mtls.Bundles;
using Mtls.Identity;

namespace Mtls.Federation;

/// <summary>Where the bundle of one federated trust domain stands: what is trusted now, and how its fetches go.</summary>
/// <param name="TrustDomain">The federated trust domain.</param>
/// <param name="BundleEndpointUrl">Its bundle endpoint.</param>
/// <param name="Bundle">The bundle trusted now (the last good one fetched, or the initial one), or null: nobody of that trust domain is trusted.</param>
/// <param name="LastSuccess">When a fetch last returned a bundle that was accepted, or null when none has yet.</param>
/// <param name="LastAttempt">When the last fetch ended, or null before the first.</param>
/// <param name="LastError">Why the last fetch failed or its bundle was rejected; null when it succeeded.</param>
/// <param name="ConsecutiveFailures">Failed fetches since the last success.</param>
/// <param name="NextAttempt">When the next fetch is due, or null while one is running.</param>
public sealed record FederatedBundleStatus(
    TrustDomain TrustDomain,
    Uri BundleEndpointUrl,
    SpiffeBundle? Bundle,
    DateTimeOffset? LastSuccess,
    DateTimeOffset? LastAttempt,
    string? LastError,
    int ConsecutiveFailures,
    DateTimeOffset? NextAttempt)
{
    /// <summary>How old the trusted bundle is at <paramref name="now"/>: the time since it was last confirmed by a fetch; null when it never was.</summary>
    public TimeSpan? AgeAt(DateTimeOffset now) => LastSuccess is { } success ? now - success : null;
}
