using System.Security.Cryptography.X509Certificates;

namespace Mtls.Testing.Certificates;

/// <summary>
/// What the test CA puts into a leaf. The defaults make a valid X.509-SVID; change one property to break exactly
/// one rule for a negative test.
/// </summary>
public sealed record SvidSpec
{
    /// <summary>The URI SANs; null means the single SPIFFE ID given to the issuing call.</summary>
    public IReadOnlyList<string>? UriSans { get; init; }

    /// <summary>DNS SANs (allowed next to the URI SAN).</summary>
    public IReadOnlyList<string> DnsNames { get; init; } = [];

    /// <summary>Sets basic constraints cA=true (a broken leaf).</summary>
    public bool IsCa { get; init; }

    /// <summary>The key usages; a valid leaf has digitalSignature and neither keyCertSign nor cRLSign.</summary>
    public X509KeyUsageFlags KeyUsage { get; init; } = X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.KeyAgreement;

    /// <summary>False leaves out the key usage extension entirely.</summary>
    public bool IncludeKeyUsage { get; init; } = true;

    /// <summary>Subject distinguished name; empty string for an empty Subject.</summary>
    public string Subject { get; init; } = "O=SPIFFE";

    /// <summary>
    /// Whether the SAN extension is critical; null (the default) makes it critical exactly when the Subject is
    /// empty, as the spec requires. Set false with an empty Subject for a broken leaf.
    /// </summary>
    public bool? SanCritical { get; init; }

    /// <summary>Lifetime; ignored when <see cref="NotBefore"/> and <see cref="NotAfter"/> are set.</summary>
    public TimeSpan Ttl { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Explicit start of validity (e.g. in the future for a not-yet-valid leaf).</summary>
    public DateTimeOffset? NotBefore { get; init; }

    /// <summary>Explicit end of validity (e.g. in the past for an expired leaf).</summary>
    public DateTimeOffset? NotAfter { get; init; }

    /// <summary>The leaf's key type.</summary>
    public TestKeyType KeyType { get; init; } = TestKeyType.EcP256;

    /// <summary>The hint carried alongside the SVID by the Workload API.</summary>
    public string? Hint { get; init; }
}
