using System.Text.RegularExpressions;

namespace Mtls.Samples.Tests;

/// <summary>The Kubernetes samples' programs, run here: --local plays the cluster's part, the roles check their arguments.</summary>
public sealed class LocalModeTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(40);

    [Fact]
    public async Task CertManager_local_mode_keeps_calls_succeeding_across_file_renewals()
    {
        var (exitCode, output) = await SampleProcess.RunAsync("CertManager", Limit, "--local", "--seconds", "7");

        Assert.True(exitCode == 0, output);
        Assert.True(Regex.Count(output, @"csi-driver-spiffe \(simulated\): wrote new SVIDs") >= 2, output);
        Assert.Matches(@"PASS \d+ calls, all answered over mTLS; the frontend presented [2-9] certificates across rotations", output);
        Assert.DoesNotContain("FAIL", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Spire_local_mode_keeps_calls_succeeding_across_agent_rotations()
    {
        var (exitCode, output) = await SampleProcess.RunAsync("Spire", Limit, "--local", "--seconds", "7");

        Assert.True(exitCode == 0, output);
        Assert.Matches(@"PASS \d+ calls, all answered over mTLS; the frontend presented [2-9] certificates across rotations", output);
        Assert.DoesNotContain("FAIL", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Frontend_role_without_the_orders_url_exits_2_with_the_usage()
    {
        var (exitCode, output) = await SampleProcess.RunAsync("CertManager", Limit, "--role", "frontend");

        Assert.Equal(2, exitCode);
        Assert.StartsWith("--role frontend needs --orders (e.g. https://orders.shop.svc)\nusage: --role orders", output, StringComparison.Ordinal);
    }
}
