using Mtls.Sources;

namespace Mtls.Core.Tests.WorkloadApi;

/// <summary>Waits on a source's change token (never a fixed sleep), bounded by a timeout.</summary>
public static class SourceSignals
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Waits until the source's current snapshot satisfies <paramref name="condition"/>, re-checking on each change.</summary>
    public static async Task<X509Context> WaitUntilAsync(IX509Source source, Func<X509Context, bool> condition, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Timeout);
        while (true)
        {
            var fired = Fired(source.GetChangeToken());
            if (source.Current is { } current && condition(current))
            {
                return current;
            }

            try
            {
                await fired.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException("The source's state never satisfied the condition in time.");
            }
        }
    }

    /// <summary>A task completing when <paramref name="token"/> fires.</summary>
    public static Task Fired(Microsoft.Extensions.Primitives.IChangeToken token)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        token.RegisterChangeCallback(static state => ((TaskCompletionSource)state!).TrySetResult(), tcs);
        return tcs.Task;
    }
}
