using System.Diagnostics.CodeAnalysis;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Mtls.Authorization;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.Telemetry;
using Mtls.X509;

namespace Mtls.Tls;

/// <summary>
/// The check both TLS sides run in their certificate-validation callback: the peer's SVID chain is verified
/// against the bundle of the peer's own trust domain, then its SPIFFE ID is authorized. SslStream's own
/// <see cref="SslPolicyErrors"/> are not trusted either way: SVIDs carry no host name, and its chain trusts every
/// bundle's roots, so it is reused only when it ends at a root of the peer's own trust domain
/// (<see cref="X509SvidVerifier.TryVerifyPrebuilt"/>).
/// </summary>
internal static class PeerVerification
{
    /// <summary>
    /// The decision of a validation callback, whichever side and whoever created the <see cref="SslStream"/>: verifies
    /// and authorizes the peer, then records the outcome with the stream (<paramref name="sender"/>): the verified peer
    /// (<see cref="VerifiedPeer"/>) or why it was refused (<see cref="RefusedPeer"/>).
    /// </summary>
    internal static bool Validate(
        object? sender,
        X509BundleSet bundles,
        X509SvidVerifier verifier,
        Authorizer authorizer,
        X509Certificate? certificate,
        X509Chain? chain,
        out SpiffeId? id,
        out PeerVerificationFailure? failure)
    {
        bool ok = TryVerify(verifier, authorizer, certificate, chain, out id, out failure);
        if (ok && certificate is X509Certificate2 leaf)
        {
            VerifiedPeer.Record(sender, id!, leaf, chain, bundles.GetX509Bundle(id!.TrustDomain));
        }
        else if (!ok)
        {
            RefusedPeer.Record(sender, failure!, id);
        }

        return ok;
    }

    /// <summary>Verifies and authorizes a peer seen in a TLS validation callback.</summary>
    /// <param name="verifier">The verifier over the current bundles.</param>
    /// <param name="authorizer">Who may talk to us.</param>
    /// <param name="certificate">The peer's leaf, as SslStream hands it over (null when the peer sent none).</param>
    /// <param name="chain">SslStream's chain, whose <see cref="X509ChainPolicy.ExtraStore"/> holds what the peer sent.</param>
    /// <param name="id">The verified peer ID (also set when only authorization failed).</param>
    /// <param name="failure">Why the peer was refused.</param>
    internal static bool TryVerify(
        X509SvidVerifier verifier,
        Authorizer authorizer,
        X509Certificate? certificate,
        X509Chain? chain,
        out SpiffeId? id,
        [NotNullWhen(false)] out PeerVerificationFailure? failure)
    {
        id = null;
        if (certificate is null)
        {
            failure = new PeerVerificationFailure(SpiffePeerRefusal.NoCertificate, "peer presented no certificate", null);
            return false;
        }

        // SslStream passes an X509Certificate2 on every supported platform; wrap defensively otherwise.
        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        try
        {
            if (!verifier.TryVerifyPrebuilt(leaf, chain, out var verified, out var error))
            {
                // The message may quote the unverified certificate (subject, URI): escaped and capped before it can
                // reach a log or an exception a caller logs.
                failure = new PeerVerificationFailure(SpiffePeerRefusal.InvalidSvid, LogText.Sanitize(error.Message), error.Rule);
                return false;
            }

            id = verified;
            if (!authorizer.IsAuthorized(verified))
            {
                failure = new PeerVerificationFailure(SpiffePeerRefusal.Unauthorized, $"peer '{verified}' is not authorized: rule '{authorizer}'", null);
                return false;
            }

            failure = null;
            return true;
        }
        finally
        {
            if (!ReferenceEquals(leaf, certificate))
            {
                leaf.Dispose();
            }
        }
    }
}
