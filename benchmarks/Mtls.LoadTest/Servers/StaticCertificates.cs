using System.Security.Cryptography.X509Certificates;

namespace Mtls.LoadTest.Servers;

/// <summary>
/// The "raw mTLS" baseline's material, read once from a directory of <c>tls.crt</c>, <c>tls.key</c> and <c>ca.crt</c>:
/// the leaf with its key, the intermediates, and a custom-root chain policy trusting <c>ca.crt</c> only (with the
/// intermediates as extra certificates). No SPIFFE logic.
/// </summary>
internal sealed record StaticCertificates(X509Certificate2 Leaf, X509Certificate2Collection Intermediates, X509ChainPolicy Policy)
{
    internal static StaticCertificates Load(string directory)
    {
        string chainPath = Path.Combine(directory, "tls.crt");
        using var ephemeral = X509Certificate2.CreateFromPemFile(chainPath, Path.Combine(directory, "tls.key"));

        // A PKCS#12 round trip gives the key a form every TLS stack accepts (tls-pitfalls: ephemeral PEM keys).
        var leaf = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
        var chain = new X509Certificate2Collection();
        chain.ImportFromPemFile(chainPath);
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        policy.CustomTrustStore.ImportFromPemFile(Path.Combine(directory, "ca.crt"));

        // The CA's intermediates, configured as a hand-written server would: a resumed TLS session carries the peer's
        // leaf alone, and without them the chain of every resumed client fails.
        X509Certificate2Collection intermediates = [.. chain.Skip(1)];
        policy.ExtraStore.AddRange(intermediates);
        return new StaticCertificates(leaf, intermediates, policy);
    }
}
