using System.Diagnostics;

namespace Mtls.Testing.Processes;

/// <summary>
/// FOR TESTS ONLY. A tool we did not write (openssl, nginx, a database server) run as a child process, with its stdout and stderr lines collected
/// so a test can wait for the line that says it is ready instead of sleeping. Killed on dispose.
/// </summary>
public sealed class ExternalProcess : IDisposable
{
    private readonly Process _process;
    private readonly Lock _gate = new();
    private readonly List<string> _lines = [];
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string?> Done)> _waiters = [];
    private int _openStreams = 2;

    private ExternalProcess(Process process) => _process = process;

    /// <summary>Everything the process printed so far (for assertion messages).</summary>
    public string Output
    {
        get
        {
            lock (_gate)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    /// <summary>Starts <paramref name="fileName"/> with <paramref name="arguments"/> in <paramref name="workingDirectory"/>.</summary>
    public static ExternalProcess Start(string fileName, IEnumerable<string> arguments, string workingDirectory)
    {
        var process = new Process { StartInfo = Redirected(fileName, arguments, workingDirectory) };
        var external = new ExternalProcess(process);
        process.OutputDataReceived += (_, e) => external.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => external.OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return external;
    }

    /// <summary>How both kinds of child process start: each argument passed as is, every standard stream redirected.</summary>
    /// <param name="fileName">The program.</param>
    /// <param name="arguments">Its arguments.</param>
    /// <param name="workingDirectory">Where it runs; null for this process's current directory.</param>
    internal static ProcessStartInfo Redirected(string fileName, IEnumerable<string> arguments, string? workingDirectory)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory ?? string.Empty,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    /// <summary>
    /// The first line (already printed or still to come) that <paramref name="match"/> accepts, or null when the
    /// process closed its output without printing one.
    /// </summary>
    /// <exception cref="TimeoutException">No such line within <paramref name="timeout"/>.</exception>
    public Task<string?> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var done = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            var seen = _lines.Find(line => match(line));
            if (seen is not null || _openStreams == 0)
            {
                done.SetResult(seen);
            }
            else
            {
                _waiters.Add((match, done));
            }
        }

        return done.Task.WaitAsync(timeout);
    }

    /// <summary>Writes <paramref name="line"/> to the process's standard input.</summary>
    public async Task WriteLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line).ConfigureAwait(false);
        await _process.StandardInput.FlushAsync().ConfigureAwait(false);
    }

    /// <summary>Kills the process (and its children) if it still runs.</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }

        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        List<TaskCompletionSource<string?>> finished = [];
        string? result = line;
        lock (_gate)
        {
            if (line is null)
            {
                // Both streams closed: nothing more will match.
                if (--_openStreams > 0)
                {
                    return;
                }

                finished.AddRange(_waiters.Select(w => w.Done));
                _waiters.Clear();
            }
            else
            {
                _lines.Add(line);
                foreach (var waiter in _waiters.Where(w => w.Match(line)).ToList())
                {
                    finished.Add(waiter.Done);
                    _waiters.Remove(waiter);
                }
            }
        }

        foreach (var done in finished)
        {
            done.TrySetResult(result);
        }
    }
}
