using Mtls.LoadTest.Load;
using Mtls.LoadTest.Servers;
using Mtls.LoadTest.Sidecars;

namespace Mtls.LoadTest.Scenarios;

/// <summary>client -> nginx egress (plaintext in, mTLS out) -> nginx ingress (mTLS in, plaintext out) -> plaintext app.</summary>
internal sealed class SidecarScenario(CertificateFiles files) : Scenario
{
    private ChildServer? _app;
    private NginxPair? _pair;

    internal override string Name => ScenarioNames.Sidecars;

    internal override IEnumerable<int> ServerProcessIds =>
        (_app is null ? [] : new[] { _app.ProcessId }).Concat(_pair?.ProcessIds ?? []);

    internal override async Task StartAsync()
    {
        _app = await ChildServer.StartAsync("plaintext", files.ServerDirectory);
        _pair = await NginxPair.StartAsync(files, _app.Http1Port);
    }

    internal override HttpMessageHandler CreateHandler(bool retireConnections) => ClientFactory.Plain(retireConnections);

    internal override Uri Address(bool http2) => new($"http://127.0.0.1:{(http2 ? _pair!.EgressHttp2Port : _pair!.EgressHttp1Port)}/");

    public override async ValueTask DisposeAsync()
    {
        if (_pair is not null)
        {
            await _pair.DisposeAsync();
        }

        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
