using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mtls.Identity;
using Mtls.X509;

namespace Mtls.Bundles;

/// <summary>
/// The X.509 authorities (CA certificates) of one trust domain. Immutable: <see cref="WithAuthority"/> and
/// <see cref="WithoutAuthority"/> return new bundles. An empty bundle is valid and trusts nothing. A bundle holds
/// at most <see cref="SpiffeLimits.MaxBundleAuthorities"/> authorities.
/// </summary>
public sealed class X509Bundle
{
    private readonly X509Certificate2[] _authorities;
    private X509AuthorityIndex? _index;

    /// <summary>Creates a bundle for <paramref name="trustDomain"/> holding <paramref name="authorities"/>.</summary>
    /// <exception cref="ArgumentException">
    /// There are more distinct authorities than <see cref="SpiffeLimits.MaxBundleAuthorities"/>.
    /// </exception>
    public X509Bundle(TrustDomain trustDomain, IEnumerable<X509Certificate2> authorities)
    {
        ArgumentNullException.ThrowIfNull(trustDomain);
        ArgumentNullException.ThrowIfNull(authorities);
        TrustDomain = trustDomain;
        _authorities = Distinct(authorities);
        if (_authorities.Length > SpiffeLimits.MaxBundleAuthorities)
        {
            throw new ArgumentException(SpiffeLimits.X509BundleOverLimit(trustDomain, _authorities.Length), nameof(authorities));
        }
    }

    /// <summary>The trust domain these authorities vouch for.</summary>
    public TrustDomain TrustDomain { get; }

    /// <summary>The CA certificates, without duplicates, in the order first given.</summary>
    public IReadOnlyList<X509Certificate2> Authorities => _authorities;

    /// <summary>True when the bundle holds no authority (it then trusts nothing).</summary>
    public bool IsEmpty => _authorities.Length == 0;

    /// <summary>The authorities indexed by subject name and key identifier, built once on first use.</summary>
    internal X509AuthorityIndex Index => LazyInitializer.EnsureInitialized(ref _index, () => new X509AuthorityIndex(_authorities));

    /// <summary>Parses concatenated DER certificates (the Workload API's bundle encoding).</summary>
    /// <exception cref="CryptographicException">
    /// The bytes are not a sequence of DER certificates, or hold more than <see cref="SpiffeLimits.MaxBundleAuthorities"/>
    /// (counted before any is decoded).
    /// </exception>
    public static X509Bundle FromDer(TrustDomain trustDomain, ReadOnlySpan<byte> der)
    {
        ArgumentNullException.ThrowIfNull(trustDomain);
        int count = CertificateEncoding.CountConcatenatedDer(der);
        if (count > SpiffeLimits.MaxBundleAuthorities)
        {
            throw new CryptographicException(SpiffeLimits.X509BundleOverLimit(trustDomain, count));
        }

        return Create(trustDomain, CertificateEncoding.ParseConcatenatedDer(der, "bundle"));
    }

    /// <summary>Parses PEM <c>CERTIFICATE</c> blocks; other PEM blocks are ignored.</summary>
    /// <exception cref="CryptographicException">
    /// A certificate block does not decode, or there are more than <see cref="SpiffeLimits.MaxBundleAuthorities"/>
    /// (counted before any is decoded).
    /// </exception>
    public static X509Bundle FromPem(TrustDomain trustDomain, string pem)
    {
        ArgumentNullException.ThrowIfNull(trustDomain);
        ArgumentNullException.ThrowIfNull(pem);
        int count = CertificateEncoding.CountPemCertificates(pem);
        if (count > SpiffeLimits.MaxBundleAuthorities)
        {
            throw new CryptographicException(SpiffeLimits.X509BundleOverLimit(trustDomain, count));
        }

        return Create(trustDomain, CertificateEncoding.ParsePemCertificates(pem));
    }

    /// <summary>Reads a PEM file (e.g. cert-manager's <c>ca.crt</c>).</summary>
    public static X509Bundle FromPemFile(TrustDomain trustDomain, string path) =>
        FromPem(trustDomain, File.ReadAllText(path));

    /// <summary>True when the bundle holds a certificate with the same raw bytes.</summary>
    public bool Contains(X509Certificate2 authority)
    {
        ArgumentNullException.ThrowIfNull(authority);
        return Array.Exists(_authorities, a => a.RawDataMemory.Span.SequenceEqual(authority.RawDataMemory.Span));
    }

    /// <summary>A bundle with <paramref name="authority"/> added (this one unchanged).</summary>
    public X509Bundle WithAuthority(X509Certificate2 authority)
    {
        ArgumentNullException.ThrowIfNull(authority);
        return new X509Bundle(TrustDomain, [.. _authorities, authority]);
    }

    /// <summary>A bundle without <paramref name="authority"/> (compared by raw bytes; this one unchanged).</summary>
    public X509Bundle WithoutAuthority(X509Certificate2 authority)
    {
        ArgumentNullException.ThrowIfNull(authority);
        return new X509Bundle(
            TrustDomain,
            _authorities.Where(a => !a.RawDataMemory.Span.SequenceEqual(authority.RawDataMemory.Span)));
    }

    /// <summary>The authorities as concatenated DER.</summary>
    public byte[] ToDer() => [.. _authorities.SelectMany(a => a.RawData)];

    /// <summary>The authorities as PEM <c>CERTIFICATE</c> blocks.</summary>
    public string ToPem() => string.Concat(_authorities.Select(a => a.ExportCertificatePem() + "\n"));

    /// <summary>The constructor for parsed certificates: a duplicate-free count over the limit still disposes them.</summary>
    private static X509Bundle Create(TrustDomain trustDomain, List<X509Certificate2> certificates)
    {
        try
        {
            return new X509Bundle(trustDomain, certificates);
        }
        catch (ArgumentException e)
        {
            CertificateEncoding.DisposeAll(certificates);
            throw new CryptographicException(e.Message, e);
        }
    }

    private static X509Certificate2[] Distinct(IEnumerable<X509Certificate2> authorities)
    {
        // Hashing keeps this linear: comparing each certificate with every earlier one was quadratic in the size
        // of a (possibly hostile) bundle.
        var result = new List<X509Certificate2>();
        var seen = new HashSet<X509Certificate2>(RawDataComparer.Instance);
        foreach (var authority in authorities)
        {
            ArgumentNullException.ThrowIfNull(authority, nameof(authorities));
            if (seen.Add(authority))
            {
                result.Add(authority);
            }
        }

        return [.. result];
    }

    private sealed class RawDataComparer : IEqualityComparer<X509Certificate2>
    {
        internal static readonly RawDataComparer Instance = new();

        public bool Equals(X509Certificate2? x, X509Certificate2? y) =>
            x is not null && y is not null && x.RawDataMemory.Span.SequenceEqual(y.RawDataMemory.Span);

        public int GetHashCode(X509Certificate2 obj)
        {
            var hash = new HashCode();
            hash.AddBytes(obj.RawDataMemory.Span);
            return hash.ToHashCode();
        }
    }
}
