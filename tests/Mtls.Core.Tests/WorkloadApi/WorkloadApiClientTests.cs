using Grpc.Core;
using Mtls.Identity;
using Mtls.Testing.Certificates;
using Mtls.Testing.Jwt;
using Mtls.Testing.WorkloadApi;
using Mtls.WorkloadApi;
using Mtls.WorkloadApi.Protocol;

namespace Mtls.Core.Tests.WorkloadApi;

public sealed class WorkloadApiClientTests : IAsyncLifetime
{
    private const string WebId = "spiffe://example.org/web";
    private static readonly TrustDomain Partner = TrustDomain.Parse("partner.org");
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create("example.org");
    private readonly TestCertificateAuthority _partner = TestCertificateAuthority.Create("partner.org");
    private readonly TestJwtIssuer _jwt = TestJwtIssuer.Create("example.org");
    private readonly WorkloadApiServer _agent = new();
    private readonly RecordingLogger _log = new();

    public async Task InitializeAsync()
    {
        _agent.AddTrustDomain(_ca);
        _agent.AddTrustDomain(_partner);
        _agent.AddJwtIssuer(_jwt);
        _agent.SetIdentities(WebId);
        await _agent.StartAsync();
    }

    [Fact]
    public async Task Call_without_the_security_header_is_rejected_with_invalid_argument()
    {
        using var channel = WorkloadApiChannel.Create(WorkloadApiAddress.Parse(_agent.Address), new WorkloadApiClientOptions());
        var raw = new SpiffeWorkloadAPI.SpiffeWorkloadAPIClient(channel);

        using var call = raw.FetchX509SVID(new X509SVIDRequest());
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("security header missing from request", error.Status.Detail);
    }

    [Fact]
    public async Task Fetch_x509_context_returns_svids_and_every_bundle()
    {
        using var client = NewClient();

        var context = await client.FetchX509ContextAsync();
        try
        {
            Assert.Equal(WebId, context.DefaultSvid!.Id.ToString());
            Assert.Equal([_ca.TrustDomain, Partner], context.Bundles.TrustDomains.Order());
        }
        finally
        {
            context.Release();
        }
    }

    [Fact]
    public async Task Fetch_of_an_invalid_response_fails_with_internal_naming_the_rule()
    {
        using var client = NewClient();
        _agent.PushMalformedX509(MalformedX509Update.KeyMismatch);

        var error = await Assert.ThrowsAsync<WorkloadApiException>(() => client.FetchX509ContextAsync());

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains("(KeyMismatch)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Response_with_more_svids_than_the_limit_is_rejected()
    {
        _agent.SetIdentities(WebId, "spiffe://example.org/second");
        using var client = NewClient(new WorkloadApiClientOptions { MaxSvids = 1 });

        var error = await Assert.ThrowsAsync<WorkloadApiException>(() => client.FetchX509ContextAsync());

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains("(too_many_svids)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Response_bigger_than_the_receive_limit_fails_the_call()
    {
        using var client = NewClient(new WorkloadApiClientOptions { MaxReceiveMessageBytes = 1024 });

        var error = await Assert.ThrowsAsync<WorkloadApiException>(() => client.FetchX509ContextAsync());

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task Watch_x509_bundles_sees_a_removed_trust_domain()
    {
        using var client = NewClient();
        using var cts = new CancellationTokenSource(SourceSignals.Timeout);
        await using var watch = client.WatchX509BundlesAsync(cts.Token).GetAsyncEnumerator(cts.Token);

        Assert.True(await watch.MoveNextAsync());
        Assert.NotNull(watch.Current.GetX509Bundle(Partner));
        _agent.RemoveTrustDomain(Partner);
        Assert.True(await watch.MoveNextAsync());

        Assert.Null(watch.Current.GetX509Bundle(Partner));
        Assert.NotNull(watch.Current.GetX509Bundle(_ca.TrustDomain));
    }

    [Fact]
    public async Task Identities_can_depend_on_the_callers_peer_credentials()
    {
        _agent.SetIdentities(caller => caller.ProcessId == Environment.ProcessId ? [new WorkloadApiIdentity("spiffe://example.org/this-process")] : []);
        using var client = NewClient();

        var context = await client.FetchX509ContextAsync();

        Assert.Equal("spiffe://example.org/this-process", context.DefaultSvid!.Id.ToString());
        context.Release();
    }

    [Fact]
    public async Task Fetch_jwt_svid_carries_the_audience_and_the_agent_validates_it()
    {
        using var client = NewClient();

        var svid = await client.FetchJwtSvidAsync("api");
        var validated = await client.ValidateJwtSvidAsync(svid.Token, "api");

        Assert.Equal(WebId, svid.Id.ToString());
        Assert.Contains("api", svid.Audience);
        Assert.Equal(svid.Id, validated.Id);
    }

    [Fact]
    public async Task Agent_rejects_a_token_for_another_audience_with_invalid_argument()
    {
        using var client = NewClient();
        var svid = await client.FetchJwtSvidAsync("api");

        var error = await Assert.ThrowsAsync<WorkloadApiException>(() => client.ValidateJwtSvidAsync(svid.Token, "other"));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("WrongAudience", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Jwt_svid_for_a_subject_the_workload_is_not_entitled_to_is_permission_denied()
    {
        using var client = NewClient();

        var error = await Assert.ThrowsAsync<WorkloadApiException>(() => client.FetchJwtSvidAsync("api", SpiffeId.Parse("spiffe://example.org/admin")));

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
    }

    [Fact]
    public async Task Fetch_jwt_bundles_returns_the_issuers_keys()
    {
        using var client = NewClient();

        var bundles = await client.FetchJwtBundlesAsync();

        Assert.True(bundles.GetJwtBundle(_ca.TrustDomain)!.TryGetAuthority(_jwt.KeyId, out _));
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        _jwt.Dispose();
        _ca.Dispose();
        _partner.Dispose();
    }

    private WorkloadApiClient NewClient(WorkloadApiClientOptions? options = null)
    {
        options ??= new WorkloadApiClientOptions();
        options.Address = _agent.Address;
        return new WorkloadApiClient(options);
    }
}
