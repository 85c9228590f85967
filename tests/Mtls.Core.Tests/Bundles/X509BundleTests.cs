using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.Testing.Certificates;

namespace Mtls.Core.Tests.Bundles;

public sealed class X509BundleTests : IDisposable
{
    private static readonly TrustDomain ExampleOrg = TrustDomain.Parse("example.org");
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create("example.org");
    private readonly TestCertificateAuthority _next = TestCertificateAuthority.Create("example.org");

    [Fact]
    public void Loads_pem_and_round_trips()
    {
        string pem = _ca.Root.ExportCertificatePem() + "\n" + _next.Root.ExportCertificatePem() + "\n";

        var bundle = X509Bundle.FromPem(ExampleOrg, pem);
        var again = X509Bundle.FromPem(ExampleOrg, bundle.ToPem());

        Assert.Equal(ExampleOrg, bundle.TrustDomain);
        Assert.Equal([_ca.Root.RawData, _next.Root.RawData], bundle.Authorities.Select(a => a.RawData));
        Assert.Equal(bundle.Authorities.Select(a => a.RawData), again.Authorities.Select(a => a.RawData));
    }

    [Fact]
    public void Loads_concatenated_der_and_round_trips()
    {
        byte[] der = [.. _ca.Root.RawData, .. _next.Root.RawData];

        var bundle = X509Bundle.FromDer(ExampleOrg, der);

        Assert.Equal(2, bundle.Authorities.Count);
        Assert.Equal(der, bundle.ToDer());
        Assert.Equal(der, X509Bundle.FromDer(ExampleOrg, bundle.ToDer()).ToDer());
    }

    [Fact]
    public void Pem_ignores_other_blocks()
    {
        string pem = PemEncoding.WriteString("PRIVATE KEY", [1, 2, 3]) + "\n" + _ca.Root.ExportCertificatePem();

        var bundle = X509Bundle.FromPem(ExampleOrg, pem);

        Assert.Equal(_ca.Root.RawData, Assert.Single(bundle.Authorities).RawData);
    }

    [Fact]
    public void Empty_input_gives_an_empty_bundle()
    {
        Assert.True(X509Bundle.FromDer(ExampleOrg, []).IsEmpty);
        Assert.True(X509Bundle.FromPem(ExampleOrg, "").IsEmpty);
        Assert.Empty(new X509Bundle(ExampleOrg, []).ToPem());
    }

    [Fact]
    public void Rejects_bytes_that_are_not_certificates()
    {
        var error = Assert.Throws<CryptographicException>(() => X509Bundle.FromDer(ExampleOrg, [.. _ca.Root.RawData, 0x04, 0x01]));

        Assert.StartsWith("bundle: certificate 2 is not valid DER", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Removes_duplicates_keeping_the_first_order()
    {
        using var copy = X509CertificateLoader.LoadCertificate(_ca.Root.RawData);

        var bundle = new X509Bundle(ExampleOrg, [_ca.Root, _next.Root, copy]);

        Assert.Equal([_ca.Root.RawData, _next.Root.RawData], bundle.Authorities.Select(a => a.RawData));
        Assert.Single(X509Bundle.FromDer(ExampleOrg, [.. _ca.Root.RawData, .. _ca.Root.RawData]).Authorities);
    }

    [Fact]
    public void WithAuthority_adds_without_changing_the_original()
    {
        var bundle = new X509Bundle(ExampleOrg, [_ca.Root]);

        var added = bundle.WithAuthority(_next.Root);

        Assert.Single(bundle.Authorities);
        Assert.Equal(2, added.Authorities.Count);
        Assert.True(added.Contains(_next.Root));
        Assert.False(bundle.Contains(_next.Root));
        Assert.Single(bundle.WithAuthority(_ca.Root).Authorities);
    }

    [Fact]
    public void WithoutAuthority_removes_by_raw_bytes_without_changing_the_original()
    {
        var bundle = new X509Bundle(ExampleOrg, [_ca.Root, _next.Root]);
        using var copy = X509CertificateLoader.LoadCertificate(_ca.Root.RawData);

        var removed = bundle.WithoutAuthority(copy);

        Assert.Equal(2, bundle.Authorities.Count);
        Assert.Equal(_next.Root.RawData, Assert.Single(removed.Authorities).RawData);
        Assert.True(removed.WithoutAuthority(_next.Root).IsEmpty);
    }

    [Fact]
    public void Rejects_null_authorities() =>
        Assert.Throws<ArgumentNullException>(() => new X509Bundle(ExampleOrg, [_ca.Root, null!]));

    public void Dispose()
    {
        _ca.Dispose();
        _next.Dispose();
    }
}
