using System.Security.Cryptography.X509Certificates;
using Mtls.Bundles;

namespace Mtls.Tls;

/// <summary>
/// The chain policy both TLS sides give SslStream for the peer's chain, which SslStream builds before our validation
/// callback runs: never the system store, never the network. Its verdict is not the one that counts
/// (<see cref="PeerVerification"/> decides), but when it trusts the bundles' roots and its chain ends at a root of the
/// peer's own trust domain, the verifier reuses it and a handshake builds one chain instead of two. .NET copies the
/// custom store into a fresh native store on every build, so that pays only while the bundles are small: past
/// <see cref="MaxTrustedForReuse"/> authorities the store stays empty, SslStream's build stays cheap, and the verifier
/// builds against only the authorities of the peer's trust domain that could have issued the chain, so a handshake
/// costs the same whatever the bundle size.
/// </summary>
internal static class PeerChainPolicy
{
    /// <summary>Bundles of real deployments hold a handful of CAs; a few dozen during CA rotations.</summary>
    internal const int MaxTrustedForReuse = 32;

    internal static X509ChainPolicy Create(X509BundleSet bundles)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        if (bundles.Bundles.Sum(b => b.Authorities.Count) <= MaxTrustedForReuse)
        {
            foreach (var authority in bundles.Bundles.SelectMany(b => b.Authorities))
            {
                policy.CustomTrustStore.Add(authority);
            }
        }

        return policy;
    }
}
