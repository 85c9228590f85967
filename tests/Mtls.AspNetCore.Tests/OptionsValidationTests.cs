using Microsoft.Extensions.Options;
using Mtls.AspNetCore.Tests.Infrastructure;

namespace Mtls.AspNetCore.Tests;

/// <summary>Invalid settings stop the application at startup with a message naming the configuration key.</summary>
public sealed class OptionsValidationTests
{
    [Theory]
    [InlineData("Spiffe:TrustDomain", "Not A Domain", "Spiffe:TrustDomain 'Not A Domain' is not a valid trust domain name")]
    [InlineData("Spiffe:AuthorizedTrustDomains:0", "spiffe://", "Spiffe:AuthorizedTrustDomains:0 'spiffe://' is not a valid trust domain name")]
    [InlineData("Spiffe:EndpointSocket", "tcp://localhost:8081", "Spiffe:EndpointSocket 'tcp://localhost:8081'")]
    [InlineData("Spiffe:StartupTimeout", "00:00:00", "Spiffe:StartupTimeout must be positive")]
    [InlineData("Spiffe:Authorization:Rules:0:Principals:0", "web", "Spiffe:Authorization:Rules:0: Action is required (Allow, Deny or Audit)")]
    public async Task Invalid_setting_fails_startup_naming_its_key(string key, string value, string expected)
    {
        using var source = new Mtls.Sources.InMemoryX509Source();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            MtlsTestServer.StartAsync(source, configuration: new Dictionary<string, string?> { [key] = value }));

        Assert.Contains(error.Failures, f => f.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Malformed_principal_in_a_rule_fails_startup_naming_the_rule()
    {
        using var source = new Mtls.Sources.InMemoryX509Source();
        var configuration = new Dictionary<string, string?>
        {
            ["Spiffe:Authorization:Rules:0:Action"] = "Allow",
            ["Spiffe:Authorization:Rules:1:Action"] = "Deny",
            ["Spiffe:Authorization:Rules:1:Principals:0"] = "web",
        };

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => MtlsTestServer.StartAsync(source, configuration: configuration));

        Assert.Equal("Spiffe:Authorization:Rules:1: principal 'web' is not a SPIFFE ID, a SPIFFE ID pattern or '*'", Assert.Single(error.Failures));
    }

    [Fact]
    public async Task Custom_source_kind_without_a_source_fails_startup()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            MtlsTestServer.StartAsync(source: null, configuration: new Dictionary<string, string?> { ["Spiffe:Source"] = "Custom" }));

        Assert.StartsWith("Spiffe:Source is Custom but no source was given", Assert.Single(error.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Startup_fails_when_no_svid_arrives_in_time()
    {
        using var empty = new Mtls.Sources.InMemoryX509Source();

        var error = await Assert.ThrowsAsync<TimeoutException>(() =>
            MtlsTestServer.StartAsync(empty, configuration: new Dictionary<string, string?> { ["Spiffe:StartupTimeout"] = "00:00:00.200" }));

        Assert.Contains("Spiffe:StartupTimeout", error.Message, StringComparison.Ordinal);
    }
}
