using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Mtls.Authorization;
using Mtls.Bundles;
using Mtls.Sources;
using Mtls.Testing.Certificates;
using Mtls.Tls;
using Mtls.X509;

namespace Mtls.Core.Tests.Tls;

/// <summary>
/// Handshakes that a library runs itself with options from <see cref="SpiffeTlsClient"/> (as Npgsql and
/// StackExchange.Redis do), against a real <see cref="SpiffeTlsListener"/> on 127.0.0.1: a refused server fails the
/// library's <see cref="SslStream"/> with the typed refusal, not SslStream's generic one.
/// </summary>
public sealed class LibraryHandshakeRefusalTests : IAsyncLifetime
{
    private const string ServerId = "spiffe://example.org/server";
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create("example.org");
    private readonly TestCertificateAuthority _other = TestCertificateAuthority.Create("example.org");
    private readonly List<IDisposable> _owned = [];
    private SpiffeTlsListener? _listener;

    public Task InitializeAsync()
    {
        var source = Own(new InMemoryX509Source(Own(_ca.IssueSvid(ServerId)), Bundles(_ca)));
        _listener = SpiffeTlsListener.Start(new IPEndPoint(IPAddress.Loopback, 0), Own(new SpiffeTlsServer(source, Authorizer.Any())));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_listener is not null)
        {
            await _listener.DisposeAsync();
        }

        _owned.ForEach(o => o.Dispose());
        _other.Dispose();
        _ca.Dispose();
    }

    [Fact]
    public async Task Options_from_GetAuthenticationOptions_fail_an_unauthorized_server_with_SpiffePeerRefusedException_naming_the_rule()
    {
        var authorizer = Authorizer.Id("spiffe://example.org/someone-else");
        var client = new SpiffeTlsClient(ClientSource(_ca), authorizer);
        await using var stream = new SslStream(await ConnectAsync());

        var refused = await Assert.ThrowsAsync<SpiffePeerRefusedException>(() => stream.AuthenticateAsClientAsync(client.GetAuthenticationOptions("server")));

        Assert.Equal(SpiffePeerRefusal.Unauthorized, refused.Reason);
        Assert.Equal(ServerId, refused.PeerId?.ToString());
        Assert.Equal(authorizer.ToString(), refused.Rule);
        Assert.False(stream.IsAuthenticated);
    }

    [Fact]
    public async Task Options_set_by_ConfigureAuthenticationOptions_fail_a_server_outside_the_bundle_with_SpiffePeerRefusedException()
    {
        // The client trusts only the other CA of example.org, which did not issue the server's SVID.
        var client = new SpiffeTlsClient(ClientSource(_other), Authorizer.Id(ServerId));
        var options = new SslClientAuthenticationOptions { TargetHost = "server" };
        client.ConfigureAuthenticationOptions(options);
        await using var stream = new SslStream(await ConnectAsync());

        var refused = await Assert.ThrowsAsync<SpiffePeerRefusedException>(() => stream.AuthenticateAsClientAsync(options));

        Assert.Equal(SpiffePeerRefusal.InvalidSvid, refused.Reason);
        Assert.Null(refused.PeerId);
        Assert.False(stream.IsAuthenticated);
    }

    [Fact]
    public async Task ConnectAsync_still_fails_a_refused_server_with_one_SpiffePeerRefusedException()
    {
        var client = new SpiffeTlsClient(ClientSource(_ca), Authorizer.Id("spiffe://example.org/someone-else"));

        var refused = await Assert.ThrowsAsync<SpiffePeerRefusedException>(() => client.ConnectAsync(_listener!.LocalEndPoint));

        Assert.Equal(SpiffePeerRefusal.Unauthorized, refused.Reason);
        Assert.IsNotType<SpiffePeerRefusedException>(refused.InnerException);
    }

    private static X509BundleSet Bundles(TestCertificateAuthority ca) => new([ca.CreateBundle()]);

    private InMemoryX509Source ClientSource(TestCertificateAuthority trusted) =>
        Own(new InMemoryX509Source(Own(_ca.IssueSvid("spiffe://example.org/client")), Bundles(trusted)));

    private async Task<NetworkStream> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_listener!.LocalEndPoint);
        return new NetworkStream(socket, ownsSocket: true);
    }

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }
}
