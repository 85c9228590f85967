using Microsoft.Extensions.Time.Testing;
using Mtls.Identity;
using Mtls.Jwt;
using Mtls.Testing.Certificates;
using Mtls.Testing.Jwt;
using Mtls.Testing.WorkloadApi;
using Mtls.WorkloadApi;

namespace Mtls.Core.Tests.WorkloadApi;

public sealed class WorkloadApiJwtSourceTests : IAsyncLifetime
{
    private const string WebId = "spiffe://example.org/web";
    private static readonly TrustDomain Partner = TrustDomain.Parse("partner.org");
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create("example.org");
    private readonly TestJwtIssuer _issuer = TestJwtIssuer.Create("example.org");
    private readonly TestJwtIssuer _partnerIssuer = TestJwtIssuer.Create("partner.org");
    private readonly WorkloadApiServer _agent = new();

    public async Task InitializeAsync()
    {
        _agent.AddTrustDomain(_ca);
        _agent.AddJwtIssuer(_issuer);
        _agent.AddJwtIssuer(_partnerIssuer);
        _agent.SetIdentities(WebId);
        await _agent.StartAsync();
    }

    [Fact]
    public async Task Fetched_jwt_svid_validates_locally_against_the_streamed_bundles()
    {
        await using var source = await WorkloadApiJwtSource.CreateAsync(Options());

        var svid = await source.GetJwtSvidAsync("api");
        var validated = source.ValidateJwtSvid(svid.Token, "api");

        Assert.Equal(WebId, svid.Id.ToString());
        Assert.Equal(svid.Id, validated.Id);
    }

    [Fact]
    public async Task Jwt_svid_is_cached_until_the_refresh_fraction_of_its_lifetime()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var issuer = TestJwtIssuer.Create("example.org", time: time);
        _agent.AddJwtIssuer(issuer);
        var options = Options();
        options.TimeProvider = time;
        options.JwtSvidRefreshFraction = 0.5;
        await using var source = await WorkloadApiJwtSource.CreateAsync(options);

        var first = await source.GetJwtSvidAsync("api");
        time.Advance(TimeSpan.FromMinutes(2));
        var cached = await source.GetJwtSvidAsync("api");
        time.Advance(TimeSpan.FromMinutes(1));
        var refreshed = await source.GetJwtSvidAsync("api");

        Assert.Same(first, cached);
        Assert.NotEqual(first.Token, refreshed.Token);
    }

    [Fact]
    public async Task Tokens_for_different_audiences_are_cached_apart()
    {
        await using var source = await WorkloadApiJwtSource.CreateAsync(Options());

        var api = await source.GetJwtSvidAsync("api");
        var db = await source.GetJwtSvidAsync("db");

        Assert.Equal(["api"], api.Audience);
        Assert.Equal(["db"], db.Audience);
    }

    public static TheoryData<string, JwtSvidRule> Rejections => new()
    {
        { "expired", JwtSvidRule.Expired },
        { "wrong audience", JwtSvidRule.WrongAudience },
        { "unknown kid", JwtSvidRule.UnknownKey },
        { "alg none", JwtSvidRule.UnsupportedAlgorithm },
        { "HS256", JwtSvidRule.UnsupportedAlgorithm },
        { "sub from another trust domain", JwtSvidRule.UnknownKey },
    };

    [Theory]
    [MemberData(nameof(Rejections))]
    public async Task Local_validation_rejects_the_token_naming_the_rule(string flaw, JwtSvidRule rule)
    {
        await using var source = await WorkloadApiJwtSource.CreateAsync(Options());
        string token = flaw switch
        {
            "expired" => _issuer.IssueToken(WebId, ["api"], new JwtSvidSpec { Ttl = TimeSpan.FromMinutes(-1) }),
            "wrong audience" => _issuer.IssueToken(WebId, "other"),
            "unknown kid" => _issuer.IssueToken(WebId, ["api"], new JwtSvidSpec { KeyId = "not-in-the-bundle" }),
            "alg none" => _issuer.IssueToken(WebId, ["api"], new JwtSvidSpec { Algorithm = "none" }),
            "HS256" => _issuer.IssueToken(WebId, ["api"], new JwtSvidSpec { Algorithm = "HS256" }),
            "sub from another trust domain" => _issuer.IssueToken("spiffe://partner.org/impostor", "api"),
            _ => throw new ArgumentOutOfRangeException(nameof(flaw)),
        };

        var error = Assert.Throws<JwtSvidException>(() => source.ValidateJwtSvid(token, "api"));

        Assert.Equal(rule, error.Rule);
    }

    [Fact]
    public async Task Trust_domain_removed_from_the_jwt_bundles_stops_validating()
    {
        await using var source = await WorkloadApiJwtSource.CreateAsync(Options());
        string partnerToken = _partnerIssuer.IssueToken("spiffe://partner.org/api", "api");
        Assert.Equal("spiffe://partner.org/api", source.ValidateJwtSvid(partnerToken, "api").Id.ToString());
        var changed = SourceSignals.Fired(source.GetChangeToken());

        _agent.RemoveJwtIssuer(Partner);
        await changed.WaitAsync(SourceSignals.Timeout);

        var error = Assert.Throws<JwtSvidException>(() => source.ValidateJwtSvid(partnerToken, "api"));
        Assert.Equal(JwtSvidRule.NoBundleForTrustDomain, error.Rule);
    }

    [Fact]
    public async Task Rotated_jwt_key_reaches_the_source_and_new_tokens_validate()
    {
        await using var source = await WorkloadApiJwtSource.CreateAsync(Options());
        var changed = SourceSignals.Fired(source.GetChangeToken());

        _issuer.RotateKey();
        _agent.Refresh();
        await changed.WaitAsync(SourceSignals.Timeout);

        string token = _issuer.IssueToken(WebId, "api");
        Assert.Equal(WebId, source.ValidateJwtSvid(token, "api").Id.ToString());
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        _issuer.Dispose();
        _partnerIssuer.Dispose();
        _ca.Dispose();
    }

    private WorkloadApiJwtSourceOptions Options() => new()
    {
        Address = _agent.Address,
        ReconnectDelay = TimeSpan.FromMilliseconds(10),
        MaxReconnectDelay = TimeSpan.FromMilliseconds(100),
        InitialFetchTimeout = SourceSignals.Timeout,
    };
}
