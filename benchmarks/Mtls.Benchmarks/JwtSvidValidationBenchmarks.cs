using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Mtls.Bundles;
using Mtls.Jwt;
using Mtls.Testing.Jwt;

namespace Mtls.Benchmarks;

/// <summary>
/// Validating one ES256 JWT-SVID with its key already in memory: <see cref="JwtSvidValidator"/> against
/// Microsoft.IdentityModel's <see cref="JsonWebTokenHandler"/> validating the same token (same key, audience and
/// lifetime checks, no clock skew) as the baseline, in the same run.
/// </summary>
[MemoryDiagnoser]
public class JwtSvidValidationBenchmarks
{
    private const string Audience = "spiffe://example.org/orders";

    private TestJwtIssuer _issuer = null!;
    private string _token = null!;
    private JwtSvidValidator _validator = null!;
    private JsonWebTokenHandler _handler = null!;
    private TokenValidationParameters _parameters = null!;
    private ECDsa _publicKey = null!;

    [GlobalSetup]
    public void Setup()
    {
        _issuer = TestJwtIssuer.Create("example.org");
        _token = _issuer.IssueToken("spiffe://example.org/ns/shop/sa/frontend", Audience, TimeSpan.FromHours(1));
        _validator = new JwtSvidValidator(new JwtBundleSet([_issuer.Bundle]));
        _issuer.Bundle.TryGetAuthority(_issuer.KeyId, out var authority);
        _publicKey = (ECDsa)authority!.ExportPublicKey();
        _handler = new JsonWebTokenHandler();
        _parameters = new TokenValidationParameters
        {
            IssuerSigningKey = new ECDsaSecurityKey(_publicKey) { KeyId = _issuer.KeyId },
            ValidAudience = Audience,
            ValidateIssuer = false,
            ValidateLifetime = true,
            ClockSkew = TimeSpan.Zero,
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
        };

        // Both must accept the token, or the comparison means nothing.
        if (!IdentityModelValidate().GetAwaiter().GetResult() || MtlsValidate() is null)
        {
            throw new InvalidOperationException("A validator refused the benchmark token.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _publicKey.Dispose();
        _issuer.Dispose();
    }

    [Benchmark(Baseline = true, Description = "JsonWebTokenHandler.ValidateTokenAsync")]
    public async Task<bool> IdentityModelValidate() => (await _handler.ValidateTokenAsync(_token, _parameters).ConfigureAwait(false)).IsValid;

    [Benchmark(Description = "JwtSvidValidator.Validate")]
    public JwtSvid MtlsValidate() => _validator.Validate(_token, Audience);
}
