namespace Mtls.AspNetCore.Authorization;

/// <summary>Which verified identity of a request a SPIFFE requirement reads.</summary>
public enum SpiffeIdentity
{
    /// <summary>
    /// The peer the mTLS handshake verified on the request's connection (the next hop: behind a TLS-terminating proxy,
    /// the proxy). What the requirements without an identity argument read.
    /// </summary>
    MtlsPeer,

    /// <summary>
    /// The subject of the JWT-SVID the <c>SpiffeJwt</c> scheme validated for this request (the original caller, across
    /// proxies). Never a claim: a bearer token of another scheme with a <c>spiffe_id</c> or <c>sub</c> claim does not count.
    /// </summary>
    JwtSubject,
}
