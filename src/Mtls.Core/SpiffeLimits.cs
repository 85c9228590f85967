namespace Mtls;

/// <summary>
/// Upper bounds on what trust material from outside (a Workload API response, a SPIFFE bundle document, the files of
/// a file source, or a caller constructing a bundle) may hold. Each bound is far above what a real deployment
/// reaches, so it never rejects real material, and low enough that everything done per item (parsing, checking,
/// indexing, the work per TLS handshake) stays small when an agent, a bundle endpoint or a file is hostile or broken.
/// Input over a bound is refused as a whole, with an error that names the bound; nothing is truncated.
/// </summary>
public static class SpiffeLimits
{
    /// <summary>
    /// The most CA certificates one trust domain's X.509 bundle may hold: 1,000. A SPIRE bundle holds a handful of
    /// CAs (the current one, the next prepared for rotation, a few old ones until the SVIDs they signed expire), a
    /// few dozen while several servers of a cluster rotate at once or an upstream authority is being replaced. A
    /// thousand leaves room for the largest hand-assembled bundles while capping the parse and index work on a hostile
    /// bundle (about 14,000 CAs fit in the 4 MiB message limit).
    /// </summary>
    public const int MaxBundleAuthorities = 1000;

    /// <summary>
    /// The most intermediate CA certificates an X.509-SVID chain may carry between the leaf and the bundle: 32. SPIRE
    /// chains carry none to three (an upstream authority, a nested SPIRE server per level of nesting); deployments
    /// nest a few levels at most. Thirty-two bounds the chain-building work a peer or an agent can cause, and sits
    /// well below OpenSSL's default verification depth of 100.
    /// </summary>
    public const int MaxSvidIntermediates = 32;

    /// <summary>
    /// The most JWT authorities (keys) one trust domain's JWT bundle may hold: 1,000. SPIRE keeps the current signing
    /// key and the prepared and retired ones until their tokens expire: a handful, a few dozen during rotations of
    /// several servers. The bound matches <see cref="MaxBundleAuthorities"/> and caps the cost of building the keys
    /// from JSON (an RSA key per entry) on a hostile bundle.
    /// </summary>
    public const int MaxJwtAuthorities = 1000;

    /// <summary>
    /// The most keys a JWT-SVID without <c>kid</c> is tried against: 16 of the keys that fit its <c>alg</c> (key type
    /// and curve). The JWT-SVID specification makes <c>kid</c> optional, but SPIRE always sets it; a token without it
    /// is verified only when the <c>sub</c>'s bundle holds at most this many fitting keys, and refused otherwise
    /// without trying any, so one unauthenticated token costs at most 16 signature checks however large the bundle is.
    /// </summary>
    public const int MaxJwtKeysTriedWithoutKeyId = 16;

    /// <summary>
    /// The largest JWT bundle file (a SPIFFE bundle or JWK Set) a file source reads: 4 MiB, the Workload API's default
    /// message limit. A thousand RSA-4096 keys take about 1 MiB; a file over the limit is refused without being read,
    /// so a runaway or hostile file cannot make the process allocate without bound.
    /// </summary>
    public const int MaxJwtBundleFileBytes = 4 * 1024 * 1024;

    /// <summary>
    /// The most bytes a bundle endpoint's answer (a SPIFFE bundle document) may hold: 4 MiB, the Workload API's message
    /// limit. A real bundle is a few kilobytes; a document with <see cref="MaxBundleAuthorities"/> RSA-4096 CAs and as
    /// many JWT keys stays under it. Reading stops at the limit (a declared larger length is refused before reading),
    /// so a hostile or broken endpoint cannot make a relying party buffer an unbounded body.
    /// </summary>
    public const int MaxBundleDocumentBytes = 4 * 1024 * 1024;

    internal static string X509BundleOverLimit(object owner, int count) =>
        $"X.509 bundle for {owner} has {count} CA certificates, over the limit of {MaxBundleAuthorities} ({nameof(MaxBundleAuthorities)})";

    internal static string ChainOverLimit(int count) =>
        $"X.509-SVID chain has {count} intermediate certificates, over the limit of {MaxSvidIntermediates} ({nameof(MaxSvidIntermediates)})";

    internal static string BundleDocumentOverLimit(object endpoint, long? declaredBytes) =>
        $"the bundle endpoint {endpoint} {(declaredBytes is { } declared ? $"declared a body of {declared} bytes" : "sent a longer body")}, over the limit of {MaxBundleDocumentBytes} bytes ({nameof(MaxBundleDocumentBytes)})";

    internal static string JwtBundleOverLimit(object owner, int count) =>
        $"JWT bundle for {owner} has {count} keys, over the limit of {MaxJwtAuthorities} ({nameof(MaxJwtAuthorities)})";
}
