using Mtls.Testing.Processes;

namespace Mtls.DataStores.Tests;

internal static class ServerLog
{
    /// <summary>
    /// Waits until <paramref name="process"/> prints a line holding <paramref name="text"/> after the first
    /// <paramref name="skip"/> characters of its <see cref="ExternalProcess.Output"/> (taken before the action whose
    /// line is expected).
    /// </summary>
    internal static async Task WaitForAsync(ExternalProcess? process, string text, int skip)
    {
        ArgumentNullException.ThrowIfNull(process);

        // Lines are matched in the order they were printed, and Output joins them with '\n'.
        int seen = 0;
        string? line = await process.WaitForLineAsync(
            l =>
            {
                seen += l.Length + 1;
                return seen > skip && l.Contains(text, StringComparison.Ordinal);
            },
            TimeSpan.FromSeconds(15));
        Assert.True(line is not null, $"the server did not log '{text}':\n{process.Output}");
    }
}
