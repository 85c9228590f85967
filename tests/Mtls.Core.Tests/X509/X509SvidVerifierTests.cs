using Microsoft.Extensions.Time.Testing;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.Testing.Certificates;
using Mtls.X509;

namespace Mtls.Core.Tests.X509;

public sealed class X509SvidVerifierTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly TestCertificateAuthority _ca;
    private readonly TestCertificateAuthority _other;

    public X509SvidVerifierTests()
    {
        _ca = TestCertificateAuthority.Create("example.org", time: _time);
        _other = TestCertificateAuthority.Create("other.org", time: _time);
    }

    [Fact]
    public void Returns_peer_id_for_chain_through_sent_intermediate()
    {
        var issued = _ca.Issue("spiffe://example.org/web");
        using var leaf = issued.LoadLeaf();

        var id = Verifier().Verify(leaf, issued.LoadIntermediates());

        Assert.Equal("spiffe://example.org/web", id.ToString());
    }

    [Fact]
    public void Returns_peer_id_for_leaf_signed_by_the_root()
    {
        using var ca = TestCertificateAuthority.Create("example.org", withIntermediate: false, time: _time);
        var issued = ca.Issue("spiffe://example.org/web");
        using var leaf = issued.LoadLeaf();

        var id = new X509SvidVerifier(new X509BundleSet([ca.CreateBundle()]), _time).Verify(leaf);

        Assert.Equal("spiffe://example.org/web", id.ToString());
    }

    [Theory]
    [InlineData(TestKeyType.EcP384)]
    [InlineData(TestKeyType.Rsa2048)]
    public void Verifies_leaves_of_other_key_types(TestKeyType keyType)
    {
        var issued = _ca.Issue("spiffe://example.org/web", new SvidSpec { KeyType = keyType });
        using var leaf = issued.LoadLeaf();

        Assert.Equal("spiffe://example.org/web", Verifier().Verify(leaf, issued.LoadIntermediates()).ToString());
    }

    [Fact]
    public void Verifies_each_peer_against_its_own_trust_domains_bundle()
    {
        var ours = _ca.Issue("spiffe://example.org/web");
        var theirs = _other.Issue("spiffe://other.org/api");
        using var ourLeaf = ours.LoadLeaf();
        using var theirLeaf = theirs.LoadLeaf();
        var verifier = Verifier();

        Assert.Equal("spiffe://example.org/web", verifier.Verify(ourLeaf, ours.LoadIntermediates()).ToString());
        Assert.Equal("spiffe://other.org/api", verifier.Verify(theirLeaf, theirs.LoadIntermediates()).ToString());
    }

    [Fact]
    public void Accepts_leaf_with_dns_san()
    {
        var issued = _ca.Issue("spiffe://example.org/web", new SvidSpec { DnsNames = ["web.example.org"] });
        using var leaf = issued.LoadLeaf();

        Assert.Equal("spiffe://example.org/web", Verifier().Verify(leaf, issued.LoadIntermediates()).ToString());
    }

    [Fact]
    public void Accepts_empty_subject_with_critical_san()
    {
        var issued = _ca.Issue("spiffe://example.org/web", new SvidSpec { Subject = "", SanCritical = true });
        using var leaf = issued.LoadLeaf();

        Assert.Equal("spiffe://example.org/web", Verifier().Verify(leaf, issued.LoadIntermediates()).ToString());
    }

    [Fact]
    public void Leaves_the_callers_certificates_usable()
    {
        var issued = _ca.Issue("spiffe://example.org/web");
        using var leaf = issued.LoadLeaf();
        var intermediates = issued.LoadIntermediates();
        var verifier = Verifier();

        verifier.Verify(leaf, intermediates);
        verifier.Verify(leaf, intermediates);

        Assert.Equal(issued.ChainDer[0], leaf.RawData);
        Assert.Equal(issued.ChainDer[1], intermediates[0].RawData);
    }

    [Theory]
    [MemberData(nameof(BrokenLeaves.Names), MemberType = typeof(BrokenLeaves))]
    public void Rejects_peer_leaf_breaking_a_rule(string name)
    {
        var issued = BrokenLeaves.Issue(_ca, name);
        using var leaf = issued.LoadLeaf();

        var error = Assert.Throws<X509SvidException>(() => Verifier().Verify(leaf, issued.LoadIntermediates()));

        Assert.Equal(BrokenLeaves.ExpectedRule(name), error.Rule);
    }

    [Fact]
    public void TryVerify_returns_the_error_instead_of_throwing()
    {
        var issued = BrokenLeaves.Issue(_ca, "two_uri_sans");
        using var leaf = issued.LoadLeaf();

        bool verified = Verifier().TryVerify(leaf, issued.LoadIntermediates(), out var id, out var error);

        Assert.False(verified);
        Assert.Null(id);
        Assert.Equal(X509SvidRule.MultipleUriSans, error!.Rule);
    }

    [Fact]
    public void Rejects_chain_through_signing_certificate_without_ca_flag()
    {
        var issued = _ca.IssueUnderBrokenSigner("spiffe://example.org/web", signerIsCa: false, signerHasKeyCertSign: true);
        using var leaf = issued.LoadLeaf();

        var error = Assert.Throws<X509SvidException>(() => Verifier().Verify(leaf, issued.LoadIntermediates()));

        Assert.Equal(X509SvidRule.SigningCertificateNotCa, error.Rule);
    }

    [Fact]
    public void Rejects_chain_through_version_1_signing_certificate()
    {
        var issued = _ca.IssueUnderVersion1Signer("spiffe://example.org/web");
        using var leaf = issued.LoadLeaf();

        var error = Assert.Throws<X509SvidException>(() => Verifier().Verify(leaf, issued.LoadIntermediates()));

        Assert.Equal(X509SvidRule.SigningCertificateNotCa, error.Rule);
        Assert.Contains("Version 1 signer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_chain_through_signing_certificate_without_key_cert_sign()
    {
        var issued = _ca.IssueUnderBrokenSigner("spiffe://example.org/web", signerIsCa: true, signerHasKeyCertSign: false);
        using var leaf = issued.LoadLeaf();

        var error = Assert.Throws<X509SvidException>(() => Verifier().Verify(leaf, issued.LoadIntermediates()));

        Assert.Equal(X509SvidRule.SigningCertificateMissingKeyCertSign, error.Rule);
    }

    [Fact]
    public void Rejects_chain_through_signing_certificate_whose_id_has_a_path()
    {
        var issued = _ca.IssueUnderBrokenSigner("spiffe://example.org/web", signerIsCa: true, signerHasKeyCertSign: true, signerId: "spiffe://example.org/ca");
        using var leaf = issued.LoadLeaf();

        var error = Assert.Throws<X509SvidException>(() => Verifier().Verify(leaf, issued.LoadIntermediates()));

        Assert.Equal(X509SvidRule.SigningCertificateIdHasPath, error.Rule);
    }

    [Fact]
    public void Accepts_chain_through_two_intermediates()
    {
        var issued = _ca.IssueUnderBrokenSigner("spiffe://example.org/web", signerIsCa: true, signerHasKeyCertSign: true, signerId: "spiffe://example.org");
        using var leaf = issued.LoadLeaf();

        Assert.Equal("spiffe://example.org/web", Verifier().Verify(leaf, issued.LoadIntermediates()).ToString());
    }

    [Fact]
    public void Rejects_expired_leaf()
    {
        var issued = _ca.Issue("spiffe://example.org/web", new SvidSpec { Ttl = TimeSpan.FromHours(1) });
        using var leaf = issued.LoadLeaf();
        _time.Advance(TimeSpan.FromHours(2));

        var error = Assert.Throws<X509SvidException>(() => Verifier().Verify(leaf, issued.LoadIntermediates()));

        Assert.Equal(X509SvidRule.Expired, error.Rule);
        Assert.StartsWith("certificate 'O=SPIFFE' expired at ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_leaf_not_yet_valid()
    {
        var now = _time.GetUtcNow();
        var issued = _ca.Issue("spiffe://example.org/web", new SvidSpec { NotBefore = now.AddHours(1), NotAfter = now.AddHours(2) });
        using var leaf = issued.LoadLeaf();

        var error = Assert.Throws<X509SvidException>(() => Verifier().Verify(leaf, issued.LoadIntermediates()));

        Assert.Equal(X509SvidRule.NotYetValid, error.Rule);
        Assert.StartsWith("certificate 'O=SPIFFE' is not valid before ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Uses_the_injected_clock_for_the_whole_chain()
    {
        var issued = _ca.Issue("spiffe://example.org/web", new SvidSpec { Ttl = TimeSpan.FromDays(200) });
        using var leaf = issued.LoadLeaf();
        // The intermediate lives six months; the leaf outlives it, so only the intermediate has expired.
        _time.Advance(TimeSpan.FromDays(190));

        var error = Assert.Throws<X509SvidException>(() => Verifier().Verify(leaf, issued.LoadIntermediates()));

        Assert.Equal(X509SvidRule.Expired, error.Rule);
        Assert.Contains("Test Intermediate example.org", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_chain_signed_by_another_trust_domains_root()
    {
        var issued = _other.Issue("spiffe://example.org/web");
        using var leaf = issued.LoadLeaf();

        var error = Assert.Throws<X509SvidException>(() => Verifier().Verify(leaf, issued.LoadIntermediates()));

        Assert.Equal(X509SvidRule.ChainNotTrusted, error.Rule);
        Assert.StartsWith("chain does not verify against the bundle of the peer's trust domain", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_chain_whose_root_the_peer_sent_itself()
    {
        using var rogue = TestCertificateAuthority.Create("example.org", time: _time);
        var issued = rogue.Issue("spiffe://example.org/web");
        using var leaf = issued.LoadLeaf();
        var sent = issued.LoadIntermediates();
        sent.Add(rogue.Root);

        var error = Assert.Throws<X509SvidException>(() => Verifier().Verify(leaf, sent));

        Assert.Equal(X509SvidRule.ChainNotTrusted, error.Rule);
    }

    [Fact]
    public void Rejects_self_signed_leaf()
    {
        var issued = TestCertificateAuthority.IssueSelfSigned("spiffe://example.org/web");
        using var leaf = issued.LoadLeaf();

        var error = Assert.Throws<X509SvidException>(() => Verifier().Verify(leaf));

        Assert.Equal(X509SvidRule.ChainNotTrusted, error.Rule);
    }

    [Fact]
    public void Rejects_chain_missing_the_intermediate()
    {
        var issued = _ca.Issue("spiffe://example.org/web");
        using var leaf = issued.LoadLeaf();

        var error = Assert.Throws<X509SvidException>(() => Verifier().Verify(leaf, intermediates: null));

        Assert.Equal(X509SvidRule.ChainNotTrusted, error.Rule);
    }

    [Fact]
    public void Rejects_trust_domain_without_bundle()
    {
        var issued = _ca.Issue("spiffe://example.org/web");
        using var leaf = issued.LoadLeaf();
        var verifier = new X509SvidVerifier(new X509BundleSet([_other.CreateBundle()]), _time);

        var error = Assert.Throws<X509SvidException>(() => verifier.Verify(leaf, issued.LoadIntermediates()));

        Assert.Equal(X509SvidRule.UntrustedTrustDomain, error.Rule);
        Assert.Equal("no bundle for trust domain 'example.org' of peer 'spiffe://example.org/web'", error.Message);
    }

    [Fact]
    public void Rejects_peer_when_its_bundle_is_empty()
    {
        var issued = _ca.Issue("spiffe://example.org/web");
        using var leaf = issued.LoadLeaf();
        var verifier = new X509SvidVerifier(new X509BundleSet([new X509Bundle(TrustDomain.Parse("example.org"), [])]), _time);

        var error = Assert.Throws<X509SvidException>(() => verifier.Verify(leaf, issued.LoadIntermediates()));

        Assert.Equal(X509SvidRule.ChainNotTrusted, error.Rule);
        Assert.Equal("the bundle of the peer's trust domain is empty and trusts nothing", error.Message);
    }

    public void Dispose()
    {
        _ca.Dispose();
        _other.Dispose();
    }

    private X509SvidVerifier Verifier() => new(new X509BundleSet([_ca.CreateBundle(), _other.CreateBundle()]), _time);
}
