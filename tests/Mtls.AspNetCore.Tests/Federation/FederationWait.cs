using Microsoft.Extensions.Primitives;
using Microsoft.Extensions.Time.Testing;
using Mtls.Federation;

namespace Mtls.AspNetCore.Tests.Federation;

/// <summary>Waits on a federated bundle source's fetch attempts (signals, never sleeps) and drives its fake clock.</summary>
internal static class FederationWait
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Waits until <paramref name="condition"/> holds for the only (or first) trust domain's status.</summary>
    public static async Task<FederatedBundleStatus> UntilAsync(FederatedBundleSource source, Func<FederatedBundleStatus, bool> condition)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (ChangeToken.OnChange(source.GetAttemptToken, () =>
        {
            if (condition(source.Statuses[0]))
            {
                done.TrySetResult();
            }
        }))
        {
            if (!condition(source.Statuses[0]))
            {
                await done.Task.WaitAsync(Timeout);
            }
        }

        return source.Statuses[0];
    }

    /// <summary>Waits for the first attempt to end and its next one to be scheduled.</summary>
    public static Task<FederatedBundleStatus> FirstAttemptAsync(FederatedBundleSource source) =>
        UntilAsync(source, s => s.NextAttempt is not null);

    /// <summary>Moves the fake clock to the next scheduled fetch and waits until that fetch has ended.</summary>
    public static async Task<FederatedBundleStatus> NextAttemptAsync(FederatedBundleSource source, FakeTimeProvider time)
    {
        var scheduled = await UntilAsync(source, s => s.NextAttempt is not null);
        var before = scheduled.LastAttempt;
        time.Advance(scheduled.NextAttempt!.Value - time.GetUtcNow());
        return await UntilAsync(source, s => s.NextAttempt is not null && s.LastAttempt > before);
    }
}
