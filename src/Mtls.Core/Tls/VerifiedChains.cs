using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mtls.Bundles;
using Mtls.Identity;

namespace Mtls.Tls;

/// <summary>
/// The chains one snapshot's verifier has accepted, so that a peer presenting the same chain again (every resumed
/// session, and each new connection of a client that does not resume) skips the chain build, the costliest step of a
/// handshake that is ours. Sound because verifying a chain is a function of its bytes, the bundle and the time: an
/// instance lives with one snapshot (one set of bundles), and an entry is used only inside the validity window of every
/// certificate involved, the peer's and the bundle's roots. Authorization is never cached.
/// </summary>
internal sealed class VerifiedChains
{
    /// <summary>Distinct chains remembered per snapshot; beyond it, chains are verified in full again.</summary>
    internal const int MaxEntries = 4096;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>The ID of a chain verified earlier that is valid at <paramref name="now"/>, or null.</summary>
    internal SpiffeId? Find(X509Certificate2 leaf, IReadOnlyList<X509Certificate2> intermediates, DateTimeOffset now) =>
        _entries.TryGetValue(KeyOf(leaf, intermediates), out var entry) && entry.NotBefore <= now && now < entry.NotAfter ? entry.Id : null;

    /// <summary>Remembers a chain the verifier accepted as <paramref name="id"/> against <paramref name="bundle"/>.</summary>
    internal void Add(X509Certificate2 leaf, IReadOnlyList<X509Certificate2> intermediates, SpiffeId id, X509Bundle? bundle, DateTimeOffset now)
    {
        if (bundle is null || _entries.Count >= MaxEntries)
        {
            return;
        }

        var notBefore = Utc(leaf.NotBefore);
        var notAfter = Utc(leaf.NotAfter);
        foreach (var certificate in intermediates)
        {
            notBefore = Max(notBefore, Utc(certificate.NotBefore));
            notAfter = Min(notAfter, Utc(certificate.NotAfter));
        }

        // The root that anchored the chain is one of the authorities valid now: the entry ends with the first of them.
        foreach (var authority in bundle.Authorities)
        {
            if (Utc(authority.NotBefore) <= now && now < Utc(authority.NotAfter))
            {
                notAfter = Min(notAfter, Utc(authority.NotAfter));
            }
        }

        _entries.TryAdd(KeyOf(leaf, intermediates), new Entry(id, notBefore, notAfter));
    }

    private static string KeyOf(X509Certificate2 leaf, IReadOnlyList<X509Certificate2> intermediates)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Append(hash, leaf);
        foreach (var certificate in intermediates)
        {
            Append(hash, certificate);
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }

    /// <summary>Length-prefixed, so that no two different chains hash the same concatenation.</summary>
    private static void Append(IncrementalHash hash, X509Certificate2 certificate)
    {
        var raw = certificate.RawDataMemory.Span;
        Span<byte> length = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, raw.Length);
        hash.AppendData(length);
        hash.AppendData(raw);
    }

    private static DateTimeOffset Utc(DateTime time) => new(time.ToUniversalTime());

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private sealed record Entry(SpiffeId Id, DateTimeOffset NotBefore, DateTimeOffset NotAfter);
}
