namespace Mtls.Federation;

/// <summary>How a relying party authenticates a bundle endpoint (SPIFFE Trust Domain and Bundle, section 5).</summary>
public enum BundleEndpointProfile
{
    /// <summary>
    /// <c>https_web</c>: the endpoint has a Web PKI server certificate for its DNS name, verified as any HTTPS client
    /// does (against the system's roots, or only against <see cref="FederatedTrustDomainOptions.WebRootsFile"/>).
    /// </summary>
    HttpsWeb,

    /// <summary>
    /// <c>https_spiffe</c>: the endpoint serves an X509-SVID of the federated trust domain, verified against that trust
    /// domain's stored bundle (first the initial bundle, then each fetched one), and must carry
    /// <see cref="FederatedTrustDomainOptions.EndpointSpiffeId"/>.
    /// </summary>
    HttpsSpiffe,
}
