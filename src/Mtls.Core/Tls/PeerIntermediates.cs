using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Mtls.Tls;

/// <summary>
/// The intermediates peers sent in full handshakes, by the SHA-256 of their leaf. A resumed TLS session carries only
/// the peer's leaf (OpenSSL's session tickets keep no peer chain), so the validation callback of a resumed handshake
/// gets no intermediates; with these it verifies the leaf again, against the bundle and authorizer current at that
/// moment, exactly as in a full handshake. The entries are untrusted input like anything a peer sends: they only
/// complete a chain that must still end at an authority of the peer's trust domain. Process-wide, because OpenSSL
/// shares session tickets between endpoints that serve the same certificate.
/// </summary>
internal static class PeerIntermediates
{
    /// <summary>Distinct peer SVIDs remembered at once; a resumed session of a peer beyond it needs a full handshake.</summary>
    internal const int MaxEntries = 10_000;

    private static readonly ConcurrentDictionary<string, Entry> Entries = new(StringComparer.Ordinal);

    /// <summary>Remembers the intermediates a verified peer sent with <paramref name="leaf"/>.</summary>
    internal static void Remember(X509Certificate2 leaf, PeerChain intermediates, DateTimeOffset now)
    {
        if (intermediates.Intermediates.Count == 0)
        {
            return;
        }

        string key = KeyOf(leaf);
        if (Entries.ContainsKey(key))
        {
            return;
        }

        if (Entries.Count >= MaxEntries)
        {
            Evict(now);
        }

        Entries.TryAdd(key, new Entry(intermediates, PeerChain.Utc(leaf.NotAfter)));
    }

    /// <summary>The intermediates last seen with <paramref name="leaf"/>; null when unknown.</summary>
    internal static PeerChain? Recall(X509Certificate2 leaf) =>
        Entries.TryGetValue(KeyOf(leaf), out var entry) ? entry.Intermediates : null;

    private static string KeyOf(X509Certificate2 leaf) => Convert.ToHexString(SHA256.HashData(leaf.RawDataMemory.Span));

    /// <summary>Drops expired entries; if the peers are all alive, starts afresh (rare: more live SVIDs than the limit).</summary>
    private static void Evict(DateTimeOffset now)
    {
        foreach (var (key, entry) in Entries)
        {
            if (entry.NotAfter <= now)
            {
                Entries.TryRemove(key, out _);
            }
        }

        if (Entries.Count >= MaxEntries)
        {
            Entries.Clear();
        }
    }

    private sealed record Entry(PeerChain Intermediates, DateTimeOffset NotAfter);
}
