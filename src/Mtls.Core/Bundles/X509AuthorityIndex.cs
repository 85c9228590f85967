using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Mtls.Bundles;

/// <summary>
/// A bundle's authorities by subject name, so that verifying a peer hands the chain builder only the authorities that
/// could have issued the presented chain rather than the whole bundle. .NET copies every
/// <see cref="X509ChainPolicy.CustomTrustStore"/> certificate into a fresh native store on every build, so a build
/// against a whole bundle costs time in proportion to the bundle (about 45 ms at 1,000 CAs, against 0.3 ms for one).
/// </summary>
/// <remarks>
/// The candidates are a superset of every authority a path could use: chain building links a certificate to an issuer
/// by name (compared here without regard to case or string type, looser than OpenSSL's canonical comparison), and
/// where both key identifiers are present they must agree (OpenSSL's issuer check rejects a mismatch the same way).
/// Candidates that are not self-issued pull in their own issuers from the bundle, so a path through an intermediate
/// held in the bundle is still found. A chain that verifies against the candidates verifies against the bundle, and
/// the other way round.
/// </remarks>
internal sealed class X509AuthorityIndex
{
    private readonly Dictionary<string, Entry[]> _bySubject;

    internal X509AuthorityIndex(IReadOnlyList<X509Certificate2> authorities)
    {
        var map = new Dictionary<string, List<Entry>>(StringComparer.OrdinalIgnoreCase);
        foreach (var authority in authorities)
        {
            string subject = authority.SubjectName.Name;
            if (!map.TryGetValue(subject, out var list))
            {
                map[subject] = list = [];
            }

            list.Add(new Entry(authority, SubjectKeyId(authority), IsSelfIssued(authority)));
        }

        _bySubject = map.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The authorities that could issue <paramref name="leaf"/> or any of <paramref name="intermediates"/>, and the
    /// authorities that could issue those in turn. Empty when none could (the build then fails as untrusted).
    /// </summary>
    internal X509Certificate2Collection Candidates(X509Certificate2 leaf, IReadOnlyList<X509Certificate2> intermediates)
    {
        var result = new X509Certificate2Collection();

        // By reference: X509Certificate2.Equals compares issuer and serial number, which two distinct authorities may share.
        var added = new HashSet<X509Certificate2>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<X509Certificate2>();
        pending.Push(leaf);
        foreach (var intermediate in intermediates)
        {
            pending.Push(intermediate);
        }

        // Each authority enters the result (and the stack) at most once, so this ends after at most bundle-size steps.
        while (pending.TryPop(out var child))
        {
            if (!_bySubject.TryGetValue(child.IssuerName.Name, out var issuers))
            {
                continue;
            }

            byte[]? authorityKeyId = null;
            bool authorityKeyIdRead = false;
            foreach (var issuer in issuers)
            {
                if (issuer.SubjectKeyId is not null)
                {
                    if (!authorityKeyIdRead)
                    {
                        authorityKeyId = AuthorityKeyId(child);
                        authorityKeyIdRead = true;
                    }

                    if (authorityKeyId is not null && !authorityKeyId.AsSpan().SequenceEqual(issuer.SubjectKeyId))
                    {
                        continue;
                    }
                }

                if (added.Add(issuer.Certificate))
                {
                    result.Add(issuer.Certificate);
                    if (!issuer.SelfIssued)
                    {
                        pending.Push(issuer.Certificate);
                    }
                }
            }
        }

        return result;
    }

    // A key identifier that cannot be read filters nothing: the candidates only ever grow, so the result stays a superset.
    private static byte[]? SubjectKeyId(X509Certificate2 certificate)
    {
        try
        {
            return certificate.Extensions["2.5.29.14"] switch
            {
                X509SubjectKeyIdentifierExtension ski => ski.SubjectKeyIdentifierBytes.ToArray(),
                { } other => new X509SubjectKeyIdentifierExtension(other, other.Critical).SubjectKeyIdentifierBytes.ToArray(),
                null => null,
            };
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static byte[]? AuthorityKeyId(X509Certificate2 certificate)
    {
        try
        {
            var aki = certificate.Extensions["2.5.29.35"] switch
            {
                X509AuthorityKeyIdentifierExtension typed => typed,
                { } other => new X509AuthorityKeyIdentifierExtension(other.RawData, other.Critical),
                null => null,
            };
            return aki?.KeyIdentifier?.ToArray();
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static bool IsSelfIssued(X509Certificate2 certificate) =>
        string.Equals(certificate.SubjectName.Name, certificate.IssuerName.Name, StringComparison.OrdinalIgnoreCase);

    private sealed record Entry(X509Certificate2 Certificate, byte[]? SubjectKeyId, bool SelfIssued);
}
