namespace Mtls.Federation;

/// <summary>
/// One foreign trust domain whose bundle is fetched from its bundle endpoint (an entry of
/// <c>Spiffe:Federation:TrustDomains</c>). The trust domain is bound here, by configuration: the fetched bundle is
/// stored under it and no other, whatever the document says.
/// </summary>
public sealed class FederatedTrustDomainOptions
{
    /// <summary>The federated trust domain's name (<c>TrustDomain</c>), e.g. <c>b.example</c>.</summary>
    public string? TrustDomain { get; set; }

    /// <summary>The bundle endpoint (<c>BundleEndpointUrl</c>): an <c>https://</c> URL answering a plain GET.</summary>
    public string? BundleEndpointUrl { get; set; }

    /// <summary>How the endpoint is authenticated (<c>Profile</c>: <c>HttpsWeb</c> or <c>HttpsSpiffe</c>); default <c>HttpsWeb</c>.</summary>
    public BundleEndpointProfile Profile { get; set; } = BundleEndpointProfile.HttpsWeb;

    /// <summary>
    /// The SPIFFE ID the endpoint must present (<c>EndpointSpiffeId</c>), for <see cref="BundleEndpointProfile.HttpsSpiffe"/>
    /// only; it must be in <see cref="TrustDomain"/>.
    /// </summary>
    public string? EndpointSpiffeId { get; set; }

    /// <summary>
    /// A file holding the trust domain's bundle obtained out of band, in the SPIFFE bundle format (<c>InitialBundleFile</c>):
    /// required for <see cref="BundleEndpointProfile.HttpsSpiffe"/> (it authenticates the first fetch), optional for
    /// <see cref="BundleEndpointProfile.HttpsWeb"/> (trusted until the first fetch succeeds).
    /// </summary>
    public string? InitialBundleFile { get; set; }

    /// <summary>
    /// A PEM file of CA certificates (<c>WebRootsFile</c>), for <see cref="BundleEndpointProfile.HttpsWeb"/> only: when
    /// set, the endpoint's certificate is verified against these roots only instead of the system's (a private PKI).
    /// </summary>
    public string? WebRootsFile { get; set; }
}
