using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace Mtls.Testing.Certificates;

/// <summary>
/// Builds an X.509 version 1 certificate (no extensions at all, so no basic constraints and no key usage), signed by
/// a CA. .NET's <see cref="CertificateRequest"/> only writes version 3 certificates, so BouncyCastle does this one:
/// a v1 certificate in the middle of a chain is a classic way to slip a non-CA in as a signer.
/// </summary>
internal static class Version1Signer
{
    /// <summary>A v1 certificate for a fresh P-256 key, signed by <paramref name="issuer"/> (which holds its private key).</summary>
    internal static X509Certificate2 Create(X509Certificate2 issuer, string subject, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var generator = new X509V1CertificateGenerator();
        generator.SetSerialNumber(new BigInteger(1, RandomNumberGenerator.GetBytes(16)));
        generator.SetIssuerDN(X509Name.GetInstance(Asn1Object.FromByteArray(issuer.SubjectName.RawData)));
        generator.SetSubjectDN(X509Name.GetInstance(Asn1Object.FromByteArray(new X500DistinguishedName(subject).RawData)));
        generator.SetNotBefore(notBefore.UtcDateTime);
        generator.SetNotAfter(notAfter.UtcDateTime);
        generator.SetPublicKey(PublicKeyFactory.CreateKey(key.ExportSubjectPublicKeyInfo()));
        var certificate = generator.Generate(new Asn1SignatureFactory(SignatureAlgorithm(issuer), IssuerKey(issuer)));
        using var publicOnly = X509CertificateLoader.LoadCertificate(certificate.GetEncoded());
        return publicOnly.CopyWithPrivateKey(key);
    }

    private static string SignatureAlgorithm(X509Certificate2 issuer) =>
        issuer.GetECDsaPublicKey() is not null ? "SHA256WITHECDSA" : "SHA256WITHRSA";

    private static Org.BouncyCastle.Crypto.AsymmetricKeyParameter IssuerKey(X509Certificate2 issuer)
    {
        using AsymmetricAlgorithm key = (AsymmetricAlgorithm?)issuer.GetECDsaPrivateKey() ?? issuer.GetRSAPrivateKey()
            ?? throw new ArgumentException("issuer has no EC or RSA private key", nameof(issuer));
        return PrivateKeyFactory.CreateKey(key.ExportPkcs8PrivateKey());
    }
}
