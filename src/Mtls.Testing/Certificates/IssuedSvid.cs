using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mtls.X509;

namespace Mtls.Testing.Certificates;

/// <summary>
/// The raw material of an issued SVID, in the encodings the Workload API and cert-manager use. Raw so that
/// deliberately broken SVIDs can be handed to the code under test, which must reject them.
/// </summary>
public sealed class IssuedSvid
{
    internal IssuedSvid(byte[][] chainDer, byte[] privateKeyPkcs8, string? hint)
    {
        ChainDer = chainDer;
        PrivateKeyPkcs8 = privateKeyPkcs8;
        Hint = hint;
    }

    /// <summary>Each certificate's DER, leaf first, then intermediates (no root).</summary>
    public IReadOnlyList<byte[]> ChainDer { get; }

    /// <summary>The leaf's private key, PKCS#8 DER.</summary>
    public byte[] PrivateKeyPkcs8 { get; }

    /// <summary>The hint to serve with this SVID.</summary>
    public string? Hint { get; }

    /// <summary>The chain as concatenated DER (the Workload API's <c>x509_svid</c> field).</summary>
    public byte[] CertificatesDer => [.. ChainDer.SelectMany(c => c)];

    /// <summary>The chain as PEM (cert-manager's <c>tls.crt</c>).</summary>
    public string CertificatesPem => string.Concat(ChainDer.Select(c => PemEncoding.WriteString("CERTIFICATE", c) + "\n"));

    /// <summary>The key as PKCS#8 PEM (cert-manager's <c>tls.key</c>).</summary>
    public string PrivateKeyPem => PemEncoding.WriteString("PRIVATE KEY", PrivateKeyPkcs8) + "\n";

    /// <summary>The leaf certificate, without its key. The caller disposes it.</summary>
    public X509Certificate2 LoadLeaf() => X509CertificateLoader.LoadCertificate(ChainDer[0]);

    /// <summary>The intermediates, without keys. The caller disposes them.</summary>
    public X509Certificate2Collection LoadIntermediates() => [.. ChainDer.Skip(1).Select(X509CertificateLoader.LoadCertificate)];

    /// <summary>Parses the material with the library (throws for a broken SVID).</summary>
    public X509Svid ToX509Svid() => X509Svid.Parse(CertificatesDer, PrivateKeyPkcs8, Hint);
}
