using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Mtls.Authorization;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.Telemetry;
using Mtls.X509;

namespace Mtls.Tls;

/// <summary>
/// The check both TLS sides run on a peer, in their validation callback or after a handshake in which the runtime ran
/// none: the peer's SVID chain is verified against the bundle of the peer's own trust domain, then its SPIFFE ID is
/// authorized. SslStream's own <see cref="SslPolicyErrors"/> are not trusted either way: SVIDs carry no host name, and
/// its chain trusts every bundle's roots, so it is reused only when it ends at a root of the peer's own trust domain
/// (<see cref="X509SvidVerifier.TryVerifyPrebuilt"/>).
/// </summary>
internal static class PeerVerification
{
    /// <summary>
    /// Verifies and authorizes a peer, then records the outcome with the stream (<paramref name="sender"/>): the
    /// verified peer (<see cref="VerifiedPeer"/>) or why it was refused (<see cref="RefusedPeer"/>). A peer that sent
    /// its leaf alone (a resumed session) is verified with the intermediates it sent in an earlier full handshake
    /// (<see cref="PeerIntermediates"/>), against the current bundle and authorizer.
    /// </summary>
    /// <param name="sender">The <see cref="SslStream"/> being authenticated.</param>
    /// <param name="bundles">The bundles of the snapshot the verifier was built from.</param>
    /// <param name="verifier">The verifier over the current bundles.</param>
    /// <param name="chains">The chains <paramref name="verifier"/> accepted before (same snapshot).</param>
    /// <param name="authorizer">Who may talk to us.</param>
    /// <param name="certificate">The peer's leaf, as SslStream hands it over (null when the peer sent none).</param>
    /// <param name="chain">SslStream's chain, whose <see cref="X509ChainPolicy.ExtraStore"/> holds what the peer sent.</param>
    /// <param name="id">The verified peer ID (also set when only authorization failed).</param>
    /// <param name="failure">Why the peer was refused.</param>
    internal static bool Validate(
        object? sender,
        X509BundleSet bundles,
        X509SvidVerifier verifier,
        VerifiedChains chains,
        Authorizer authorizer,
        X509Certificate? certificate,
        X509Chain? chain,
        out SpiffeId? id,
        out PeerVerificationFailure? failure)
    {
        id = null;
        if (certificate is null)
        {
            failure = new PeerVerificationFailure(SpiffePeerRefusal.NoCertificate, "peer presented no certificate", null);
            RefusedPeer.Record(sender, failure, null);
            return false;
        }

        // SslStream passes an X509Certificate2 on every supported platform; wrap defensively otherwise.
        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        var sent = Sent(leaf, chain);
        var recalled = sent.Count == 0 ? PeerIntermediates.Recall(leaf) : null;
        List<X509Certificate2>? loaded = null;
        try
        {
            var presented = recalled ?? PeerChain.Of(sent);
            var now = verifier.Time.GetUtcNow();
            X509SvidException? error = null;
            id = chains.Find(leaf, presented, now);
            bool cached = id is not null;
            bool verified = cached
                || (recalled is null
                    ? verifier.TryVerifyPrebuilt(leaf, chain, out id, out error)
                    : verifier.TryVerify(leaf, loaded = recalled.Load(), out id, out error));
            if (!verified)
            {
                // The message may quote the unverified certificate (subject, URI): escaped and capped before it can
                // reach a log or an exception a caller logs.
                failure = new PeerVerificationFailure(SpiffePeerRefusal.InvalidSvid, LogText.Sanitize(error!.Message), error.Rule);
                RefusedPeer.Record(sender, failure, null, recalled is not null);
                return false;
            }

            if (!cached)
            {
                chains.Add(leaf, presented, id!, bundles.GetX509Bundle(id!.TrustDomain), now);
            }

            if (!authorizer.IsAuthorized(id!))
            {
                failure = new PeerVerificationFailure(SpiffePeerRefusal.Unauthorized, $"peer '{id}' is not authorized: rule '{authorizer}'", null);
                RefusedPeer.Record(sender, failure, id, recalled is not null);
                return false;
            }

            if (recalled is null)
            {
                PeerIntermediates.Remember(leaf, presented, now);
            }

            VerifiedPeer.Record(sender, id!, leaf, presented, bundles.GetX509Bundle(id!.TrustDomain), chainFromMemory: recalled is not null);
            failure = null;
            return true;
        }
        finally
        {
            if (!ReferenceEquals(leaf, certificate))
            {
                leaf.Dispose();
            }

            foreach (var intermediate in loaded ?? [])
            {
                intermediate.Dispose();
            }
        }
    }

    /// <summary>What the peer sent besides its leaf (SslStream's extra store holds the leaf too on some platforms).</summary>
    private static List<X509Certificate2> Sent(X509Certificate2 leaf, X509Chain? chain)
    {
        var sent = new List<X509Certificate2>();
        foreach (var certificate in chain?.ChainPolicy.ExtraStore ?? [])
        {
            if (!certificate.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span))
            {
                sent.Add(certificate);
            }
        }

        return sent;
    }
}
