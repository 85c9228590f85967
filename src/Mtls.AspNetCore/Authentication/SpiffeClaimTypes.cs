namespace Mtls.AspNetCore.Authentication;

/// <summary>The claims the <c>Spiffe</c> scheme puts on the peer's <see cref="System.Security.Claims.ClaimsPrincipal"/>.</summary>
public static class SpiffeClaimTypes
{
    /// <summary>The full SPIFFE ID, e.g. <c>spiffe://example.org/ns/prod/sa/web</c> (also the name and name identifier).</summary>
    public const string SpiffeId = "spiffe_id";

    /// <summary>The trust domain, e.g. <c>example.org</c>.</summary>
    public const string TrustDomain = "spiffe_trust_domain";

    /// <summary>The path, e.g. <c>/ns/prod/sa/web</c>.</summary>
    public const string Path = "spiffe_path";
}
