using System.Security.Cryptography;

namespace Mtls.Core.Tests.X509;

/// <summary>Re-encodes the test CA's PKCS#8 keys into the other formats an SVID key may arrive in.</summary>
internal static class KeyEncodings
{
    internal static byte[] Encode(byte[] pkcs8, KeyFormat format)
    {
        switch (format)
        {
            case KeyFormat.Pkcs8Der:
                return pkcs8;
            case KeyFormat.Pkcs8Pem:
                return Pem("PRIVATE KEY", pkcs8);
            case KeyFormat.LegacyDer:
            case KeyFormat.LegacyPem:
                using (var key = Import(pkcs8))
                {
                    (string label, byte[] der) = key switch
                    {
                        ECDsa ec => ("EC PRIVATE KEY", ec.ExportECPrivateKey()),
                        RSA rsa => ("RSA PRIVATE KEY", rsa.ExportRSAPrivateKey()),
                        _ => throw new InvalidOperationException(key.GetType().Name),
                    };
                    return format == KeyFormat.LegacyDer ? der : Pem(label, der);
                }

            default:
                throw new ArgumentOutOfRangeException(nameof(format));
        }
    }

    internal static bool IsPem(KeyFormat format) => format is KeyFormat.Pkcs8Pem or KeyFormat.LegacyPem;

    private static byte[] Pem(string label, byte[] der) => System.Text.Encoding.ASCII.GetBytes(PemEncoding.WriteString(label, der) + "\n");

    private static AsymmetricAlgorithm Import(byte[] pkcs8)
    {
        var ec = ECDsa.Create();
        try
        {
            ec.ImportPkcs8PrivateKey(pkcs8, out _);
            return ec;
        }
        catch (CryptographicException)
        {
            ec.Dispose();
            var rsa = RSA.Create();
            rsa.ImportPkcs8PrivateKey(pkcs8, out _);
            return rsa;
        }
    }
}
