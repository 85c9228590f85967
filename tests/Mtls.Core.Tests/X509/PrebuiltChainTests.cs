using System.Security.Cryptography.X509Certificates;
using Mtls.Bundles;
using Mtls.Testing.Certificates;
using Mtls.X509;

namespace Mtls.Core.Tests.X509;

/// <summary>
/// The handshake path reuses the chain SslStream built against every bundle's roots; it must accept exactly what a
/// build against the peer's own trust domain would.
/// </summary>
public sealed class PrebuiltChainTests : IDisposable
{
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create("example.org");
    private readonly TestCertificateAuthority _other = TestCertificateAuthority.Create("other.org");

    [Fact]
    public void Accepts_prebuilt_chain_ending_at_a_root_of_the_peers_trust_domain()
    {
        var issued = _ca.Issue("spiffe://example.org/web");
        using var leaf = issued.LoadLeaf();
        using var chain = BuildAgainstAllRoots(leaf, issued);

        bool ok = Verifier().TryVerifyPrebuilt(leaf, chain, out var id, out var error);

        Assert.True(ok, error?.Message);
        Assert.Equal("spiffe://example.org/web", id!.ToString());
    }

    [Fact]
    public void Rejects_prebuilt_chain_ending_at_another_trust_domains_root()
    {
        // other.org's CA signs a leaf claiming example.org: the union-of-roots chain is clean, but ends in other.org.
        var issued = _other.Issue("spiffe://example.org/web");
        using var leaf = issued.LoadLeaf();
        using var chain = BuildAgainstAllRoots(leaf, issued);
        Assert.DoesNotContain(chain.ChainStatus, s => s.Status != X509ChainStatusFlags.NoError);

        bool ok = Verifier().TryVerifyPrebuilt(leaf, chain, out _, out var error);

        Assert.False(ok);
        Assert.Equal(X509SvidRule.ChainNotTrusted, error!.Rule);
    }

    [Fact]
    public void Rejects_prebuilt_chain_with_a_leaf_rule_broken()
    {
        var issued = _ca.Issue("spiffe://example.org/web", new SvidSpec { IsCa = true });
        using var leaf = issued.LoadLeaf();
        using var chain = BuildAgainstAllRoots(leaf, issued);

        bool ok = Verifier().TryVerifyPrebuilt(leaf, chain, out _, out var error);

        Assert.False(ok);
        Assert.Equal(X509SvidRule.LeafIsCa, error!.Rule);
    }

    [Fact]
    public void Rejects_prebuilt_chain_that_did_not_verify()
    {
        using var stranger = TestCertificateAuthority.Create("example.org");
        var issued = stranger.Issue("spiffe://example.org/web");
        using var leaf = issued.LoadLeaf();
        using var chain = BuildAgainstAllRoots(leaf, issued);

        bool ok = Verifier().TryVerifyPrebuilt(leaf, chain, out _, out var error);

        Assert.False(ok);
        Assert.Equal(X509SvidRule.ChainNotTrusted, error!.Rule);
    }

    public void Dispose()
    {
        _ca.Dispose();
        _other.Dispose();
    }

    private X509SvidVerifier Verifier() => new(new X509BundleSet([_ca.CreateBundle(), _other.CreateBundle()]));

    private X509Chain BuildAgainstAllRoots(X509Certificate2 leaf, IssuedSvid issued)
    {
        var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.Add(_ca.Root);
        chain.ChainPolicy.CustomTrustStore.Add(_other.Root);
        chain.ChainPolicy.ExtraStore.AddRange(issued.LoadIntermediates());
        chain.Build(leaf);
        return chain;
    }
}
