using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.Testing.Certificates;
using Mtls.Tls;

namespace Mtls.Core.Tests.Tls;

/// <summary>The per-snapshot memory of verified chains: used only for the same bytes and inside every certificate's validity.</summary>
public sealed class VerifiedChainsTests : IDisposable
{
    private static readonly SpiffeId Id = SpiffeId.Parse("spiffe://example.org/client");
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create("example.org");
    private readonly DateTimeOffset _now = DateTimeOffset.UtcNow;

    [Fact]
    public void A_chain_verified_once_is_recognised_while_it_is_valid()
    {
        var issued = _ca.Issue(Id.ToString());
        using var leaf = issued.LoadLeaf();
        var intermediates = Intermediates(issued);
        var chains = new VerifiedChains();

        Assert.Null(chains.Find(leaf, intermediates, _now));
        chains.Add(leaf, intermediates, Id, _ca.CreateBundle(), _now);

        Assert.Equal(Id, chains.Find(leaf, intermediates, _now));
        Assert.Equal(Id, chains.Find(leaf, intermediates, _now.AddMinutes(5)));
    }

    [Fact]
    public void A_remembered_chain_is_not_used_once_its_leaf_expired()
    {
        var svid = _ca.IssueSvid(Id.ToString(), TimeSpan.FromHours(1));
        var chains = new VerifiedChains();
        chains.Add(svid.Certificate, PeerChain.Of(svid.Intermediates), Id, _ca.CreateBundle(), _now);

        Assert.Null(chains.Find(svid.Certificate, PeerChain.Of(svid.Intermediates), new DateTimeOffset(svid.Certificate.NotAfter.ToUniversalTime()).AddSeconds(1)));
        Assert.Null(chains.Find(svid.Certificate, PeerChain.Of(svid.Intermediates), new DateTimeOffset(svid.Certificate.NotBefore.ToUniversalTime()).AddSeconds(-1)));
    }

    [Fact]
    public void A_remembered_chain_is_not_used_after_a_root_of_its_bundle_expired()
    {
        var svid = _ca.IssueSvid(Id.ToString(), TimeSpan.FromHours(2));
        using var shortLivedRoot = SelfSigned(_now.AddMinutes(-5), _now.AddHours(1));
        var bundle = _ca.CreateBundle().WithAuthority(X509CertificateLoader.LoadCertificate(shortLivedRoot.RawData));
        var chains = new VerifiedChains();
        chains.Add(svid.Certificate, PeerChain.Of(svid.Intermediates), Id, bundle, _now);

        Assert.Equal(Id, chains.Find(svid.Certificate, PeerChain.Of(svid.Intermediates), _now.AddMinutes(30)));
        Assert.Null(chains.Find(svid.Certificate, PeerChain.Of(svid.Intermediates), _now.AddMinutes(90)));
    }

    [Fact]
    public void A_different_chain_with_the_same_leaf_is_not_recognised()
    {
        var issued = _ca.Issue(Id.ToString());
        using var leaf = issued.LoadLeaf();
        var chains = new VerifiedChains();
        chains.Add(leaf, Intermediates(issued), Id, _ca.CreateBundle(), _now);

        Assert.Null(chains.Find(leaf, PeerChain.Of([]), _now));
        using var other = TestCertificateAuthority.Create("example.org");
        Assert.Null(chains.Find(leaf, PeerChain.Of([other.Intermediate!]), _now));
    }

    [Fact]
    public void Memory_is_bounded()
    {
        var chains = new VerifiedChains();
        var bundle = _ca.CreateBundle();
        var svid = _ca.IssueSvid(Id.ToString());
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        for (int i = 0; i < VerifiedChains.MaxEntries; i++)
        {
            using var filler = new CertificateRequest($"CN=filler{i}", key, HashAlgorithmName.SHA256).CreateSelfSigned(_now.AddMinutes(-1), _now.AddHours(1));
            chains.Add(filler, PeerChain.Of([]), Id, bundle, _now);
        }

        chains.Add(svid.Certificate, PeerChain.Of(svid.Intermediates), Id, bundle, _now);

        Assert.Null(chains.Find(svid.Certificate, PeerChain.Of(svid.Intermediates), _now));
    }

    public void Dispose() => _ca.Dispose();

    private static PeerChain Intermediates(IssuedSvid issued) => PeerChain.Of([.. issued.LoadIntermediates()]);

    private static X509Certificate2 SelfSigned(DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=short-lived root", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        return request.CreateSelfSigned(notBefore, notAfter);
    }
}
