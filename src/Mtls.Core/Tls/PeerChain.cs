using System.Security.Cryptography.X509Certificates;

namespace Mtls.Tls;

/// <summary>
/// The intermediates a peer presented, as their DER bytes, with the window in which all of them are valid. Bytes
/// rather than certificates because a resumed session reuses a chain remembered from an earlier handshake: recognising
/// it (<see cref="VerifiedChains"/>) and recording it with the connection (<see cref="VerifiedPeer"/>) need no decoding,
/// which on OpenSSL 3 costs more per certificate than the rest of a resumed handshake that is ours. Immutable.
/// </summary>
internal sealed class PeerChain
{
    private PeerChain(byte[][] intermediates, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        Intermediates = intermediates;
        NotBefore = notBefore;
        NotAfter = notAfter;
    }

    /// <summary>The DER encoding of each intermediate, leaf side first.</summary>
    internal IReadOnlyList<byte[]> Intermediates { get; }

    /// <summary>The latest start of validity among the intermediates (<see cref="DateTimeOffset.MinValue"/> when none).</summary>
    internal DateTimeOffset NotBefore { get; }

    /// <summary>The earliest expiry among the intermediates (<see cref="DateTimeOffset.MaxValue"/> when none).</summary>
    internal DateTimeOffset NotAfter { get; }

    /// <summary>Copies what <paramref name="intermediates"/> hold; the certificates may be disposed afterwards.</summary>
    internal static PeerChain Of(IReadOnlyList<X509Certificate2> intermediates)
    {
        var raw = new byte[intermediates.Count][];
        var notBefore = DateTimeOffset.MinValue;
        var notAfter = DateTimeOffset.MaxValue;
        for (int i = 0; i < intermediates.Count; i++)
        {
            raw[i] = intermediates[i].RawData;
            notBefore = Max(notBefore, Utc(intermediates[i].NotBefore));
            notAfter = Min(notAfter, Utc(intermediates[i].NotAfter));
        }

        return new PeerChain(raw, notBefore, notAfter);
    }

    /// <summary>The intermediates decoded as new certificates, which the caller disposes.</summary>
    internal List<X509Certificate2> Load() => [.. Intermediates.Select(X509CertificateLoader.LoadCertificate)];

    internal static DateTimeOffset Utc(DateTime time) => new(time.ToUniversalTime());

    internal static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    internal static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
