using Mtls.Bundles;
using Mtls.Identity;
using Mtls.Jwt;
using Mtls.WorkloadApi.Protocol;

namespace Mtls.WorkloadApi;

/// <summary>
/// Turns Workload API JWT responses into JWT-SVIDs and bundle sets, all or nothing. JWT-SVIDs from the agent are
/// trusted for their signature (the channel is the trust) but must still be well-formed, name the ID the response
/// says, and carry every audience asked for.
/// </summary>
internal static class JwtResponseParser
{
    internal static List<JwtSvid> ParseSvids(JWTSVIDResponse response, IReadOnlyCollection<string> audiences, WorkloadApiClientOptions limits)
    {
        if (response.Svids.Count == 0)
        {
            throw RejectedUpdateException.EmptyField("the JWT-SVID response carries no SVID");
        }

        if (response.Svids.Count > limits.MaxSvids)
        {
            throw new RejectedUpdateException("too_many_svids", $"the JWT-SVID response carries {response.Svids.Count} SVIDs, more than the limit of {limits.MaxSvids}");
        }

        var result = new List<JwtSvid>(response.Svids.Count);
        foreach (var item in response.Svids)
        {
            if (string.IsNullOrEmpty(item.SpiffeId) || string.IsNullOrEmpty(item.Svid))
            {
                throw RejectedUpdateException.EmptyField("a JWT-SVID of the response has an empty spiffe_id or svid");
            }

            JwtSvid svid;
            try
            {
                svid = JwtSvid.ParseInsecure(item.Svid, string.IsNullOrEmpty(item.Hint) ? null : item.Hint);
            }
            catch (JwtSvidException e)
            {
                throw new RejectedUpdateException(e.Rule.ToString(), $"JWT-SVID '{item.SpiffeId}' is invalid: {e.Message}", e);
            }

            if (!string.Equals(svid.Id.ToString(), item.SpiffeId, StringComparison.Ordinal))
            {
                throw new RejectedUpdateException("spiffe_id_mismatch", $"JWT-SVID field spiffe_id '{item.SpiffeId}' does not match the token's sub {svid.Id}");
            }

            // The channel vouches for the signature, not for the clock: a token that is already expired is of no use
            // to anyone it would be sent to, and handing it out would only move the failure to the peer.
            var now = limits.TimeProvider.GetUtcNow();
            if (svid.Expiry <= now)
            {
                throw new RejectedUpdateException(nameof(JwtSvidRule.Expired), $"JWT-SVID {svid.Id} from the agent expired at {svid.Expiry:O}; it is now {now:O}");
            }

            string? missing = audiences.FirstOrDefault(a => !svid.Audience.Contains(a, StringComparer.Ordinal));
            if (missing is not null)
            {
                throw new RejectedUpdateException(nameof(JwtSvidRule.WrongAudience), $"JWT-SVID {svid.Id} lacks the requested audience \"{missing}\"");
            }

            result.Add(svid);
        }

        return result;
    }

    internal static JwtBundleSet ParseBundles(JWTBundlesResponse response, WorkloadApiClientOptions limits)
    {
        if (response.Bundles.Count == 0)
        {
            throw RejectedUpdateException.EmptyField("the JWT bundles response carries no bundle");
        }

        if (response.Bundles.Count > limits.MaxBundles)
        {
            throw new RejectedUpdateException("too_many_bundles", $"the JWT bundles response carries {response.Bundles.Count} bundles, more than the limit of {limits.MaxBundles}");
        }

        var bundles = new List<JwtBundle>(response.Bundles.Count);
        var seen = new HashSet<TrustDomain>();
        foreach (var (key, jwks) in response.Bundles)
        {
            var trustDomain = X509ResponseParser.ParseTrustDomainKey(key);
            if (!seen.Add(trustDomain))
            {
                throw new RejectedUpdateException("duplicate_trust_domain", $"two JWT bundles are given for trust domain {trustDomain}");
            }

            try
            {
                bundles.Add(JwtBundle.Parse(trustDomain, jwks.Span));
            }
            catch (BundleFormatException e) when (e.Rule == BundleFormatRule.TooManyKeys)
            {
                throw new RejectedUpdateException("too_many_keys", $"the JWT bundle of {trustDomain} is refused: {e.Message}", e);
            }
            catch (BundleFormatException e)
            {
                throw new RejectedUpdateException("malformed_bundle", $"the JWT bundle of {trustDomain} is invalid: {e.Message}", e);
            }
        }

        return new JwtBundleSet(bundles);
    }
}
