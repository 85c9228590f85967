namespace Mtls.Core.Tests.X509;

/// <summary>Private key encodings: PKCS#8, or the legacy SEC1 (EC) / PKCS#1 (RSA) form; DER or PEM.</summary>
public enum KeyFormat
{
    Pkcs8Der,
    Pkcs8Pem,
    LegacyDer,
    LegacyPem,
}
