using Mtls.Bundles;
using Mtls.Testing.Certificates;
using Mtls.X509;

namespace Mtls.Core.Tests.X509;

public sealed class X509SvidVerifierTests : IDisposable
{
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create("example.org");
    private readonly TestCertificateAuthority _other = TestCertificateAuthority.Create("other.org");

    [Fact]
    public void Returns_peer_id_for_chain_through_sent_intermediate()
    {
        var issued = _ca.Issue("spiffe://example.org/web");
        using var leaf = issued.LoadLeaf();
        var verifier = new X509SvidVerifier(new X509BundleSet([_ca.CreateBundle()]));

        var id = verifier.Verify(leaf, issued.LoadIntermediates());

        Assert.Equal("spiffe://example.org/web", id.ToString());
    }

    [Fact]
    public void Rejects_chain_signed_by_another_trust_domains_root()
    {
        var issued = _other.Issue("spiffe://example.org/web");
        using var leaf = issued.LoadLeaf();
        var verifier = new X509SvidVerifier(new X509BundleSet([_ca.CreateBundle(), _other.CreateBundle()]));

        var error = Assert.Throws<X509SvidException>(() => verifier.Verify(leaf, issued.LoadIntermediates()));

        Assert.Equal(X509SvidRule.ChainNotTrusted, error.Rule);
    }

    public void Dispose()
    {
        _ca.Dispose();
        _other.Dispose();
    }
}
