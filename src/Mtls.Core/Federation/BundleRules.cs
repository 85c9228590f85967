using System.Globalization;
using Mtls.Bundles;
using Mtls.X509;

namespace Mtls.Federation;

/// <summary>
/// What a bundle from an endpoint must satisfy beyond the SPIFFE bundle format (which <see cref="SpiffeBundle.Parse(Identity.TrustDomain, ReadOnlySpan{byte})"/>
/// checks): every X.509 authority is a CA of the configured trust domain, the sequence number never goes backwards,
/// and an <c>https_spiffe</c> bundle keeps an X.509 authority to authenticate the next fetch with.
/// </summary>
internal static class BundleRules
{
    /// <summary>Null when <paramref name="bundle"/> may replace <paramref name="previous"/>, else why not.</summary>
    internal static string? Check(SpiffeBundle bundle, SpiffeBundle? previous, BundleEndpointProfile profile)
    {
        foreach (var authority in bundle.X509Authorities)
        {
            if (SvidCertificateRules.CheckAuthority(authority, bundle.TrustDomain) is { } error)
            {
                return $"X.509 authority refused ({error.Rule}): {error.Message}";
            }
        }

        if (previous?.SequenceNumber is { } last)
        {
            if (bundle.SequenceNumber is not { } sequence)
            {
                return $"the bundle has no spiffe_sequence where the last accepted one had {last.ToString(CultureInfo.InvariantCulture)}";
            }

            if (sequence < last)
            {
                return $"spiffe_sequence went backwards from {last.ToString(CultureInfo.InvariantCulture)} to {sequence.ToString(CultureInfo.InvariantCulture)}";
            }
        }

        if (profile == BundleEndpointProfile.HttpsSpiffe && bundle.X509Authorities.Count == 0)
        {
            return "the bundle has no X.509 authority, so the next https_spiffe fetch could not authenticate the endpoint";
        }

        return null;
    }
}
