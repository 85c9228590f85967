namespace Mtls.WorkloadApi;

/// <summary>How to reach the SPIFFE Workload API, and the limits that guard against a misbehaving agent.</summary>
public class WorkloadApiClientOptions
{
    /// <summary>
    /// The endpoint: <c>unix:///path/to/agent.sock</c>, <c>unix:/path</c> or <c>tcp://IP:port</c>. Null or empty
    /// means the <c>SPIFFE_ENDPOINT_SOCKET</c> environment variable.
    /// </summary>
    public string? Address { get; set; }

    /// <summary>The largest message accepted from the agent; bigger ones fail the call. Default 4 MiB.</summary>
    public int MaxReceiveMessageBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>The most SVIDs one response may carry; a response with more is rejected. Default 100.</summary>
    public int MaxSvids { get; set; } = 100;

    /// <summary>The most bundles (trust domains) one response may carry; a response with more is rejected. Default 200.</summary>
    public int MaxBundles { get; set; } = 200;

    /// <summary>How long a connection may stay silent before an HTTP/2 ping checks the agent is alive. Default 30 s.</summary>
    public TimeSpan KeepAlivePingDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long to wait for the ping's answer before dropping the connection. Default 10 s.</summary>
    public TimeSpan KeepAlivePingTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long opening the connection may take. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The clock used to check certificate validity; the system clock by default.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal virtual void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxReceiveMessageBytes, 1024, nameof(MaxReceiveMessageBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSvids, 1, nameof(MaxSvids));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBundles, 1, nameof(MaxBundles));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(KeepAlivePingDelay, TimeSpan.Zero, nameof(KeepAlivePingDelay));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(KeepAlivePingTimeout, TimeSpan.Zero, nameof(KeepAlivePingTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ConnectTimeout, TimeSpan.Zero, nameof(ConnectTimeout));
        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}
