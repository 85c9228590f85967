namespace Mtls.Cli.Tests;

/// <summary>Runs the <c>mtls</c> command line in-process, capturing what it prints.</summary>
public static class Cli
{
    public static async Task<CliResult> RunAsync(params string[] args)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await RunAsync(args, timeout.Token);
    }

    public static async Task<CliResult> RunAsync(string[] args, CancellationToken cancellationToken, SignallingWriter? output = null)
    {
        output ??= new SignallingWriter();
        using var error = new StringWriter();
        int code = await MtlsCli.RunAsync(args, output, error, cancellationToken);
        return new CliResult(code, output.ToString(), error.ToString());
    }
}

/// <summary>What one run printed and returned.</summary>
public sealed record CliResult(int ExitCode, string Output, string Error);

/// <summary>A thread-safe writer that lets a test wait until the output contains something (for --watch).</summary>
public sealed class SignallingWriter : StringWriter
{
    private readonly Lock _gate = new();
    private TaskCompletionSource _written = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override void Write(char value)
    {
        lock (_gate)
        {
            base.Write(value);
        }
    }

    public override void Write(string? value)
    {
        TaskCompletionSource written;
        lock (_gate)
        {
            base.Write(value);
            written = _written;
            _written = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        written.TrySetResult();
    }

    public override void WriteLine(string? value) => Write(value + NewLine);

    public override string ToString()
    {
        lock (_gate)
        {
            return base.ToString();
        }
    }

    /// <summary>Waits (signalled by each write, at most <paramref name="timeout"/>) until <paramref name="condition"/> holds for the text.</summary>
    public async Task WaitUntilAsync(Func<string, bool> condition, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        while (true)
        {
            Task next;
            lock (_gate)
            {
                next = _written.Task;
            }

            if (condition(ToString()))
            {
                return;
            }

            await next.WaitAsync(cancellation.Token);
        }
    }
}
