namespace Mtls.LoadTest.Scenarios;

/// <summary>
/// The client talks straight to the app: plaintext, raw mTLS or Mtls, depending on the server kind; with
/// <paramref name="fullHandshakes"/> the server resumes no TLS session, and only the new-connection modes are run.
/// </summary>
internal sealed class DirectScenario(string name, string serverKind, string certificateDirectory, bool tls, Func<bool, HttpMessageHandler> handler, bool fullHandshakes = false) : Scenario
{
    private ChildServer? _server;

    internal override string Name => name;

    internal override IEnumerable<int> ServerProcessIds => _server is null ? [] : [_server.ProcessId];

    internal override bool NewConnectionsOnly => fullHandshakes;

    internal override async Task StartAsync() => _server = await ChildServer.StartAsync(serverKind, certificateDirectory, fullHandshakes);

    internal override HttpMessageHandler CreateHandler(bool retireConnections) => handler(retireConnections);

    internal override Uri Address(bool http2) =>
        new($"{(tls ? "https" : "http")}://127.0.0.1:{(http2 ? _server!.Http2Port : _server!.Http1Port)}/");

    public override async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
