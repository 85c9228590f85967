using System.Diagnostics;

namespace Mtls.Testing.Processes;

/// <summary>
/// FOR TESTS ONLY. Runs a script with Node's built-in modules (<c>node -e</c>, no npm packages): an implementation of
/// JOSE and X.509 that we did not write, for interop tests.
/// </summary>
public static class NodeScript
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Runs <paramref name="script"/> with <paramref name="stdin"/> as its standard input; returns its standard output, trimmed.</summary>
    /// <exception cref="InvalidOperationException">Node exited with an error; the message holds its standard error.</exception>
    /// <exception cref="OperationCanceledException">Node did not finish within 30 s.</exception>
    public static async Task<string> RunAsync(string script, string stdin)
    {
        var start = new ProcessStartInfo("node", ["-e", script])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var node = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        await node.StandardInput.WriteAsync(stdin).ConfigureAwait(false);
        node.StandardInput.Close();
        using var timeout = new CancellationTokenSource(Timeout);
        var stdout = node.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = node.StandardError.ReadToEndAsync(timeout.Token);
        await node.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        if (node.ExitCode != 0)
        {
            throw new InvalidOperationException($"node exited with {node.ExitCode}: {await stderr.ConfigureAwait(false)}");
        }

        return (await stdout.ConfigureAwait(false)).Trim();
    }
}
