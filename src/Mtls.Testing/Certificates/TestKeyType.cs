namespace Mtls.Testing.Certificates;

/// <summary>Key types the test CA can issue.</summary>
public enum TestKeyType
{
    /// <summary>ECDSA on NIST P-256 (what SPIRE issues by default).</summary>
    EcP256,

    /// <summary>ECDSA on NIST P-384.</summary>
    EcP384,

    /// <summary>RSA 2048.</summary>
    Rsa2048,

    /// <summary>RSA 3072.</summary>
    Rsa3072,
}
