using Mtls.Bundles;
using Mtls.Identity;
using Mtls.Testing.Certificates;

namespace Mtls.Core.Tests.Bundles;

public sealed class X509BundleSetTests : IDisposable
{
    private static readonly TrustDomain ExampleOrg = TrustDomain.Parse("example.org");
    private static readonly TrustDomain OtherOrg = TrustDomain.Parse("other.org");
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create("example.org");
    private readonly TestCertificateAuthority _other = TestCertificateAuthority.Create("other.org");

    [Fact]
    public void Gets_the_bundle_of_each_trust_domain()
    {
        var ours = _ca.CreateBundle();
        var theirs = _other.CreateBundle();

        var set = new X509BundleSet([ours, theirs]);

        Assert.Same(ours, set.GetX509Bundle(ExampleOrg));
        Assert.Same(theirs, set.GetX509Bundle(TrustDomain.Parse("spiffe://other.org/any")));
        Assert.Null(set.GetX509Bundle(TrustDomain.Parse("third.org")));
        Assert.Equal([ExampleOrg, OtherOrg], set.TrustDomains.Order());
        Assert.Equal(2, set.Bundles.Count);
    }

    [Fact]
    public void Later_bundle_for_the_same_trust_domain_replaces_the_earlier()
    {
        var first = _ca.CreateBundle();
        var second = new X509Bundle(ExampleOrg, []);

        var set = new X509BundleSet([first, second]);

        Assert.Same(second, set.GetX509Bundle(ExampleOrg));
    }

    [Fact]
    public void With_adds_or_replaces_without_changing_the_original()
    {
        var set = new X509BundleSet([_ca.CreateBundle()]);
        var replacement = new X509Bundle(ExampleOrg, []);

        var added = set.With(_other.CreateBundle());
        var replaced = set.With(replacement);

        Assert.Null(set.GetX509Bundle(OtherOrg));
        Assert.NotNull(added.GetX509Bundle(OtherOrg));
        Assert.NotNull(added.GetX509Bundle(ExampleOrg));
        Assert.Same(replacement, replaced.GetX509Bundle(ExampleOrg));
        Assert.False(set.GetX509Bundle(ExampleOrg)!.IsEmpty);
    }

    [Fact]
    public void Without_removes_the_trust_domain_without_changing_the_original()
    {
        var set = new X509BundleSet([_ca.CreateBundle(), _other.CreateBundle()]);

        var removed = set.Without(OtherOrg);

        Assert.Null(removed.GetX509Bundle(OtherOrg));
        Assert.NotNull(removed.GetX509Bundle(ExampleOrg));
        Assert.NotNull(set.GetX509Bundle(OtherOrg));
        Assert.Same(removed.GetX509Bundle(ExampleOrg), removed.Without(TrustDomain.Parse("third.org")).GetX509Bundle(ExampleOrg));
    }

    [Fact]
    public void Empty_set_trusts_nobody()
    {
        Assert.Empty(X509BundleSet.Empty.Bundles);
        Assert.Null(X509BundleSet.Empty.GetX509Bundle(ExampleOrg));
    }

    [Fact]
    public void Rejects_null_arguments()
    {
        var set = new X509BundleSet([_ca.CreateBundle()]);

        Assert.Throws<ArgumentNullException>(() => set.With(null!));
        Assert.Throws<ArgumentNullException>(() => set.Without(null!));
        Assert.Throws<ArgumentNullException>(() => set.GetX509Bundle(null!));
    }

    public void Dispose()
    {
        _ca.Dispose();
        _other.Dispose();
    }
}
