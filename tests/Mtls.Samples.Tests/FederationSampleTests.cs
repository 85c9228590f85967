namespace Mtls.Samples.Tests;

/// <summary>The federation sample end to end: two trust domains federated through their bundle endpoints, and a CA rotation.</summary>
public sealed class FederationSampleTests
{
    [Fact]
    public async Task Federation_sample_calls_across_trust_domains_follows_a_ca_rotation_and_exits_zero()
    {
        var (exitCode, output) = await SampleProcess.RunAsync("Federation", TimeSpan.FromSeconds(60));

        Assert.True(exitCode == 0, output);
        Assert.Contains("DEMO ONLY", output, StringComparison.Ordinal);
        Assert.DoesNotContain("FAIL", output, StringComparison.Ordinal);
        Assert.Contains("inventory said: \"spiffe://b.example/ns/stock/sa/inventory answers spiffe://a.example/ns/shop/sa/orders\"", output, StringComparison.Ordinal);
        Assert.Contains("b.example's federation health: 1 federated bundle(s) current", output, StringComparison.Ordinal);
        Assert.Contains("orders said: \"spiffe://a.example/ns/shop/sa/orders answers spiffe://b.example/ns/stock/sa/inventory\"", output, StringComparison.Ordinal);
        Assert.Contains("PASS  3. b.example rotates its CA", output, StringComparison.Ordinal);
        Assert.Contains("refused at the handshake: server 127.0.0.1:", output, StringComparison.Ordinal);
        Assert.Contains("chain does not verify against the bundle of the peer's trust domain", output, StringComparison.Ordinal);
        Assert.Contains("All steps behaved as expected.", output, StringComparison.Ordinal);
    }
}
