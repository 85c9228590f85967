using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Mtls.Bundles;
using Mtls.Files;
using Mtls.Identity;
using Mtls.Testing.Certificates;
using Mtls.Testing.Files;
using Mtls.X509;

namespace Mtls.Core.Tests.Limits;

/// <summary>Every limit of <see cref="SpiffeLimits"/> refuses input one over it, with an error that names the limit.</summary>
public sealed class TrustMaterialLimitTests : IDisposable
{
    private const string LeafId = "spiffe://example.org/web";
    private static readonly TrustDomain ExampleOrg = TrustDomain.Parse("example.org");
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create("example.org");
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mtls-limits-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void Rejects_bundle_over_authority_limit()
    {
        var certificates = OverLimitBundle();
        byte[] der = [.. certificates.SelectMany(c => c.RawData)];
        string pem = string.Concat(certificates.Select(c => c.ExportCertificatePem() + "\n"));

        var fromDer = Assert.Throws<CryptographicException>(() => X509Bundle.FromDer(ExampleOrg, der));
        var fromPem = Assert.Throws<CryptographicException>(() => X509Bundle.FromPem(ExampleOrg, pem));
        var constructed = Assert.Throws<ArgumentException>(() => new X509Bundle(ExampleOrg, certificates));

        string expected = $"X.509 bundle for example.org has {SpiffeLimits.MaxBundleAuthorities + 1} CA certificates, over the limit of {SpiffeLimits.MaxBundleAuthorities} (MaxBundleAuthorities)";
        Assert.Equal(expected, fromDer.Message);
        Assert.Equal(expected, fromPem.Message);
        Assert.StartsWith(expected, constructed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Peer_verifies_against_a_bundle_at_the_limit_whose_other_authorities_share_the_root_subject()
    {
        var extra = _ca.CreateExtraRoots(SpiffeLimits.MaxBundleAuthorities - 1, sameSubjectAsRoot: true);
        var bundle = new X509Bundle(ExampleOrg, [X509CertificateLoader.LoadCertificate(_ca.Root.RawData), .. extra]);
        var issued = _ca.Issue(LeafId);
        using var leaf = issued.LoadLeaf();
        var verifier = new X509SvidVerifier(new X509BundleSet([bundle]));

        Assert.Equal(SpiffeLimits.MaxBundleAuthorities, bundle.Authorities.Count);
        Assert.Equal(LeafId, verifier.Verify(leaf, issued.LoadIntermediates()).ToString());
    }

    [Fact]
    public void Peer_is_not_trusted_by_an_authority_that_only_shares_the_subject_of_its_issuer()
    {
        // The real root is absent: an authority with the same name but another key must not anchor the chain.
        var impostors = _ca.CreateExtraRoots(3, sameSubjectAsRoot: true);
        var verifier = new X509SvidVerifier(new X509BundleSet([new X509Bundle(ExampleOrg, impostors)]));
        var issued = _ca.Issue(LeafId);
        using var leaf = issued.LoadLeaf();

        Assert.False(verifier.TryVerify(leaf, issued.LoadIntermediates(), out _, out var error));
        Assert.Equal(X509SvidRule.ChainNotTrusted, error.Rule);
    }

    [Fact]
    public void Rejects_svid_chain_over_intermediate_limit()
    {
        var issued = LongChain(SpiffeLimits.MaxSvidIntermediates + 1);

        var fromDer = Assert.Throws<X509SvidException>(() => X509Svid.Parse(issued.CertificatesDer, issued.PrivateKeyPkcs8));
        var fromPem = Assert.Throws<X509SvidException>(() => X509Svid.ParsePem(issued.CertificatesPem, issued.PrivateKeyPem));

        Assert.Equal(X509SvidRule.TooManyIntermediates, fromDer.Rule);
        Assert.Equal(X509SvidRule.TooManyIntermediates, fromPem.Rule);
        Assert.Contains($"has {SpiffeLimits.MaxSvidIntermediates + 1} intermediate certificates, over the limit of {SpiffeLimits.MaxSvidIntermediates} (MaxSvidIntermediates)", fromDer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Accepts_svid_chain_at_intermediate_limit()
    {
        using var svid = LongChain(SpiffeLimits.MaxSvidIntermediates).ToX509Svid();

        Assert.Equal(SpiffeLimits.MaxSvidIntermediates, svid.Intermediates.Count);
    }

    [Fact]
    public void Verifier_rejects_peer_chain_over_intermediate_limit()
    {
        var issued = LongChain(SpiffeLimits.MaxSvidIntermediates + 1);
        using var leaf = issued.LoadLeaf();
        var verifier = new X509SvidVerifier(new X509BundleSet([_ca.CreateBundle()]));

        Assert.False(verifier.TryVerify(leaf, issued.LoadIntermediates(), out var id, out var error));

        Assert.Null(id);
        Assert.Equal(X509SvidRule.TooManyIntermediates, error.Rule);
        Assert.Contains("(MaxSvidIntermediates)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_spiffe_bundle_over_authority_limit()
    {
        // Counted from the keys' use before any certificate is decoded: repeating one certificate is enough.
        string key = $$"""{"use":"x509-svid","kty":"EC","crv":"P-256","x5c":["{{Convert.ToBase64String(_ca.Root.RawData)}}"]}""";
        string json = $$"""{"keys":[{{string.Join(",", Enumerable.Repeat(key, SpiffeLimits.MaxBundleAuthorities + 1))}}]}""";

        var error = Assert.Throws<BundleFormatException>(() => SpiffeBundle.Parse(ExampleOrg, json));

        Assert.Equal(BundleFormatRule.TooManyAuthorities, error.Rule);
        Assert.Contains("over the limit of 1000 (MaxBundleAuthorities)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_jwt_bundle_over_key_limit()
    {
        string json = OverLimitJwks(SpiffeBundle.JwtSvidUse);

        var parsed = Assert.Throws<BundleFormatException>(() => JwtBundle.Parse(ExampleOrg, json));
        var spiffe = Assert.Throws<BundleFormatException>(() => SpiffeBundle.Parse(ExampleOrg, json));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var constructed = Assert.Throws<ArgumentException>(() => new JwtBundle(
            ExampleOrg,
            Enumerable.Range(0, SpiffeLimits.MaxJwtAuthorities + 1).Select(i => JwtAuthority.Create($"k{i}", key))));

        string expected = $"JWT bundle for example.org has {SpiffeLimits.MaxJwtAuthorities + 1} keys, over the limit of {SpiffeLimits.MaxJwtAuthorities} (MaxJwtAuthorities)";
        Assert.Equal(BundleFormatRule.TooManyKeys, parsed.Rule);
        Assert.Equal(expected, parsed.Message);
        Assert.Equal(BundleFormatRule.TooManyKeys, spiffe.Rule);
        Assert.StartsWith(expected, constructed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Jwt_bundle_limit_counts_only_keys_that_are_jwt_authorities()
    {
        // x509-svid keys in a Workload API JWT bundle are ignored, so they do not count against the JWT key limit.
        var bundle = JwtBundle.Parse(ExampleOrg, OverLimitJwks("something-else"));

        Assert.True(bundle.IsEmpty);
    }

    [Fact]
    public async Task File_source_rejects_bundle_file_over_authority_limit()
    {
        var issued = _ca.Issue(LeafId);
        string bundle = _ca.Root.ExportCertificatePem() + "\n" + string.Concat(_ca.CreateExtraRoots(SpiffeLimits.MaxBundleAuthorities).Select(c => c.ExportCertificatePem() + "\n"));
        new AtomicDirectoryWriter(_dir).Write(new Dictionary<string, string>
        {
            ["tls.crt"] = issued.CertificatesPem,
            ["tls.key"] = issued.PrivateKeyPem,
            ["ca.crt"] = bundle,
        });

        using var source = new FileX509Source(new FileX509SourceOptions { Directory = _dir });

        var error = await Assert.ThrowsAsync<TimeoutException>(() => source.WaitUntilReadyAsync(TimeSpan.FromMilliseconds(100)));
        Assert.Null(source.Current);
        Assert.Contains("over the limit of 1000 (MaxBundleAuthorities)", source.LastError, StringComparison.Ordinal);
        Assert.Contains("(MaxBundleAuthorities)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task File_source_rejects_chain_file_over_intermediate_limit()
    {
        var issued = LongChain(SpiffeLimits.MaxSvidIntermediates + 1);
        new AtomicDirectoryWriter(_dir).Write(new Dictionary<string, string>
        {
            ["tls.crt"] = issued.CertificatesPem,
            ["tls.key"] = issued.PrivateKeyPem,
            ["ca.crt"] = _ca.Root.ExportCertificatePem(),
        });

        using var source = new FileX509Source(new FileX509SourceOptions { Directory = _dir });

        await Assert.ThrowsAsync<TimeoutException>(() => source.WaitUntilReadyAsync(TimeSpan.FromMilliseconds(100)));
        Assert.Null(source.Current);
        Assert.Contains("(MaxSvidIntermediates)", source.LastError, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _ca.Dispose();
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private X509Certificate2[] OverLimitBundle() =>
        [X509CertificateLoader.LoadCertificate(_ca.Root.RawData), .. _ca.CreateExtraRoots(SpiffeLimits.MaxBundleAuthorities)];

    /// <summary>A chain with exactly <paramref name="intermediates"/> intermediates (the CA's own one included).</summary>
    private IssuedSvid LongChain(int intermediates) => _ca.IssueUnderIntermediates(LeafId, intermediates - 1);

    private static string OverLimitJwks(string use)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string jwk = JwtAuthority.Create("k", key).ToJwk(use);
        var builder = new StringBuilder("{\"keys\":[");
        for (int i = 0; i <= SpiffeLimits.MaxJwtAuthorities; i++)
        {
            builder.Append(i == 0 ? string.Empty : ",").Append(jwk.Replace("\"kid\":\"k\"", $"\"kid\":\"k{i}\"", StringComparison.Ordinal));
        }

        return builder.Append("]}").ToString();
    }
}
