using System.Diagnostics;

namespace Mtls.Testing.Processes;

/// <summary>
/// FOR TESTS ONLY. A tool we did not write (node, curl, the built command-line tool) run to completion as a child
/// process, with its standard input given and its output collected; killed when it overruns its time. For a tool
/// that keeps running (a server), see <see cref="ExternalProcess"/>.
/// </summary>
public static class ExternalCommand
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Runs <paramref name="fileName"/> with <paramref name="arguments"/> and returns how it ended.</summary>
    /// <param name="fileName">The program.</param>
    /// <param name="arguments">Its arguments, each passed as is.</param>
    /// <param name="standardInput">Written to its standard input, which is then closed; null leaves it empty.</param>
    /// <param name="timeout">How long it may run (30 s by default).</param>
    /// <exception cref="TimeoutException">It ran longer than <paramref name="timeout"/>; it was killed.</exception>
    public static async Task<ExternalCommandResult> RunAsync(string fileName, IEnumerable<string> arguments, string? standardInput = null, TimeSpan? timeout = null)
    {
        using var process = Process.Start(ExternalProcess.Redirected(fileName, arguments, workingDirectory: null)) ?? throw new InvalidOperationException($"{fileName} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput).ConfigureAwait(false);
        }

        process.StandardInput.Close();
        var limit = timeout ?? DefaultTimeout;
        using var deadline = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} did not finish within {limit.TotalSeconds:0.#} s", e);
        }

        return new ExternalCommandResult(process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
    }

    /// <summary>Runs it like <see cref="RunAsync"/> and returns its standard output, trimmed.</summary>
    /// <exception cref="InvalidOperationException">It exited with an error; the message holds its standard error.</exception>
    /// <exception cref="TimeoutException">It ran longer than <paramref name="timeout"/>; it was killed.</exception>
    public static async Task<string> RunToSuccessAsync(string fileName, IEnumerable<string> arguments, string? standardInput = null, TimeSpan? timeout = null)
    {
        var result = await RunAsync(fileName, arguments, standardInput, timeout).ConfigureAwait(false);
        return result.ExitCode == 0
            ? result.Output.Trim()
            : throw new InvalidOperationException($"{fileName} exited with {result.ExitCode}: {result.Error}");
    }
}
