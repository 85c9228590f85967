using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mtls.Bundles;
using Mtls.Identity;
using static Mtls.Tls.PeerChain;

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
    internal SpiffeId? Find(X509Certificate2 leaf, PeerChain intermediates, DateTimeOffset now) =>
        _entries.TryGetValue(KeyOf(leaf, intermediates), out var entry) && entry.NotBefore <= now && now < entry.NotAfter ? entry.Id : null;

    /// <summary>Remembers a chain the verifier accepted as <paramref name="id"/> against <paramref name="bundle"/>.</summary>
    internal void Add(X509Certificate2 leaf, PeerChain intermediates, SpiffeId id, X509Bundle? bundle, DateTimeOffset now)
    {
        if (bundle is null || _entries.Count >= MaxEntries)
        {
            return;
        }

        var notBefore = Max(Utc(leaf.NotBefore), intermediates.NotBefore);
        var notAfter = Min(Utc(leaf.NotAfter), intermediates.NotAfter);

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

    private static string KeyOf(X509Certificate2 leaf, PeerChain intermediates)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Append(hash, leaf.RawDataMemory.Span);
        foreach (var certificate in intermediates.Intermediates)
        {
            Append(hash, certificate);
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }

    /// <summary>Length-prefixed, so that no two different chains hash the same concatenation.</summary>
    private static void Append(IncrementalHash hash, ReadOnlySpan<byte> raw)
    {
        Span<byte> length = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, raw.Length);
        hash.AppendData(length);
        hash.AppendData(raw);
    }

    private sealed record Entry(SpiffeId Id, DateTimeOffset NotBefore, DateTimeOffset NotAfter);
}
