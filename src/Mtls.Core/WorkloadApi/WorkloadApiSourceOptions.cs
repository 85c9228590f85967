namespace Mtls.WorkloadApi;

/// <summary>Options shared by the Workload API sources: the client's, plus the first-update wait and the reconnect backoff.</summary>
public class WorkloadApiSourceOptions : WorkloadApiClientOptions
{
    /// <summary>
    /// How long <c>CreateAsync</c> and <c>WaitUntilReadyAsync</c> wait for the agent's first valid update before failing
    /// with a <see cref="WorkloadApiException"/> that names the address, the attempts made and the last error. Default 15 s.
    /// </summary>
    public TimeSpan InitialFetchTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The first reconnect delay; it doubles after each failure in a row, and each actual delay is a random point
    /// between half and all of that (jitter). Default 1 s: with the defaults an agent that keeps failing sees at most
    /// 5 attempts in its first 10 s.
    /// </summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The cap on the reconnect delay. Default 30 s.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a stream must stay up after its first update before the reconnect delay starts afresh from
    /// <see cref="ReconnectDelay"/>. Until then every failure, also of a stream that delivered an update, grows the delay,
    /// so an agent that drops each stream right after one update is retried with backoff, not in a tight loop. Default 30 s.
    /// </summary>
    public TimeSpan HealthyStreamDuration { get; set; } = TimeSpan.FromSeconds(30);

    internal override void Validate()
    {
        base.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(InitialFetchTimeout, TimeSpan.Zero, nameof(InitialFetchTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ReconnectDelay, TimeSpan.Zero, nameof(ReconnectDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxReconnectDelay, ReconnectDelay, nameof(MaxReconnectDelay));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(HealthyStreamDuration, TimeSpan.Zero, nameof(HealthyStreamDuration));
    }
}
