using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mtls.Identity;

namespace Mtls.X509;

/// <summary>
/// An X.509-SVID: a SPIFFE ID, the leaf certificate carrying it (with its private key), and the intermediates
/// up to the trust domain's authority. An instance that exists satisfies every X509-SVID rule and its key matches
/// the leaf. Owns its certificates: dispose it when it is no longer used.
/// </summary>
public sealed class X509Svid : IDisposable
{
    private readonly X509Certificate2[] _intermediates;

    private X509Svid(SpiffeId id, X509Certificate2 certificate, X509Certificate2[] intermediates, string? hint)
    {
        Id = id;
        Certificate = certificate;
        _intermediates = intermediates;
        Hint = hint;
    }

    /// <summary>The SPIFFE ID in the leaf's URI SAN.</summary>
    public SpiffeId Id { get; }

    /// <summary>The leaf certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The intermediate CA certificates, from the one that signed the leaf upwards.</summary>
    public IReadOnlyList<X509Certificate2> Intermediates => _intermediates;

    /// <summary>The Workload API's hint for choosing among several SVIDs (e.g. "internal"), if any.</summary>
    public string? Hint { get; }

    /// <summary>When the leaf stops being valid.</summary>
    public DateTimeOffset NotAfter => new(Certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);

    /// <summary>When the leaf became valid.</summary>
    public DateTimeOffset NotBefore => new(Certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero);

    /// <summary>
    /// Parses the Workload API encoding: concatenated DER certificates (leaf first) and a DER private key
    /// (PKCS#8; SEC1 EC and PKCS#1 RSA are accepted too).
    /// </summary>
    /// <exception cref="X509SvidException">
    /// A rule is broken, or the chain has more than <see cref="SpiffeLimits.MaxSvidIntermediates"/> intermediates;
    /// <see cref="X509SvidException.Rule"/> says which.
    /// </exception>
    public static X509Svid Parse(ReadOnlySpan<byte> certificatesDer, ReadOnlySpan<byte> privateKeyDer, string? hint = null)
    {
        CheckChainLength(CertificateEncoding.CountConcatenatedDer(certificatesDer));
        List<X509Certificate2> chain;
        try
        {
            chain = CertificateEncoding.ParseConcatenatedDer(certificatesDer, "X509-SVID");
        }
        catch (CryptographicException e)
        {
            throw new X509SvidException(X509SvidRule.MalformedCertificate, e.Message, e);
        }

        try
        {
            CheckRules(chain, out var id);
            return Create(id, chain, PrivateKeyLoader.AttachDer(chain[0], privateKeyDer), hint);
        }
        finally
        {
            CertificateEncoding.DisposeAll(chain);
        }
    }

    /// <summary>Parses PEM: the certificate chain (leaf first) and the private key (PKCS#8, SEC1 or PKCS#1).</summary>
    /// <exception cref="X509SvidException">
    /// A rule is broken, or the chain has more than <see cref="SpiffeLimits.MaxSvidIntermediates"/> intermediates;
    /// <see cref="X509SvidException.Rule"/> says which.
    /// </exception>
    public static X509Svid ParsePem(string certificatesPem, string privateKeyPem, string? hint = null)
    {
        ArgumentNullException.ThrowIfNull(certificatesPem);
        ArgumentNullException.ThrowIfNull(privateKeyPem);
        CheckChainLength(CertificateEncoding.CountPemCertificates(certificatesPem));
        List<X509Certificate2> chain;
        try
        {
            chain = CertificateEncoding.ParsePemCertificates(certificatesPem);
        }
        catch (CryptographicException e)
        {
            throw new X509SvidException(X509SvidRule.MalformedCertificate, e.Message, e);
        }

        try
        {
            CheckRules(chain, out var id);
            return Create(id, chain, PrivateKeyLoader.AttachPem(chain[0], privateKeyPem), hint);
        }
        finally
        {
            CertificateEncoding.DisposeAll(chain);
        }
    }

    /// <summary>Reads PEM files, e.g. cert-manager's <c>tls.crt</c> and <c>tls.key</c>.</summary>
    /// <exception cref="X509SvidException">A rule is broken.</exception>
    public static X509Svid LoadPemFiles(string certificatesPath, string privateKeyPath) =>
        ParsePem(File.ReadAllText(certificatesPath), File.ReadAllText(privateKeyPath));

    /// <summary>The leaf followed by the intermediates: what a TLS peer is sent.</summary>
    public X509Certificate2Collection GetChain() => [Certificate, .. _intermediates];

    /// <summary>The certificate chain as PEM (leaf first). The private key is never exported by this type.</summary>
    public string ChainToPem() => string.Concat(GetChain().Select(c => c.ExportCertificatePem() + "\n"));

    /// <summary>Releases the certificates and the private key.</summary>
    public void Dispose()
    {
        Certificate.Dispose();
        CertificateEncoding.DisposeAll(_intermediates);
    }

    /// <inheritdoc />
    public override string ToString() => $"X509Svid({Id}, expires {NotAfter:u})";

    /// <summary>Refuses an over-long chain from its count alone, before any certificate is decoded.</summary>
    private static void CheckChainLength(int certificates)
    {
        if (certificates - 1 > SpiffeLimits.MaxSvidIntermediates)
        {
            throw new X509SvidException(X509SvidRule.TooManyIntermediates, SpiffeLimits.ChainOverLimit(certificates - 1));
        }
    }

    private static void CheckRules(List<X509Certificate2> chain, out SpiffeId id)
    {
        if (chain.Count == 0)
        {
            throw new X509SvidException(X509SvidRule.MalformedCertificate, "X509-SVID has no certificate");
        }

        var leafError = SvidCertificateRules.CheckLeaf(chain[0], out var leafId);
        if (leafError is not null)
        {
            throw leafError;
        }

        foreach (var signing in chain.Skip(1))
        {
            var error = SvidCertificateRules.CheckSigning(signing);
            if (error is not null)
            {
                throw error;
            }
        }

        id = leafId!;
    }

    private static X509Svid Create(SpiffeId id, List<X509Certificate2> chain, X509Certificate2 leafWithKey, string? hint)
    {
        var intermediates = chain.Skip(1).Select(c => X509CertificateLoader.LoadCertificate(c.RawDataMemory.Span)).ToArray();
        return new X509Svid(id, leafWithKey, intermediates, string.IsNullOrEmpty(hint) ? null : hint);
    }
}
