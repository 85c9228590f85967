using System.Text.RegularExpressions;

namespace Mtls.Samples.Tests;

/// <summary>The README's first command, end to end: every step of the transcript behaves and the exit code says so.</summary>
public sealed class DemoTests
{
    [Fact]
    public async Task Demo_shows_allowed_denied_refused_rotation_and_jwt_through_a_proxy_and_exits_zero()
    {
        var (exitCode, output) = await SampleProcess.RunAsync("Demo", TimeSpan.FromSeconds(40));

        Assert.True(exitCode == 0, output);
        Assert.Contains("DEMO ONLY", output, StringComparison.Ordinal);
        Assert.DoesNotContain("FAIL", output, StringComparison.Ordinal);
        Assert.Contains("PASS  1. frontend -> orders over HTTP (mTLS): allowed", output, StringComparison.Ordinal);
        Assert.Contains("HTTP 200; orders verified the caller as spiffe://cluster.local/ns/shop/sa/frontend", output, StringComparison.Ordinal);
        Assert.Contains("gRPC GetOrder OK (order 1002 shipped); orders saw caller spiffe://cluster.local/ns/shop/sa/frontend", output, StringComparison.Ordinal);
        Assert.Contains("HTTP 403 and gRPC PermissionDenied: spiffe://cluster.local/ns/shop/sa/reports", output, StringComparison.Ordinal);
        Assert.Contains("it refused spiffe://evil.example/ns/shop/sa/frontend during the handshake (UntrustedTrustDomain)", output, StringComparison.Ordinal);
        var rotation = Regex.Match(output, @"orders serial (\w+) -> (\w+), frontend serial (\w+) -> (\w+); next calls: HTTP 200 and gRPC OK, orders saw the frontend's new certificate (\w+)");
        Assert.True(rotation.Success, output);
        Assert.NotEqual(rotation.Groups[1].Value, rotation.Groups[2].Value);
        Assert.NotEqual(rotation.Groups[3].Value, rotation.Groups[4].Value);
        Assert.Equal(rotation.Groups[4].Value, rotation.Groups[5].Value);
        Assert.Contains("HTTP 200: invoice 2001 for spiffe://cluster.local/ns/shop/sa/frontend, mTLS peer spiffe://cluster.local/ns/ingress/sa/gateway", output, StringComparison.Ordinal);
        Assert.Contains("HTTP 403, empty body: the gateway is a valid peer but the frontend's token for spiffe://cluster.local/ns/shop/sa/orders is not one for billing; billing's OnFailed event saw rule WrongAudience", output, StringComparison.Ordinal);
        Assert.Contains("PASS  8. telemetry: the request metrics name the caller and the callee by verified SPIFFE ID", output, StringComparison.Ordinal);
        Assert.Contains("Prometheus metrics of every service here: scrape http://127.0.0.1:", output, StringComparison.Ordinal);
        Assert.Contains("All steps behaved as expected.", output, StringComparison.Ordinal);
    }
}
