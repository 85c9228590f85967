namespace Mtls.WorkloadApi;

/// <summary>Options shared by the Workload API sources: the client's, plus the first-update wait and the reconnect backoff.</summary>
public class WorkloadApiSourceOptions : WorkloadApiClientOptions
{
    /// <summary>
    /// How long <c>CreateAsync</c> and <c>WaitUntilReadyAsync</c> wait for the agent's first valid update before failing
    /// with a <see cref="WorkloadApiException"/> that names the address, the attempts made and the last error. Default 15 s.
    /// </summary>
    public TimeSpan InitialFetchTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The first reconnect delay; it grows exponentially, with jitter, after each failed attempt. Default 1 s.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The cap on the reconnect delay. Default 30 s.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);

    internal override void Validate()
    {
        base.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(InitialFetchTimeout, TimeSpan.Zero, nameof(InitialFetchTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ReconnectDelay, TimeSpan.Zero, nameof(ReconnectDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxReconnectDelay, ReconnectDelay, nameof(MaxReconnectDelay));
    }
}
