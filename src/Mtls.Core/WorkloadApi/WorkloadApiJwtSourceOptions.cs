namespace Mtls.WorkloadApi;

/// <summary>Options of <see cref="WorkloadApiJwtSource"/>.</summary>
public sealed class WorkloadApiJwtSourceOptions : WorkloadApiSourceOptions
{
    /// <summary>
    /// The fraction of a JWT-SVID's lifetime (from <c>iat</c>, or from when it was fetched, to <c>exp</c>) after which
    /// a cached token is fetched anew. Default 0.5: a 5-minute token is reused for 2.5 minutes.
    /// </summary>
    public double JwtSvidRefreshFraction { get; set; } = 0.5;

    /// <summary>The most (audience, subject) pairs whose JWT-SVIDs are cached. Default 256.</summary>
    public int MaxCachedJwtSvids { get; set; } = 256;

    internal override void Validate()
    {
        base.Validate();
        if (!(JwtSvidRefreshFraction > 0 && JwtSvidRefreshFraction <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(JwtSvidRefreshFraction), JwtSvidRefreshFraction, "The refresh fraction must be greater than 0 and at most 1.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxCachedJwtSvids, 1, nameof(MaxCachedJwtSvids));
    }
}
