using Mtls.Identity;
using Mtls.Jwt;

namespace Mtls.Sources;

/// <summary>
/// Supplies this workload's own JWT-SVIDs, to present to a peer (go-spiffe's <c>jwtsvid.Source</c>).
/// <see cref="WorkloadApi.WorkloadApiJwtSource"/> is the production implementation: it caches each token until part of
/// its lifetime has passed.
/// </summary>
public interface IJwtSvidSource
{
    /// <summary>A JWT-SVID whose <c>aud</c> carries every one of <paramref name="audiences"/> (the default identity, or <paramref name="subject"/>).</summary>
    /// <exception cref="WorkloadApi.WorkloadApiException">The token could not be obtained.</exception>
    Task<JwtSvid> GetJwtSvidAsync(IReadOnlyCollection<string> audiences, SpiffeId? subject = null, CancellationToken cancellationToken = default);
}
