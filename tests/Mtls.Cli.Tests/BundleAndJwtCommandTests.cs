using System.Text.Json;

namespace Mtls.Cli.Tests;

/// <summary><c>mtls bundle</c> and <c>mtls jwt fetch|validate</c> against the test kit's Workload API and files.</summary>
public sealed class BundleAndJwtCommandTests
{
    [Fact]
    public async Task Bundle_lists_trust_domains_their_authorities_and_jwt_keys()
    {
        await using var identity = await TestIdentity.StartAsync();
        identity.Agent.AddTrustDomain(identity.Other);

        var result = await Cli.RunAsync("bundle", "--socket", identity.Socket, "--json");

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        var domains = json.RootElement.GetProperty("trustDomains").EnumerateArray().ToDictionary(d => d.GetProperty("trustDomain").GetString()!);
        Assert.Equal(["example.org", "other.org"], domains.Keys.Order());
        Assert.Equal(identity.Ca.Root.SerialNumber, Assert.Single(domains["example.org"].GetProperty("x509Authorities").EnumerateArray()).GetProperty("serial").GetString());
        Assert.Equal(identity.Jwt.KeyId, Assert.Single(domains["example.org"].GetProperty("jwtAuthorities").EnumerateArray()).GetProperty("keyId").GetString());
    }

    [Fact]
    public async Task Bundle_from_files_shows_the_ca()
    {
        await using var identity = await TestIdentity.StartAsync();
        string files = identity.WriteFiles("spiffe://example.org/from-files");

        var result = await Cli.RunAsync("bundle", "--files", files);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Trust domain example.org", result.Output, StringComparison.Ordinal);
        Assert.Contains($"serial {identity.Ca.Root.SerialNumber}", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Jwt_fetch_prints_a_token_that_jwt_validate_accepts()
    {
        await using var identity = await TestIdentity.StartAsync();

        var fetched = await Cli.RunAsync("jwt", "fetch", "--socket", identity.Socket, "--audience", "billing", "--json");
        Assert.Equal(0, fetched.ExitCode);
        using var json = JsonDocument.Parse(fetched.Output);
        var svid = Assert.Single(json.RootElement.GetProperty("svids").EnumerateArray());
        Assert.Equal(TestIdentity.WorkloadId, svid.GetProperty("id").GetString());
        string token = svid.GetProperty("token").GetString()!;

        var validated = await Cli.RunAsync("jwt", "validate", token, "--audience", "billing", "--socket", identity.Socket);

        Assert.Equal(0, validated.ExitCode);
        Assert.Contains($"valid JWT-SVID  SPIFFE ID {TestIdentity.WorkloadId}", validated.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Jwt_validate_names_the_rule_a_token_for_another_audience_breaks()
    {
        await using var identity = await TestIdentity.StartAsync();
        string token = identity.Jwt.IssueToken(TestIdentity.WorkloadId, "someone-else");

        var result = await Cli.RunAsync("jwt", "validate", token, "--audience", "billing", "--socket", identity.Socket, "--json");

        Assert.Equal(ExitCodes.Invalid, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        Assert.False(json.RootElement.GetProperty("valid").GetBoolean());
        Assert.Equal("WrongAudience", json.RootElement.GetProperty("rule").GetString());
    }

    [Fact]
    public async Task Jwt_validate_against_a_bundle_file_refuses_a_token_signed_by_another_issuer()
    {
        await using var identity = await TestIdentity.StartAsync();
        using var impostor = Mtls.Testing.Jwt.TestJwtIssuer.Create("example.org");
        string bundle = identity.WriteFile("jwks.json", identity.Jwt.ToJwks());

        var genuine = await Cli.RunAsync("jwt", "validate", identity.Jwt.IssueToken(TestIdentity.WorkloadId, "billing"), "--audience", "billing", "--bundle", bundle);
        var forged = await Cli.RunAsync("jwt", "validate", impostor.IssueToken(TestIdentity.WorkloadId, "billing"), "--audience", "billing", "--bundle", bundle);

        Assert.Equal(0, genuine.ExitCode);
        Assert.Equal(ExitCodes.Invalid, forged.ExitCode);
        Assert.Contains("invalid JWT-SVID (", forged.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Jwt_fetch_without_an_audience_is_a_usage_error()
    {
        var result = await Cli.RunAsync("jwt", "fetch", "--socket", "unix:///nonexistent.sock");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--audience", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_command_is_a_usage_error()
    {
        var result = await Cli.RunAsync("frobnicate");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
    }
}
