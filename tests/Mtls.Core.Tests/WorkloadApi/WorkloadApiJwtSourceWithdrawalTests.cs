using Grpc.Core;
using Mtls.Testing.Certificates;
using Mtls.Testing.Jwt;
using Mtls.Testing.WorkloadApi;
using Mtls.WorkloadApi;

namespace Mtls.Core.Tests.WorkloadApi;

/// <summary>Issue 11: a withdrawn identity gets no JWT-SVID; the JWT-SVID cache is exact and fetches are shared.</summary>
public sealed class WorkloadApiJwtSourceWithdrawalTests : IAsyncLifetime
{
    private const string WebId = "spiffe://example.org/web";
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create("example.org");
    private readonly TestJwtIssuer _issuer = TestJwtIssuer.Create("example.org");
    private readonly WorkloadApiServer _agent = new();

    public async Task InitializeAsync()
    {
        _agent.AddTrustDomain(_ca);
        _agent.AddJwtIssuer(_issuer);
        _agent.SetIdentities(WebId);
        await _agent.StartAsync();
    }

    [Fact]
    public async Task Permission_denied_on_a_jwt_svid_fetch_withdraws_every_cached_jwt_svid()
    {
        await using var source = await WorkloadApiJwtSource.CreateAsync(Options());
        await source.GetJwtSvidAsync("orders");
        int fetches = _agent.JwtSvidFetches;

        // Only the JWT-SVID call is denied (the bundle stream stays up), as when the agent withdraws an entry.
        _agent.FailJwtSvidFetchesWith(StatusCode.PermissionDenied, "no identity issued");
        var denied = await Assert.ThrowsAsync<WorkloadApiException>(() => source.GetJwtSvidAsync("billing"));
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);

        var again = await Assert.ThrowsAsync<WorkloadApiException>(() => source.GetJwtSvidAsync("orders"));
        Assert.Equal(StatusCode.PermissionDenied, again.StatusCode);
        Assert.Equal(fetches + 2, _agent.JwtSvidFetches);
    }

    [Fact]
    public async Task Audience_lists_that_join_alike_are_cached_apart()
    {
        await using var source = await WorkloadApiJwtSource.CreateAsync(Options());

        var two = await source.GetJwtSvidAsync(["a", "b"]);
        var one = await source.GetJwtSvidAsync(["a\nb"]);

        Assert.Equal(["a", "b"], two.Audience.Order(StringComparer.Ordinal));
        Assert.Equal(["a\nb"], one.Audience);
        Assert.Equal(2, _agent.JwtSvidFetches);
    }

    [Fact]
    public async Task Concurrent_callers_for_the_same_audiences_share_one_fetch()
    {
        await using var source = await WorkloadApiJwtSource.CreateAsync(Options());
        _agent.HoldJwtSvidFetches();

        var callers = Enumerable.Range(0, 8).Select(_ => source.GetJwtSvidAsync(["orders", "billing"])).ToList();
        callers.Add(source.GetJwtSvidAsync(["billing", "orders"]));
        await _agent.WaitForJwtSvidFetchesAsync(1).WaitAsync(SourceSignals.Timeout);
        _agent.ReleaseJwtSvidFetches();
        var svids = await Task.WhenAll(callers).WaitAsync(SourceSignals.Timeout);

        Assert.Equal(1, _agent.JwtSvidFetches);
        Assert.Single(svids.Select(s => s.Token).Distinct());
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        _issuer.Dispose();
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
