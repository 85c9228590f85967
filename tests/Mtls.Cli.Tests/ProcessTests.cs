using Mtls.Testing.Processes;

namespace Mtls.Cli.Tests;

/// <summary>The tool as a process, as <c>dotnet tool install</c> runs it: arguments, output and exit codes end to end.</summary>
public sealed class ProcessTests
{
    [Fact]
    public async Task Mtls_as_a_process_prints_the_svid_and_exits_0()
    {
        await using var identity = await TestIdentity.StartAsync();

        var (code, output) = await RunAsync("svid", "--socket", identity.Socket);

        Assert.Equal(0, code);
        Assert.Contains(TestIdentity.WorkloadId, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mtls_as_a_process_exits_3_without_an_agent()
    {
        await using var identity = await TestIdentity.StartAsync();

        var (code, output) = await RunAsync("svid", "--socket", "unix://" + Path.Combine(identity.Directory, "none.sock"));

        Assert.Equal(ExitCodes.NoIdentity, code);
        Assert.Contains("no agent at that socket", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// The tool in its own build output (src/Mtls.Cli/bin/CONFIG/net10.0), with its own deps and runtime config: the
    /// copy in this test's output resolves assemblies the way the test host does, not the way the tool does.
    /// </summary>
    private static string ToolPath()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string framework = output.Name;
        string configuration = output.Parent!.Name;
        for (var dir = output; dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Mtls.slnx")))
            {
                return Path.Combine(dir.FullName, "src", "Mtls.Cli", "bin", configuration, framework, "mtls.dll");
            }
        }

        throw new DirectoryNotFoundException("Mtls.slnx not found above " + AppContext.BaseDirectory);
    }

    private static async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var result = await ExternalCommand.RunAsync(
            Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet",
            [ToolPath(), .. args],
            timeout: TimeSpan.FromSeconds(60));
        return (result.ExitCode, result.Output + result.Error);
    }
}
