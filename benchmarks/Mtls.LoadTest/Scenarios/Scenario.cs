namespace Mtls.LoadTest.Scenarios;

/// <summary>One way of serving the same app: what to start, how a client reaches it, which processes are the server side.</summary>
internal abstract class Scenario : IAsyncDisposable
{
    internal abstract string Name { get; }

    internal abstract IEnumerable<int> ServerProcessIds { get; }

    /// <summary>Whether only the new-connection modes say something about this scenario.</summary>
    internal virtual bool NewConnectionsOnly => false;

    internal abstract Task StartAsync();

    /// <summary>A client handler; <paramref name="retireConnections"/> makes every connection serve one request.</summary>
    internal abstract HttpMessageHandler CreateHandler(bool retireConnections);

    internal abstract Uri Address(bool http2);

    public abstract ValueTask DisposeAsync();
}
