using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using Mtls.Authorization;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.Testing.Certificates;
using Mtls.Tls;
using Mtls.X509;

namespace Mtls.Benchmarks;

/// <summary>
/// Verifying a peer's X.509-SVID (leaf + intermediate against the root of its trust domain's bundle), against a
/// bare <see cref="X509Chain.Build"/> with custom root trust over the same certificates as the baseline: the
/// verifier alone, and <see cref="PeerVerification.Validate"/>, what the TLS validation callback runs (verify,
/// then authorize), fed the way SslStream feeds it (the peer's intermediates in the chain's extra store).
/// </summary>
[MemoryDiagnoser]
public class ChainVerificationBenchmarks
{
    private TestCertificateAuthority _ca = null!;
    private X509Certificate2 _leaf = null!;
    private X509Certificate2Collection _intermediates = null!;
    private X509Certificate2Collection _roots = null!;
    private X509SvidVerifier _verifier = null!;
    private X509BundleSet _bundles = null!;
    private Authorizer _authorizer = null!;
    private X509Chain _sslStreamChain = null!;

    [GlobalSetup]
    public void Setup()
    {
        _ca = TestCertificateAuthority.Create("example.org");
        var issued = _ca.Issue("spiffe://example.org/ns/payments/sa/checkout-api");
        _leaf = issued.LoadLeaf();
        _intermediates = issued.LoadIntermediates();
        var bundle = _ca.CreateBundle();
        _roots = [.. bundle.Authorities];
        _bundles = new X509BundleSet([bundle]);
        _verifier = new X509SvidVerifier(_bundles);
        _authorizer = Authorizer.MemberOf("example.org");
        _sslStreamChain = new X509Chain();
        _sslStreamChain.ChainPolicy.ExtraStore.AddRange(_intermediates);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sslStreamChain.Dispose();
        _leaf.Dispose();
        foreach (var certificate in _intermediates)
        {
            certificate.Dispose();
        }

        _ca.Dispose();
    }

    [Benchmark(Baseline = true, Description = "X509Chain.Build (CustomRootTrust)")]
    public bool BareChainBuild()
    {
        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        policy.CustomTrustStore.AddRange(_roots);
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.DisableCertificateDownloads = true;
        policy.ExtraStore.AddRange(_intermediates);
        bool built = chain.Build(_leaf);
        foreach (var element in chain.ChainElements)
        {
            element.Certificate.Dispose();
        }

        return built;
    }

    [Benchmark(Description = "X509SvidVerifier.Verify")]
    public SpiffeId Verify() => _verifier.Verify(_leaf, _intermediates);

    [Benchmark(Description = "PeerVerification.Validate (verify + authorize)")]
    public bool PeerVerificationValidate() =>
        PeerVerification.Validate(null, _bundles, _verifier, new VerifiedChains(), _authorizer, _leaf, _sslStreamChain, out _, out _);
}
