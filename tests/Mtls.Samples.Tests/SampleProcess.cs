using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace Mtls.Samples.Tests;

/// <summary>Runs a built sample (<c>dotnet samples/X/bin/.../X.dll args</c>) with a time limit and captures its output.</summary>
internal static class SampleProcess
{
    private static readonly string OutputFolder = typeof(SampleProcess).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "SamplesOutput").Value!;

    internal static async Task<(int ExitCode, string Output)> RunAsync(string sample, TimeSpan limit, params string[] args)
    {
        string dll = Path.Combine(RepositoryPaths.Root, "samples", sample, OutputFolder, sample + ".dll");
        Assert.True(File.Exists(dll), $"{dll} is not built");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"{sample} {string.Join(' ', args)} did not finish within {limit}:\n{await stdout}\n{await stderr}");
        }

        output.Append(await stdout).Append(await stderr);
        return (process.ExitCode, output.ToString());
    }
}
