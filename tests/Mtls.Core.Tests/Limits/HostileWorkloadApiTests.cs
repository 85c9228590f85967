using Google.Protobuf;
using Grpc.Core;
using Mtls.Identity;
using Mtls.Jwt;
using Mtls.Testing.Certificates;
using Mtls.Testing.Jwt;
using Mtls.Testing.WorkloadApi;
using Mtls.WorkloadApi;
using Mtls.WorkloadApi.Protocol;

namespace Mtls.Core.Tests.Limits;

/// <summary>A hostile or broken agent, over a real Unix socket: oversized or mislabelled material is refused, not kept.</summary>
public sealed class HostileWorkloadApiTests : IAsyncLifetime
{
    private const string WebId = "spiffe://example.org/web";
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create("example.org");
    private readonly TestJwtIssuer _jwt = TestJwtIssuer.Create("example.org");
    private WorkloadApiServer _agent = new();

    public async Task InitializeAsync() => await StartAgentAsync(new WorkloadApiServerOptions());

    [Fact]
    public async Task Workload_api_response_with_bundle_over_authority_limit_is_rejected()
    {
        _agent.PushMalformedX509(MalformedX509Update.OversizedBundle);
        using var client = NewClient();

        var error = await Assert.ThrowsAsync<WorkloadApiException>(() => client.FetchX509ContextAsync());

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains("(too_many_authorities)", error.Message, StringComparison.Ordinal);
        Assert.Contains($"X.509 bundle for example.org has {SpiffeLimits.MaxBundleAuthorities + 1} CA certificates, over the limit of {SpiffeLimits.MaxBundleAuthorities} (MaxBundleAuthorities)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Workload_api_response_with_chain_over_intermediate_limit_is_rejected()
    {
        _agent.PushMalformedX509(MalformedX509Update.OversizedChain);
        using var client = NewClient();

        var error = await Assert.ThrowsAsync<WorkloadApiException>(() => client.FetchX509ContextAsync());

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains("(TooManyIntermediates)", error.Message, StringComparison.Ordinal);
        Assert.Contains("(MaxSvidIntermediates)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Federated_bundle_keyed_by_an_id_with_a_path_is_rejected()
    {
        _agent.PushMalformedX509(MalformedX509Update.FederatedBundleKeyWithPath);
        using var client = NewClient();

        var error = await Assert.ThrowsAsync<WorkloadApiException>(() => client.FetchX509ContextAsync());

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains("(invalid_trust_domain)", error.Message, StringComparison.Ordinal);
        Assert.Contains("'spiffe://federated.test/path'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Expired_jwt_svid_from_the_agent_is_rejected()
    {
        await RestartAgentAsync(new WorkloadApiServerOptions { JwtSvidTtl = TimeSpan.FromMinutes(-1) });
        using var client = NewClient();

        var error = await Assert.ThrowsAsync<WorkloadApiException>(() => client.FetchJwtSvidAsync("payments"));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains($"({nameof(JwtSvidRule.Expired)})", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("spiffe://other.org/path")]
    [InlineData("spiffe://other.org:443")]
    [InlineData("spiffe://other.org?x=1")]
    [InlineData("spiffe://other.org#f")]
    [InlineData("spiffe://user@other.org")]
    [InlineData("spiffe://other.org/")]
    [InlineData("SPIFFE://other.org")]
    [InlineData("other.org")]
    public void Bundle_key_that_is_not_a_bare_trust_domain_id_is_rejected(string key)
    {
        var x509 = new X509BundlesResponse { Bundles = { [key] = ByteString.CopyFrom(_ca.Root.RawData) } };
        var jwt = new JWTBundlesResponse { Bundles = { [key] = ByteString.CopyFromUtf8(_jwt.ToJwks()) } };
        var options = new WorkloadApiClientOptions();

        var x509Error = Assert.Throws<RejectedUpdateException>(() => X509ResponseParser.ParseBundles(x509, options));
        var jwtError = Assert.Throws<RejectedUpdateException>(() => JwtResponseParser.ParseBundles(jwt, options));

        Assert.Equal("invalid_trust_domain", x509Error.Reason);
        Assert.Equal("invalid_trust_domain", jwtError.Reason);
    }

    [Fact]
    public void Bundle_key_that_is_a_bare_trust_domain_id_is_accepted()
    {
        var jwt = new JWTBundlesResponse { Bundles = { ["spiffe://other.org"] = ByteString.CopyFromUtf8(_jwt.ToJwks()) } };

        var set = JwtResponseParser.ParseBundles(jwt, new WorkloadApiClientOptions());

        Assert.Equal([TrustDomain.Parse("other.org")], set.TrustDomains);
    }

    [Fact]
    public void Jwt_bundles_response_with_a_bundle_over_the_key_limit_is_rejected()
    {
        string key = _jwt.Bundle.Authorities[0].ToJwk();
        string jwks = "{\"keys\":[" + string.Join(",", Enumerable.Range(0, SpiffeLimits.MaxJwtAuthorities + 1).Select(i => key.Replace($"\"kid\":\"{_jwt.KeyId}\"", $"\"kid\":\"k{i}\"", StringComparison.Ordinal))) + "]}";
        var response = new JWTBundlesResponse { Bundles = { ["spiffe://example.org"] = ByteString.CopyFromUtf8(jwks) } };

        var error = Assert.Throws<RejectedUpdateException>(() => JwtResponseParser.ParseBundles(response, new WorkloadApiClientOptions()));

        Assert.Equal("too_many_keys", error.Reason);
        Assert.Contains("over the limit of 1000 (MaxJwtAuthorities)", error.Message, StringComparison.Ordinal);
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        _ca.Dispose();
        _jwt.Dispose();
    }

    private async Task StartAgentAsync(WorkloadApiServerOptions options)
    {
        _agent = new WorkloadApiServer(options);
        _agent.AddTrustDomain(_ca);
        _agent.AddJwtIssuer(_jwt);
        _agent.SetIdentities(WebId);
        await _agent.StartAsync();
    }

    private async Task RestartAgentAsync(WorkloadApiServerOptions options)
    {
        await _agent.DisposeAsync();
        await StartAgentAsync(options);
    }

    private WorkloadApiClient NewClient() => new(new WorkloadApiClientOptions { Address = _agent.Address });
}
