namespace Mtls.Federation;

/// <summary>
/// SPIFFE federation through bundle endpoints (<c>Spiffe:Federation</c>): the foreign trust domains whose bundles are
/// fetched and kept current, and how often and how patiently. Validated at startup with the rest of
/// <see cref="Hosting.SpiffeX509SourceOptions"/>; every error names its key.
/// </summary>
public sealed class SpiffeFederationOptions
{
    /// <summary>The federated trust domains (<c>Spiffe:Federation:TrustDomains:N</c>); empty: no federation.</summary>
    public IList<FederatedTrustDomainOptions> TrustDomains { get; } = [];

    /// <summary>
    /// How often a bundle without <c>spiffe_refresh_hint</c> is fetched again (<c>RefreshInterval</c>); default 5 minutes,
    /// as the SPIFFE specification suggests.
    /// </summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The shortest refresh interval a bundle's hint may ask for (<c>MinRefreshInterval</c>); default 10 s, so that a hint
    /// of 0 does not turn into a busy loop against the endpoint.
    /// </summary>
    public TimeSpan MinRefreshInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The longest refresh interval a bundle's hint may ask for (<c>MaxRefreshInterval</c>); default 1 hour. The interval
    /// bounds how long a key the foreign trust domain removed (e.g. compromised) stays trusted here.
    /// </summary>
    public TimeSpan MaxRefreshInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The first retry delay after a failed fetch (<c>RetryDelay</c>); default 1 s, doubled per failure in a row.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest retry delay (<c>MaxRetryDelay</c>); default 2 minutes.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long one fetch may take in all, connection, TLS handshake and body included (<c>FetchTimeout</c>); default
    /// 10 s. An endpoint that answers slowly (a byte at a time) is cut off here, and the last good bundle is kept.
    /// </summary>
    public TimeSpan FetchTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>True when at least one trust domain is configured.</summary>
    public bool IsEnabled => TrustDomains.Count > 0;
}
