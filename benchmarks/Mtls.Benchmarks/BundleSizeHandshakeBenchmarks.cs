using BenchmarkDotNet.Attributes;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.Testing.Certificates;
using Mtls.Tls;
using Mtls.X509;

namespace Mtls.Benchmarks;

/// <summary>
/// What a bundle's size costs per connection: a full mutual TLS handshake over loopback TCP (server options from
/// <see cref="SpiffeTlsServer"/>, client from <see cref="SpiffeTlsClient"/>, both verifying
/// the peer) and <see cref="X509SvidVerifier.Verify"/> alone, with a bundle of one CA against a bundle at
/// <see cref="SpiffeLimits.MaxBundleAuthorities"/>. The padding CAs carry the real root's subject name (only the key
/// identifiers tell them apart), the worst case for an index by name. Goal: the ratio stays a small constant.
/// </summary>
[MemoryDiagnoser]
public class BundleSizeHandshakeBenchmarks
{
    private TestCertificateAuthority _ca = null!;
    private LoopbackTlsPair _pair = null!;
    private X509SvidVerifier _verifier = null!;
    private System.Security.Cryptography.X509Certificates.X509Certificate2 _leaf = null!;
    private System.Security.Cryptography.X509Certificates.X509Certificate2Collection _intermediates = null!;

    /// <summary>How many CA certificates the trust domain's bundle holds.</summary>
    [Params(1, SpiffeLimits.MaxBundleAuthorities)]
    public int Authorities { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _ca = TestCertificateAuthority.Create("example.org");
        var bundle = _ca.CreateBundle();
        foreach (var extra in _ca.CreateExtraRoots(Authorities - 1, sameSubjectAsRoot: true))
        {
            bundle = bundle.WithAuthority(extra);
        }

        var bundles = new X509BundleSet([bundle]);
        _pair = new LoopbackTlsPair(_ca, bundles);

        var issued = _ca.Issue("spiffe://example.org/peer");
        _leaf = issued.LoadLeaf();
        _intermediates = issued.LoadIntermediates();
        _verifier = new X509SvidVerifier(bundles);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pair.Dispose();
        _ca.Dispose();
    }

    [Benchmark(Description = "mTLS handshake over loopback")]
    public Task Handshake() => _pair.HandshakeAsync();

    [Benchmark(Description = "X509SvidVerifier.Verify")]
    public SpiffeId Verify() => _verifier.Verify(_leaf, _intermediates);
}
