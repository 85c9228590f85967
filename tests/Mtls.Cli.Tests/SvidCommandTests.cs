using System.Text.Json;
using Mtls.Cli.Commands;
using Mtls.X509;

namespace Mtls.Cli.Tests;

/// <summary><c>mtls svid</c> against the test kit's Workload API and against files.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SvidCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Svid_from_the_workload_api_prints_id_serial_expiry_and_chain()
    {
        await using var identity = await TestIdentity.StartAsync();

        var result = await Cli.RunAsync("svid", "--socket", identity.Socket);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains($"SPIFFE ID   {TestIdentity.WorkloadId}", result.Output, StringComparison.Ordinal);
        Assert.Contains("Serial      ", result.Output, StringComparison.Ordinal);
        Assert.Contains("Expires     ", result.Output, StringComparison.Ordinal);
        Assert.Contains("Chain       1. ", result.Output, StringComparison.Ordinal);
        Assert.Contains("Trusts      example.org (1 CA)", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Svid_json_from_files_carries_the_id_and_the_chain()
    {
        await using var identity = await TestIdentity.StartAsync();
        string files = identity.WriteFiles("spiffe://example.org/from-files");

        var result = await Cli.RunAsync("svid", "--files", files, "--json");

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        var svid = Assert.Single(json.RootElement.GetProperty("svids").EnumerateArray());
        Assert.Equal("spiffe://example.org/from-files", svid.GetProperty("id").GetString());
        Assert.Equal(2, svid.GetProperty("chain").GetArrayLength());
        Assert.True(svid.GetProperty("secondsToExpiry").GetDouble() > 0);
        Assert.Equal("example.org", Assert.Single(json.RootElement.GetProperty("trustDomains").EnumerateArray()).GetProperty("trustDomain").GetString());
    }

    [Fact]
    public async Task Svid_from_a_socket_without_an_agent_says_no_agent_at_that_socket()
    {
        await using var identity = await TestIdentity.StartAsync();
        string missing = "unix://" + Path.Combine(identity.Directory, "no-agent.sock");

        var result = await Cli.RunAsync("svid", "--socket", missing);

        Assert.Equal(ExitCodes.NoIdentity, result.ExitCode);
        Assert.Contains("no agent at that socket", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Svid_when_the_agent_has_no_identity_for_us_says_so()
    {
        await using var identity = await TestIdentity.StartAsync();
        identity.Agent.SetIdentities();

        var result = await Cli.RunAsync("svid", "--socket", identity.Socket, "--json");

        Assert.Equal(ExitCodes.NoIdentity, result.ExitCode);
        Assert.Contains("no identity for this process", result.Error, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(result.Output);
        Assert.Equal(ExitCodes.NoIdentity, json.RootElement.GetProperty("exitCode").GetInt32());
    }

    [Fact]
    public async Task Svid_watch_prints_each_rotation_as_it_happens()
    {
        await using var identity = await TestIdentity.StartAsync();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = new SignallingWriter();

        var run = Cli.RunAsync(["svid", "--socket", identity.Socket, "--watch"], stop.Token, output);
        await output.WaitUntilAsync(text => text.Contains("SPIFFE ID", StringComparison.Ordinal), Timeout);
        identity.Agent.Rotate();
        await output.WaitUntilAsync(text => text.Contains("-- rotation 1", StringComparison.Ordinal), Timeout);
        await stop.CancelAsync();
        var result = await run;

        Assert.Equal(0, result.ExitCode);
        var serials = result.Output.Split('\n').Where(l => l.StartsWith("Serial", StringComparison.Ordinal)).Select(l => l[12..].Trim()).ToList();
        Assert.Equal(2, serials.Count);
        Assert.NotEqual(serials[0], serials[1]);
    }

    [Fact]
    public async Task Svid_write_creates_spiffe_helper_files_with_the_key_readable_by_the_owner_only()
    {
        await using var identity = await TestIdentity.StartAsync();
        string target = Path.Combine(identity.Directory, "out");

        var result = await Cli.RunAsync("svid", "--socket", identity.Socket, "--write", target);

        Assert.Equal(0, result.ExitCode);
        string key = Path.Combine(target, SvidFileWriter.KeyFile);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        using var svid = X509Svid.LoadPemFiles(Path.Combine(target, SvidFileWriter.CertificateFile), key);
        Assert.Equal(TestIdentity.WorkloadId, svid.Id.ToString());
        Assert.Contains("BEGIN CERTIFICATE", await File.ReadAllTextAsync(Path.Combine(target, SvidFileWriter.BundleFile)), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(target, "*.tmp"));
    }

    [Fact]
    public async Task Svid_write_replaces_a_key_file_left_with_wide_permissions()
    {
        await using var identity = await TestIdentity.StartAsync();
        string target = Path.Combine(identity.Directory, "out");
        Directory.CreateDirectory(target);
        string key = Path.Combine(target, SvidFileWriter.KeyFile);
        await File.WriteAllTextAsync(key, "old");
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var result = await Cli.RunAsync("svid", "--socket", identity.Socket, "--write", target);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
    }

    [Fact]
    public async Task Svid_files_written_by_write_read_back_with_spiffe_helper_names()
    {
        await using var identity = await TestIdentity.StartAsync();
        string target = Path.Combine(identity.Directory, "helper");
        Assert.Equal(0, (await Cli.RunAsync("svid", "--socket", identity.Socket, "--write", target)).ExitCode);

        var result = await Cli.RunAsync("svid", "--files", target, "--spiffe-helper-names");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains($"SPIFFE ID   {TestIdentity.WorkloadId}", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Svid_watch_on_files_prints_a_rotation_when_the_files_change()
    {
        await using var identity = await TestIdentity.StartAsync();
        string files = identity.WriteFiles("spiffe://example.org/first");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = new SignallingWriter();

        var run = Cli.RunAsync(["svid", "--files", files, "--watch"], stop.Token, output);
        await output.WaitUntilAsync(text => text.Contains("spiffe://example.org/first", StringComparison.Ordinal), Timeout);
        var next = identity.Ca.Issue("spiffe://example.org/second");
        await File.WriteAllTextAsync(Path.Combine(files, "tls.key"), next.PrivateKeyPem);
        await File.WriteAllTextAsync(Path.Combine(files, "tls.crt"), next.CertificatesPem);
        await output.WaitUntilAsync(text => text.Contains("spiffe://example.org/second", StringComparison.Ordinal), Timeout);
        await stop.CancelAsync();
        var result = await run;

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("-- rotation 1", result.Output, StringComparison.Ordinal);
    }
}
