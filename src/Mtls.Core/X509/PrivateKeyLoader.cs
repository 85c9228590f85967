using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Mtls.X509;

/// <summary>
/// Attaches a private key (PKCS#8, SEC1 EC or PKCS#1 RSA; DER or PEM) to a leaf certificate, after checking the
/// key matches the certificate's public key. Keys stay in memory: nothing is written to disk.
/// </summary>
internal static class PrivateKeyLoader
{
    private const string EcPublicKeyOid = "1.2.840.10045.2.1";
    private const string RsaPublicKeyOid = "1.2.840.113549.1.1.1";

    internal static X509Certificate2 AttachDer(X509Certificate2 leaf, ReadOnlySpan<byte> keyDer) =>
        Attach(leaf, keyDer, pem: null);

    internal static X509Certificate2 AttachPem(X509Certificate2 leaf, string keyPem) =>
        Attach(leaf, default, keyPem);

    private static X509Certificate2 Attach(X509Certificate2 leaf, ReadOnlySpan<byte> der, string? pem)
    {
        if (der.IsEmpty && string.IsNullOrWhiteSpace(pem))
        {
            throw new X509SvidException(X509SvidRule.KeyMismatch, "private key is missing");
        }

        string? algorithm = leaf.PublicKey.Oid.Value;
        try
        {
            switch (algorithm)
            {
                case EcPublicKeyOid:
                {
                    using var key = ECDsa.Create();
                    if (pem is not null)
                    {
                        key.ImportFromPem(pem);
                    }
                    else
                    {
                        ImportDer(der, key.ImportPkcs8PrivateKey, key.ImportECPrivateKey);
                    }

                    EnsureMatches(leaf, key);
                    return leaf.CopyWithPrivateKey(key);
                }

                case RsaPublicKeyOid:
                {
                    using var key = RSA.Create();
                    if (pem is not null)
                    {
                        key.ImportFromPem(pem);
                    }
                    else
                    {
                        ImportDer(der, key.ImportPkcs8PrivateKey, key.ImportRSAPrivateKey);
                    }

                    EnsureMatches(leaf, key);
                    return leaf.CopyWithPrivateKey(key);
                }

                default:
                    throw new X509SvidException(X509SvidRule.KeyMismatch, $"leaf public key algorithm {algorithm} is not supported; use EC or RSA");
            }
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException && e is not X509SvidException)
        {
            throw new X509SvidException(X509SvidRule.KeyMismatch, $"private key cannot be read as a key for the leaf's {leaf.PublicKey.Oid.FriendlyName} public key: {e.Message}", e);
        }
    }

    private delegate void DerImport(ReadOnlySpan<byte> source, out int bytesRead);

    private static void ImportDer(ReadOnlySpan<byte> der, DerImport pkcs8, DerImport legacy)
    {
        int read;
        try
        {
            pkcs8(der, out read);
        }
        catch (CryptographicException)
        {
            legacy(der, out read);
        }

        if (read != der.Length)
        {
            throw new CryptographicException($"private key has {der.Length - read} trailing bytes");
        }
    }

    private static void EnsureMatches(X509Certificate2 leaf, AsymmetricAlgorithm key)
    {
        if (!leaf.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
        {
            throw new X509SvidException(X509SvidRule.KeyMismatch, "private key does not match the leaf certificate's public key");
        }
    }
}
