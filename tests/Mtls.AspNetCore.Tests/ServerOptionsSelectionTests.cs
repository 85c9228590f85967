using System.Security.Authentication;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Mtls.AspNetCore.Kestrel;
using Mtls.AspNetCore.Tests.Infrastructure;
using Mtls.Sources;

namespace Mtls.AspNetCore.Tests;

/// <summary>What Kestrel's per-handshake callback runs on a <c>UseSpiffeMtls()</c> endpoint to pick the server's options.</summary>
public sealed class ServerOptionsSelectionTests : IDisposable
{
    private readonly TestPki _pki = new();

    [Fact]
    public async Task Selecting_the_options_for_a_handshake_allocates_nothing()
    {
        using var source = new InMemoryX509Source(_pki.Ca.IssueSvid(TestPki.ServerId), _pki.Bundles());
        using var tls = CreateServerTls(source);
        var server = tls.CreateServer(HttpProtocols.Http1AndHttp2);
        var endpoint = new SpiffeListenOptionsExtensions.EndpointState { Server = server };
        var options = await endpoint.SelectOptions();
        Assert.Same(server.Current, options);
        Assert.Equal(TestPki.ServerId, server.Svid!.Id.ToString());

        // The selection completes synchronously, so every await below continues on this thread.
        int different = 0;
        for (int i = 0; i < 1_000; i++)
        {
            different += ReferenceEquals(await endpoint.SelectOptions(), options) ? 0 : 1;
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            different += ReferenceEquals(await endpoint.SelectOptions(), options) ? 0 : 1;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, different);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public async Task Without_an_svid_the_handshake_fails_saying_so()
    {
        using var source = new InMemoryX509Source(null, _pki.Bundles());
        using var tls = CreateServerTls(source);
        var endpoint = new SpiffeListenOptionsExtensions.EndpointState { Server = tls.CreateServer(HttpProtocols.Http1AndHttp2) };

        var error = await Assert.ThrowsAsync<AuthenticationException>(async () => await endpoint.SelectOptions());

        Assert.Equal("no X509-SVID is available to serve", error.Message);
    }

    public void Dispose() => _pki.Dispose();

    private static SpiffeServerTls CreateServerTls(InMemoryX509Source source) =>
        new(source, Options.Create(new SpiffeMtlsOptions()), Options.Create(new Mtls.Hosting.SpiffeX509SourceOptions()), Mtls.Telemetry.SpiffeIdLabels.Default, TimeProvider.System, NullLoggerFactory.Instance);
}
