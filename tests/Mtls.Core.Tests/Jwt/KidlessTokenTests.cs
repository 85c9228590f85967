using System.Security.Cryptography;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.Jwt;
using Mtls.Testing.Jwt;

namespace Mtls.Core.Tests.Jwt;

/// <summary>
/// A token without <c>kid</c> is tried only against keys that fit its <c>alg</c>, and only when there are at most
/// <see cref="SpiffeLimits.MaxJwtKeysTriedWithoutKeyId"/> of them: the signature checks are counted, not timed.
/// </summary>
public sealed class KidlessTokenTests : IDisposable
{
    private const string Subject = "spiffe://example.org/web";
    private const string Audience = "payments";
    private static readonly TrustDomain ExampleOrg = TrustDomain.Parse("example.org");
    private readonly TestJwtIssuer _issuer = TestJwtIssuer.Create("example.org");
    private readonly ECDsa _otherEcKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly RSA _rsaKey = RSA.Create(2048);

    [Fact]
    public void Kidless_token_against_a_large_bundle_is_rejected_after_trying_at_most_the_bound()
    {
        var bundle = BundleWith(fittingDecoys: SpiffeLimits.MaxJwtAuthorities - 1, signerLast: true);
        var validator = new JwtSvidValidator(new JwtBundleSet([bundle]));
        int tried = -1;

        var error = Assert.Throws<JwtSvidException>(() => validator.Validate(KidlessToken(), Audience, out tried));

        Assert.Equal(JwtSvidRule.TooManyCandidateKeys, error.Rule);
        Assert.InRange(tried, 0, SpiffeLimits.MaxJwtKeysTriedWithoutKeyId);
        Assert.Contains($"over the limit of {SpiffeLimits.MaxJwtKeysTriedWithoutKeyId} keys tried without a kid (MaxJwtKeysTriedWithoutKeyId)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Kidless_token_is_tried_only_against_keys_that_fit_its_alg()
    {
        // 999 RSA keys cannot verify ES256: only the one P-256 key is tried.
        var rsa = Enumerable.Range(0, SpiffeLimits.MaxJwtAuthorities - 1).Select(i => JwtAuthority.Create($"rsa-{i}", _rsaKey));
        var bundle = new JwtBundle(ExampleOrg, [.. rsa, .. _issuer.Bundle.Authorities]);
        var validator = new JwtSvidValidator(new JwtBundleSet([bundle]));

        var svid = validator.Validate(KidlessToken(), Audience, out int tried);

        Assert.Equal(Subject, svid.Id.ToString());
        Assert.Equal(1, tried);
    }

    [Fact]
    public void Kidless_token_is_verified_when_the_fitting_keys_are_within_the_bound()
    {
        var bundle = BundleWith(fittingDecoys: SpiffeLimits.MaxJwtKeysTriedWithoutKeyId - 1, signerLast: true);
        var validator = new JwtSvidValidator(new JwtBundleSet([bundle]));

        validator.Validate(KidlessToken(), Audience, out int tried);

        Assert.Equal(SpiffeLimits.MaxJwtKeysTriedWithoutKeyId, tried);
    }

    [Fact]
    public void Kidless_token_signed_by_no_fitting_key_is_rejected_after_trying_each_once()
    {
        var decoys = Enumerable.Range(0, SpiffeLimits.MaxJwtKeysTriedWithoutKeyId).Select(i => JwtAuthority.Create($"ec-{i}", _otherEcKey));
        var validator = new JwtSvidValidator(new JwtBundleSet([new JwtBundle(ExampleOrg, decoys)]));
        int tried = -1;

        var error = Assert.Throws<JwtSvidException>(() => validator.Validate(KidlessToken(), Audience, out tried));

        Assert.Equal(JwtSvidRule.BadSignature, error.Rule);
        Assert.Equal(SpiffeLimits.MaxJwtKeysTriedWithoutKeyId, tried);
    }

    [Fact]
    public void Token_with_kid_is_checked_with_that_key_only()
    {
        var bundle = BundleWith(fittingDecoys: SpiffeLimits.MaxJwtAuthorities - 1, signerLast: true);
        var validator = new JwtSvidValidator(new JwtBundleSet([bundle]));

        validator.Validate(_issuer.IssueToken(Subject, Audience), Audience, out int tried);

        Assert.Equal(1, tried);
    }

    public void Dispose()
    {
        _issuer.Dispose();
        _otherEcKey.Dispose();
        _rsaKey.Dispose();
    }

    private string KidlessToken() => _issuer.IssueToken(Subject, [Audience], new JwtSvidSpec { IncludeKeyId = false });

    private JwtBundle BundleWith(int fittingDecoys, bool signerLast)
    {
        var decoys = Enumerable.Range(0, fittingDecoys).Select(i => JwtAuthority.Create($"decoy-{i}", _otherEcKey)).ToList();
        return new JwtBundle(ExampleOrg, signerLast ? [.. decoys, .. _issuer.Bundle.Authorities] : [.. _issuer.Bundle.Authorities, .. decoys]);
    }
}
