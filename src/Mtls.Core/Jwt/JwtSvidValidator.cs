using Mtls.Bundles;
using Mtls.Sources;

namespace Mtls.Jwt;

/// <summary>
/// Validates JWT-SVIDs received from peers, to the letter of the JWT-SVID specification: compact JWS only; an
/// allowed <c>alg</c> that fits the key's type and curve; <c>typ</c> absent, <c>JWT</c> or <c>JOSE</c>; no
/// <c>crit</c>; the key taken only from the bundle of the <c>sub</c>'s trust domain (by <c>kid</c>, or, without
/// <c>kid</c>, the keys of that bundle that fit its <c>alg</c>, when there are at most
/// <see cref="SpiffeLimits.MaxJwtKeysTriedWithoutKeyId"/> of them); <c>aud</c> containing the expected audience; <c>exp</c> in the
/// future; <c>nbf</c>, when present, not in the future. No clock skew is allowed. Thread-safe.
/// </summary>
public sealed class JwtSvidValidator
{
    private readonly IJwtBundleSource _bundles;
    private readonly TimeProvider _time;

    /// <summary>Creates a validator that trusts the JWT bundles of <paramref name="bundles"/>.</summary>
    /// <param name="bundles">The bundles, looked up per token by the <c>sub</c>'s trust domain.</param>
    /// <param name="time">The clock for <c>exp</c> and <c>nbf</c>; the system clock when null.</param>
    public JwtSvidValidator(IJwtBundleSource bundles, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(bundles);
        _bundles = bundles;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Validates <paramref name="token"/> for <paramref name="audience"/> and returns the SVID it carries.</summary>
    /// <exception cref="JwtSvidException">The token breaks a rule; <see cref="JwtSvidException.Rule"/> names it.</exception>
    public JwtSvid Validate(string token, string audience)
    {
        ArgumentException.ThrowIfNullOrEmpty(audience);
        return Validate(token, audience, null, out _);
    }

    /// <summary>
    /// Validates <paramref name="token"/> for any of <paramref name="acceptedAudiences"/> (its <c>aud</c> must contain at
    /// least one of them) and returns the SVID it carries. The token is parsed and its signature checked once, whatever
    /// the number of audiences.
    /// </summary>
    /// <exception cref="ArgumentException">No audience is given, or one is empty.</exception>
    /// <exception cref="JwtSvidException">The token breaks a rule; <see cref="JwtSvidException.Rule"/> names it.</exception>
    public JwtSvid Validate(string token, IReadOnlyCollection<string> acceptedAudiences)
    {
        ArgumentNullException.ThrowIfNull(acceptedAudiences);
        if (acceptedAudiences.Count == 0 || acceptedAudiences.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException("At least one accepted audience is needed, and none may be empty.", nameof(acceptedAudiences));
        }

        return Validate(token, null, acceptedAudiences, out _);
    }

    /// <summary>Like <see cref="Validate(string, string)"/>; also says how many signature checks it ran.</summary>
    internal JwtSvid Validate(string token, string audience, out int keysTried) => Validate(token, audience, null, out keysTried);

    /// <summary>The one validation: exactly one of <paramref name="audience"/> and <paramref name="audiences"/> is set.</summary>
    private JwtSvid Validate(string token, string? audience, IReadOnlyCollection<string>? audiences, out int keysTried)
    {
        keysTried = 0;
        ArgumentNullException.ThrowIfNull(token);
        var parsed = JwsCompactToken.Parse(token);
        var trustDomain = parsed.Id.TrustDomain;
        var bundle = _bundles.GetJwtBundle(trustDomain)
            ?? throw new JwtSvidException(JwtSvidRule.NoBundleForTrustDomain, $"There is no JWT bundle for trust domain {trustDomain} (of sub {parsed.Id}).");
        VerifySignature(parsed, bundle, ref keysTried);

        if (audience is not null ? Array.IndexOf(parsed.Audience, audience) < 0 : !ContainsAny(parsed.Audience, audiences!))
        {
            string expected = audience is not null ? $"\"{audience}\"" : $"any of [{string.Join(", ", audiences!)}]";
            throw new JwtSvidException(JwtSvidRule.WrongAudience, $"The token's audience [{string.Join(", ", parsed.Audience)}] does not contain {expected}.");
        }

        var now = _time.GetUtcNow();
        if (parsed.Expiry <= now)
        {
            throw new JwtSvidException(JwtSvidRule.Expired, $"The token expired at {parsed.Expiry:O}; it is now {now:O}.");
        }

        if (parsed.NotBefore > now)
        {
            throw new JwtSvidException(JwtSvidRule.NotYetValid, $"The token is not valid before {parsed.NotBefore:O}; it is now {now:O}.");
        }

        return parsed.ToSvid(hint: null);
    }

    private static void VerifySignature(JwsCompactToken token, JwtBundle bundle, ref int keysTried)
    {
        string alg = JwsAlgorithms.Name(token.Algorithm);
        if (token.KeyId is { } keyId)
        {
            if (!bundle.TryGetAuthority(keyId, out var authority))
            {
                throw new JwtSvidException(JwtSvidRule.UnknownKey, $"The key \"{keyId}\" is not in the JWT bundle of {bundle.TrustDomain}.");
            }

            if (!authority.Supports(token.Algorithm))
            {
                throw new JwtSvidException(JwtSvidRule.AlgorithmKeyMismatch, $"The algorithm {alg} does not fit key \"{keyId}\" ({Describe(authority)}).");
            }

            keysTried++;
            if (!authority.Verify(token.Algorithm, token.SigningInput(), token.Signature))
            {
                throw new JwtSvidException(JwtSvidRule.BadSignature, $"The {alg} signature does not verify with key \"{keyId}\" of {bundle.TrustDomain}.");
            }

            return;
        }

        if (bundle.IsEmpty)
        {
            throw new JwtSvidException(JwtSvidRule.UnknownKey, $"The token has no \"kid\" and the JWT bundle of {bundle.TrustDomain} has no key.");
        }

        // The spec makes kid optional: try the keys of the sub's trust domain that fit the algorithm, but only when
        // there are few of them. Anyone can send a token, so without this bound one unauthenticated kid-less token
        // would cost a signature check per key of the bundle; a deployment with that many keys sets kid (SPIRE does).
        int fitting = 0;
        foreach (var authority in bundle.Authorities)
        {
            if (authority.Supports(token.Algorithm))
            {
                fitting++;
            }
        }

        if (fitting == 0)
        {
            throw new JwtSvidException(JwtSvidRule.AlgorithmKeyMismatch, $"The token has no \"kid\" and no key of {bundle.TrustDomain} fits {alg}.");
        }

        if (fitting > SpiffeLimits.MaxJwtKeysTriedWithoutKeyId)
        {
            throw new JwtSvidException(
                JwtSvidRule.TooManyCandidateKeys,
                $"The token has no \"kid\" and {fitting} keys of {bundle.TrustDomain} fit {alg}, over the limit of {SpiffeLimits.MaxJwtKeysTriedWithoutKeyId} keys tried without a kid (MaxJwtKeysTriedWithoutKeyId); the token must name its key.");
        }

        byte[] signingInput = token.SigningInput();
        foreach (var authority in bundle.Authorities)
        {
            if (authority.Supports(token.Algorithm))
            {
                keysTried++;
                if (authority.Verify(token.Algorithm, signingInput, token.Signature))
                {
                    return;
                }
            }
        }

        throw new JwtSvidException(JwtSvidRule.BadSignature, $"The {alg} signature (no \"kid\") does not verify with any of the {fitting} keys of {bundle.TrustDomain} that fit it.");
    }

    private static bool ContainsAny(string[] tokenAudience, IReadOnlyCollection<string> accepted)
    {
        foreach (string value in tokenAudience)
        {
            if (accepted.Contains(value, StringComparer.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static string Describe(JwtAuthority authority) => authority.Curve is { } curve ? $"EC {curve}" : "RSA";
}
