namespace Mtls.Testing.Jwt;

/// <summary>
/// FOR TESTS AND LOCAL DEMOS ONLY. How <see cref="TestJwtIssuer"/> shapes a token. The defaults give a valid
/// JWT-SVID; each other setting breaks (or varies) one thing, for negative tests.
/// </summary>
public sealed class JwtSvidSpec
{
    /// <summary>Lifetime from now when <see cref="ExpiresAt"/> is not set. Default 5 minutes; negative gives an expired token.</summary>
    public TimeSpan Ttl { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>An explicit <c>exp</c>, overriding <see cref="Ttl"/>.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>An <c>nbf</c> claim; none by default.</summary>
    public DateTimeOffset? NotBefore { get; init; }

    /// <summary>Writes <c>aud</c> as a single string instead of an array (requires exactly one audience).</summary>
    public bool AudienceAsString { get; init; }

    /// <summary>Leaves out <c>sub</c>.</summary>
    public bool OmitSubject { get; init; }

    /// <summary>Leaves out <c>aud</c>.</summary>
    public bool OmitAudience { get; init; }

    /// <summary>Leaves out <c>exp</c>.</summary>
    public bool OmitExpiry { get; init; }

    /// <summary>
    /// The <c>alg</c> header, overriding the key's. <c>none</c> gives an empty signature; <c>HS256</c>/<c>HS384</c>/
    /// <c>HS512</c> an HMAC keyed with the issuer's public JWKS (the algorithm-confusion attack); anything else is
    /// written as is while the key signs with its own algorithm (an alg/key mismatch).
    /// </summary>
    public string? Algorithm { get; init; }

    /// <summary>The <c>typ</c> header; <c>JWT</c> by default, null leaves it out.</summary>
    public string? Type { get; init; } = "JWT";

    /// <summary>Whether the header carries the signing key's <c>kid</c> (default true).</summary>
    public bool IncludeKeyId { get; init; } = true;

    /// <summary>A <c>kid</c> header overriding the signing key's (e.g. one the bundle does not have).</summary>
    public string? KeyId { get; init; }

    /// <summary>A <c>crit</c> header listing these extension names (which the header also carries, as <c>true</c>).</summary>
    public IReadOnlyList<string>? Critical { get; init; }

    /// <summary>Emits the JWS JSON serialization instead of the compact one.</summary>
    public bool JsonSerialization { get; init; }

    /// <summary>Extra string claims, written after the others (a name already written, e.g. <c>sub</c>, repeats the member).</summary>
    public IReadOnlyDictionary<string, string>? ExtraClaims { get; init; }
}
