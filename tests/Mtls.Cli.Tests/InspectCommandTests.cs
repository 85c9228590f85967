using System.Text.Json;
using Mtls.Bundles;
using Mtls.Testing.Certificates;

namespace Mtls.Cli.Tests;

/// <summary><c>mtls inspect</c>: valid SVIDs and bundles, and the rule each broken file breaks.</summary>
public sealed class InspectCommandTests
{
    [Fact]
    public async Task Inspect_a_valid_svid_with_its_key_and_bundle()
    {
        await using var identity = await TestIdentity.StartAsync();
        string files = identity.WriteFiles(TestIdentity.WorkloadId);

        var result = await Cli.RunAsync("inspect", Path.Combine(files, "tls.crt"), "--key", Path.Combine(files, "tls.key"), "--bundle", Path.Combine(files, "ca.crt"));

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("valid X509-SVID", result.Output, StringComparison.Ordinal);
        Assert.Contains($"SPIFFE ID  {TestIdentity.WorkloadId}", result.Output, StringComparison.Ordinal);
        Assert.Contains("private key matches the leaf", result.Output, StringComparison.Ordinal);
        Assert.Contains("chain verified against 1 authority of example.org", result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BrokenSvids))]
    public async Task Inspect_names_the_rule_a_broken_svid_breaks(string name, SvidSpec spec, string rule)
    {
        await using var identity = await TestIdentity.StartAsync();
        string files = identity.WriteFiles(TestIdentity.WorkloadId, spec);

        var result = await Cli.RunAsync("inspect", Path.Combine(files, "tls.crt"), "--json");

        Assert.Equal(ExitCodes.Invalid, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        Assert.False(json.RootElement.GetProperty("valid").GetBoolean(), name);
        Assert.Equal(rule, json.RootElement.GetProperty("rule").GetString());
    }

    public static TheoryData<string, SvidSpec, string> BrokenSvids() => new()
    {
        { "expired", new SvidSpec { NotBefore = DateTimeOffset.UtcNow.AddHours(-2), NotAfter = DateTimeOffset.UtcNow.AddHours(-1) }, "Expired" },
        { "no URI SAN", new SvidSpec { UriSans = [] }, "NoUriSan" },
        { "two URI SANs", new SvidSpec { UriSans = ["spiffe://example.org/a", "spiffe://example.org/b"] }, "MultipleUriSans" },
        { "leaf is a CA", new SvidSpec { IsCa = true, KeyUsage = System.Security.Cryptography.X509Certificates.X509KeyUsageFlags.DigitalSignature }, "LeafIsCa" },
    };

    [Fact]
    public async Task Inspect_an_svid_against_the_bundle_of_another_trust_domain_says_the_chain_is_not_trusted()
    {
        await using var identity = await TestIdentity.StartAsync();
        string files = identity.WriteFiles(TestIdentity.WorkloadId, ca: identity.Other);
        string wrongBundle = identity.WriteFile("example-ca.pem", identity.Ca.Root.ExportCertificatePem());

        var result = await Cli.RunAsync("inspect", Path.Combine(files, "tls.crt"), "--bundle", wrongBundle);

        Assert.Equal(ExitCodes.Invalid, result.ExitCode);
        Assert.Contains("not a valid X509-SVID: ChainNotTrusted", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_a_key_of_another_svid_says_the_key_does_not_match()
    {
        await using var identity = await TestIdentity.StartAsync();
        string files = identity.WriteFiles(TestIdentity.WorkloadId);
        string otherKey = identity.WriteFile("other.key", identity.Ca.Issue("spiffe://example.org/other").PrivateKeyPem);

        var result = await Cli.RunAsync("inspect", Path.Combine(files, "tls.crt"), "--key", otherKey);

        Assert.Equal(ExitCodes.Invalid, result.ExitCode);
        Assert.Contains("KeyMismatch", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_ca_certificates_reads_them_as_an_x509_bundle()
    {
        await using var identity = await TestIdentity.StartAsync();
        string path = identity.WriteFile("ca.pem", identity.Ca.Root.ExportCertificatePem());

        var result = await Cli.RunAsync("inspect", path);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("valid X.509 bundle (CA certificates)", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_a_spiffe_bundle_counts_its_authorities_and_keys()
    {
        await using var identity = await TestIdentity.StartAsync();
        string json = SpiffeBundle.FromBundles(identity.Ca.CreateBundle(), identity.Jwt.Bundle, sequenceNumber: 7).ToJson();
        string path = identity.WriteFile("bundle.json", json);

        var result = await Cli.RunAsync("inspect", path, "--trust-domain", "example.org");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("valid SPIFFE bundle", result.Output, StringComparison.Ordinal);
        Assert.Contains("1 X.509 authority, 1 JWT key, sequence 7", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_a_malformed_spiffe_bundle_names_the_rule()
    {
        await using var identity = await TestIdentity.StartAsync();
        string path = identity.WriteFile("bundle.json", "{\"keys\": [{\"kty\": \"EC\", \"use\": \"x509-svid\"}], \"spiffe_sequence\": -1}");

        var result = await Cli.RunAsync("inspect", path, "--json");

        Assert.Equal(ExitCodes.Invalid, result.ExitCode);
        using var report = JsonDocument.Parse(result.Output);
        Assert.Equal("SPIFFE bundle", report.RootElement.GetProperty("kind").GetString());
        Assert.False(string.IsNullOrEmpty(report.RootElement.GetProperty("rule").GetString()));
    }

    [Fact]
    public async Task Inspect_a_file_that_is_neither_says_so()
    {
        await using var identity = await TestIdentity.StartAsync();
        string path = identity.WriteFile("notes.txt", "hello");

        var result = await Cli.RunAsync("inspect", path);

        Assert.Equal(ExitCodes.Invalid, result.ExitCode);
        Assert.Contains("not a certificate or bundle", result.Output, StringComparison.Ordinal);
    }
}
