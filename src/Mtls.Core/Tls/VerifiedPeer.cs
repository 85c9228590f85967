using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.Sources;

namespace Mtls.Tls;

/// <summary>
/// What a handshake (either side) verified about its peer, kept with the connection's <see cref="SslStream"/> so that later
/// requests on that connection can check the peer is still valid: its chain is not past its earliest expiry, and it
/// still verifies when the bundle of its trust domain has changed since the handshake.
/// </summary>
internal sealed class VerifiedPeer
{
    private static readonly ConditionalWeakTable<SslStream, VerifiedPeer> Peers = [];

    private readonly byte[][] _chain;

    private VerifiedPeer(SpiffeId id, DateTimeOffset notAfter, byte[][] chain, X509Bundle? bundle, bool chainFromMemory)
    {
        Id = id;
        NotAfter = notAfter;
        _chain = chain;
        Bundle = bundle;
        ChainFromMemory = chainFromMemory;
    }

    /// <summary>The verified SPIFFE ID.</summary>
    internal SpiffeId Id { get; }

    /// <summary>The earliest expiry of the peer's chain: after it, the peer's SVID is not valid.</summary>
    internal DateTimeOffset NotAfter { get; }

    /// <summary>The bundle of the peer's trust domain that the handshake verified it against.</summary>
    internal X509Bundle? Bundle { get; }

    /// <summary>
    /// The peer sent its leaf alone and its intermediates came from an earlier full handshake: a resumed session (or
    /// a peer that stopped sending intermediates we had seen), verified all the same.
    /// </summary>
    internal bool ChainFromMemory { get; }

    /// <summary>The verified peer of <paramref name="stream"/>'s handshake, or null when no SPIFFE handshake verified one.</summary>
    internal static VerifiedPeer? Of(SslStream? stream) =>
        stream is not null && Peers.TryGetValue(stream, out var peer) ? peer : null;

    /// <summary>Remembers a peer the validation of <paramref name="sender"/> accepted, with the chain it was verified with.</summary>
    internal static void Record(object? sender, SpiffeId id, X509Certificate2 leaf, PeerChain intermediates, X509Bundle? bundle, bool chainFromMemory)
    {
        if (sender is not SslStream stream)
        {
            return;
        }

        // The leaf is copied: SslStream disposes it with its chain after the callback.
        byte[][] raw = [leaf.RawData, .. intermediates.Intermediates];
        var notAfter = PeerChain.Min(PeerChain.Utc(leaf.NotAfter), intermediates.NotAfter);
        Peers.AddOrUpdate(stream, new VerifiedPeer(id, notAfter, raw, bundle, chainFromMemory));
    }

    /// <summary>
    /// Verifies the peer's chain again against <paramref name="bundles"/> at the time of <paramref name="time"/>:
    /// true when it still verifies to the same SPIFFE ID.
    /// </summary>
    internal bool Reverify(IX509BundleSource bundles, TimeProvider time)
    {
        var certificates = new X509Certificate2[_chain.Length];
        try
        {
            for (int i = 0; i < _chain.Length; i++)
            {
                certificates[i] = X509CertificateLoader.LoadCertificate(_chain[i]);
            }

            var verifier = new X509.X509SvidVerifier(bundles, time);
            return verifier.TryVerify(certificates[0], certificates[1..], out var id, out _) && id.Equals(Id);
        }
        finally
        {
            foreach (var certificate in certificates)
            {
                certificate?.Dispose();
            }
        }
    }
}
