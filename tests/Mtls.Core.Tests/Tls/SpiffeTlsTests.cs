using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Mtls.Authorization;
using Mtls.Bundles;
using Mtls.Sources;
using Mtls.Testing.Certificates;
using Mtls.Tls;
using Mtls.X509;

namespace Mtls.Core.Tests.Tls;

/// <summary>The public TLS API over raw TCP and Unix sockets: both sides on <see cref="SpiffeTlsServer"/> and <see cref="SpiffeTlsClient"/>.</summary>
public sealed class SpiffeTlsTests : IAsyncLifetime
{
    private const string ServerId = "spiffe://example.org/server";
    private const string ClientId = "spiffe://example.org/client";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create("example.org");
    private readonly TestCertificateAuthority _otherCa = TestCertificateAuthority.Create("example.org");
    private InMemoryX509Source _serverSource = null!;
    private InMemoryX509Source _clientSource = null!;
    private SpiffeTlsServer _server = null!;
    private SpiffeTlsListener _listener = null!;

    public Task InitializeAsync()
    {
        _serverSource = new InMemoryX509Source(_ca.IssueSvid(ServerId), Bundles(_ca));
        _clientSource = new InMemoryX509Source(_ca.IssueSvid(ClientId), Bundles(_ca));
        _server = new SpiffeTlsServer(_serverSource, Authorizer.Id(ClientId));
        _listener = SpiffeTlsListener.Start(new IPEndPoint(IPAddress.Loopback, 0), _server);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Echo_over_tcp_with_both_sides_on_the_public_api_knows_each_peer()
    {
        var client = new SpiffeTlsClient(_clientSource, Authorizer.Id(ServerId));

        await using var outbound = await client.ConnectAsync(_listener.LocalEndPoint).WaitAsync(Timeout);
        await using var inbound = await _listener.AcceptAsync().AsTask().WaitAsync(Timeout);

        Assert.Equal(ServerId, outbound.PeerId.ToString());
        Assert.Equal(ClientId, inbound.PeerId.ToString());
        Assert.Equal(ServerId, outbound.Stream.GetSpiffePeerId()?.ToString());
        Assert.Equal(ClientId, inbound.Stream.GetSpiffePeerId()?.ToString());
        Assert.Equal("olleh", await EchoReversedAsync(outbound, inbound, "hello"));
    }

    [Fact]
    public async Task Echo_over_a_unix_socket()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mtls-{Guid.NewGuid():N}.sock");
        await using var listener = SpiffeTlsListener.Start(new UnixDomainSocketEndPoint(path), _server);
        try
        {
            var client = new SpiffeTlsClient(_clientSource, Authorizer.Id(ServerId));
            await using var outbound = await client.ConnectAsync(new UnixDomainSocketEndPoint(path)).WaitAsync(Timeout);
            await using var inbound = await listener.AcceptAsync().AsTask().WaitAsync(Timeout);

            Assert.Equal(ClientId, inbound.PeerId.ToString());
            Assert.Equal("xinu", await EchoReversedAsync(outbound, inbound, "unix"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task New_connections_present_the_rotated_svids_of_both_sides()
    {
        var client = new SpiffeTlsClient(_clientSource, Authorizer.Id(ServerId));
        await using (var first = await client.ConnectAsync(_listener.LocalEndPoint).WaitAsync(Timeout))
        await using (var firstInbound = await _listener.AcceptAsync().AsTask().WaitAsync(Timeout))
        {
            Assert.Equal(_clientSource.GetX509Svid()!.Certificate.SerialNumber, SerialOf(firstInbound.Stream.RemoteCertificate));
        }

        var clientSvid = _ca.IssueSvid(ClientId);
        var serverSvid = _ca.IssueSvid(ServerId);
        _clientSource.Update(clientSvid, Bundles(_ca));
        _serverSource.Update(serverSvid, Bundles(_ca));

        await using var second = await client.ConnectAsync(_listener.LocalEndPoint).WaitAsync(Timeout);
        await using var secondInbound = await _listener.AcceptAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal(clientSvid.Certificate.SerialNumber, SerialOf(secondInbound.Stream.RemoteCertificate));
        Assert.Equal(serverSvid.Certificate.SerialNumber, SerialOf(second.Stream.RemoteCertificate));
    }

    [Fact]
    public async Task Client_refuses_a_server_with_the_wrong_id_naming_the_rule()
    {
        var client = new SpiffeTlsClient(_clientSource, Authorizer.Id("spiffe://example.org/database"));

        var refused = await Assert.ThrowsAsync<SpiffePeerRefusedException>(() => client.ConnectAsync(_listener.LocalEndPoint).WaitAsync(Timeout));

        Assert.Equal(SpiffePeerRefusal.Unauthorized, refused.Reason);
        Assert.Equal(ServerId, refused.PeerId?.ToString());
        Assert.Contains("spiffe://example.org/database", refused.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_refuses_a_server_whose_svid_is_not_from_its_trust_domain_bundle()
    {
        _serverSource.Update(_otherCa.IssueSvid(ServerId), Bundles(_ca));
        var client = new SpiffeTlsClient(_clientSource, Authorizer.Id(ServerId));

        var refused = await Assert.ThrowsAsync<SpiffePeerRefusedException>(() => client.ConnectAsync(_listener.LocalEndPoint).WaitAsync(Timeout));

        Assert.Equal(SpiffePeerRefusal.InvalidSvid, refused.Reason);
        Assert.Null(refused.PeerId);
        Assert.Equal(X509SvidRule.ChainNotTrusted, refused.SvidRule);
    }

    [Fact]
    public async Task Server_refuses_a_client_with_the_wrong_id_and_the_listener_never_hands_it_out()
    {
        using var intruderSource = new InMemoryX509Source(_ca.IssueSvid("spiffe://example.org/intruder"), Bundles(_ca));
        var intruder = new SpiffeTlsClient(intruderSource, Authorizer.Id(ServerId));

        var refusal = await ServerRefusalAsync(intruder);

        Assert.Equal(SpiffePeerRefusal.Unauthorized, refusal.Reason);
        Assert.Equal("spiffe://example.org/intruder", refusal.PeerId?.ToString());
        await AssertListenerHandsOutOnlyTheNextGoodClientAsync(intruder);
    }

    [Fact]
    public async Task Server_refuses_a_client_whose_svid_is_not_from_its_trust_domain_bundle()
    {
        using var forgedSource = new InMemoryX509Source(_otherCa.IssueSvid(ClientId), Bundles(_ca));
        var forged = new SpiffeTlsClient(forgedSource, Authorizer.Id(ServerId));

        var refusal = await ServerRefusalAsync(forged);

        Assert.Equal(SpiffePeerRefusal.InvalidSvid, refusal.Reason);
        Assert.Null(refusal.PeerId);
        await AssertListenerHandsOutOnlyTheNextGoodClientAsync(forged);
    }

    [Fact]
    public async Task A_client_that_never_completes_its_handshake_delays_nobody_else()
    {
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await silent.ConnectAsync(_listener.LocalEndPoint);

        var client = new SpiffeTlsClient(_clientSource, Authorizer.Id(ServerId));
        await using var outbound = await client.ConnectAsync(_listener.LocalEndPoint).WaitAsync(Timeout);
        await using var inbound = await _listener.AcceptAsync().AsTask().WaitAsync(Timeout);

        Assert.Equal(ClientId, inbound.PeerId.ToString());
    }

    [Fact]
    public async Task Handshake_that_exceeds_the_timeout_fails_and_closes_the_transport()
    {
        var (server, silentClient, handshake) = await SilentClientPastTheTimeoutAsync();
        using var disposeServer = server;
        using var disposeClient = silentClient;

        var error = await Assert.ThrowsAsync<TimeoutException>(() => handshake.WaitAsync(Timeout));
        Assert.Contains("HandshakeTimeout", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await silentClient.ReceiveAsync(new byte[1]).WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_server_handshake_that_times_out_is_counted_once_as_a_timeout()
    {
        using var counter = new ServerHandshakeCounter();
        var (server, silentClient, handshake) = await SilentClientPastTheTimeoutAsync();
        using var disposeServer = server;
        using var disposeClient = silentClient;

        await Assert.ThrowsAsync<TimeoutException>(() => handshake.WaitAsync(Timeout));

        Assert.Equal("timeout", Assert.Single(counter.ErrorTypes));
    }

    [Fact]
    public async Task Cancelled_handshake_throws_and_closes_the_transport()
    {
        var (serverEnd, clientEnd) = await LoopbackSockets.PairAsync();
        using var silentClient = clientEnd;
        using var cancel = new CancellationTokenSource();

        var handshake = _server.AuthenticateAsync(new NetworkStream(serverEnd, ownsSocket: true), cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => handshake.WaitAsync(Timeout));
        Assert.Equal(0, await silentClient.ReceiveAsync(new byte[1]).WaitAsync(Timeout));
    }

    [Fact]
    public async Task Without_an_svid_neither_side_handshakes_and_each_says_so()
    {
        using var empty = new InMemoryX509Source(null, Bundles(_ca));
        using var server = new SpiffeTlsServer(empty, Authorizer.Any());
        var client = new SpiffeTlsClient(empty, Authorizer.Any());
        var (serverEnd, clientEnd) = await LoopbackSockets.PairAsync();
        using var other = clientEnd;

        var serverError = await Assert.ThrowsAsync<AuthenticationException>(() => server.AuthenticateAsync(new NetworkStream(serverEnd, ownsSocket: true)));
        var clientError = Assert.Throws<InvalidOperationException>(() => client.GetAuthenticationOptions("server"));

        Assert.Contains("no X509-SVID", serverError.Message, StringComparison.Ordinal);
        Assert.Contains("no SVID", clientError.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(server.GetAuthenticationOptions);
    }

    [Fact]
    public async Task Options_configured_on_a_library_owned_stream_verify_and_report_the_server()
    {
        var client = new SpiffeTlsClient(_clientSource, Authorizer.Id(ServerId));
        var wrong = new SpiffeTlsClient(_clientSource, Authorizer.Id("spiffe://example.org/database"));

        using (var socket = await ConnectAsync())
        {
            await using var stream = new SslStream(new NetworkStream(socket));
            var options = new SslClientAuthenticationOptions { TargetHost = "db.internal" };
            client.ConfigureAuthenticationOptions(options);
            await stream.AuthenticateAsClientAsync(options).WaitAsync(Timeout);
            await using var inbound = await _listener.AcceptAsync().AsTask().WaitAsync(Timeout);

            Assert.Equal(ServerId, stream.GetSpiffePeerId()?.ToString());
            Assert.Equal("db.internal", options.TargetHost);
        }

        using var refusedSocket = await ConnectAsync();
        await using var refusedStream = new SslStream(new NetworkStream(refusedSocket));
        await Assert.ThrowsAsync<SpiffePeerRefusedException>(() => refusedStream.AuthenticateAsClientAsync(wrong.GetAuthenticationOptions("db.internal")).WaitAsync(Timeout));
        Assert.Null(refusedStream.GetSpiffePeerId());
    }

    [Fact]
    public async Task A_stream_not_authenticated_by_mtls_has_no_spiffe_peer()
    {
        using var socket = await ConnectAsync();
        await using var stream = new SslStream(new NetworkStream(socket));

        Assert.Null(stream.GetSpiffePeerId());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(3600)]
    public void Handshake_timeout_out_of_range_is_refused_up_front(int seconds)
    {
        var options = new SpiffeTlsOptions { HandshakeTimeout = TimeSpan.FromSeconds(seconds) };

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new SpiffeTlsClient(_clientSource, Authorizer.Any(), options));

        Assert.Contains("HandshakeTimeout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Authorizer_is_required_on_both_sides()
    {
        Assert.Throws<ArgumentNullException>(() => new SpiffeTlsServer(_serverSource, null!));
        Assert.Throws<ArgumentNullException>(() => new SpiffeTlsClient(_clientSource, null!));
    }

    public async Task DisposeAsync()
    {
        await _listener.DisposeAsync();
        _server.Dispose();
        _serverSource.Dispose();
        _clientSource.Dispose();
        _ca.Dispose();
        _otherCa.Dispose();
    }

    private static X509BundleSet Bundles(TestCertificateAuthority ca) => new([ca.CreateBundle()]);

    private static string? SerialOf(X509Certificate? certificate) => (certificate as X509Certificate2)?.SerialNumber;

    /// <summary>The client writes <paramref name="text"/>; the server answers it reversed.</summary>
    private static async Task<string> EchoReversedAsync(SpiffeTlsConnection client, SpiffeTlsConnection server, string text)
    {
        await client.Stream.WriteAsync(Encoding.UTF8.GetBytes(text));
        var buffer = new byte[text.Length];
        await server.Stream.ReadExactlyAsync(buffer).AsTask().WaitAsync(Timeout);
        Array.Reverse(buffer);
        await server.Stream.WriteAsync(buffer);
        await client.Stream.ReadExactlyAsync(buffer).AsTask().WaitAsync(Timeout);
        return Encoding.UTF8.GetString(buffer);
    }

    private async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_listener.LocalEndPoint);
        return socket;
    }

    /// <summary>The server's verdict on <paramref name="client"/>, from a handshake run directly (not through the listener).</summary>
    private async Task<SpiffePeerRefusedException> ServerRefusalAsync(SpiffeTlsClient client)
    {
        var (serverEnd, clientEnd) = await LoopbackSockets.PairAsync();
        var serverSide = _server.AuthenticateAsync(new NetworkStream(serverEnd, ownsSocket: true));
        var clientSide = client.AuthenticateAsync(new NetworkStream(clientEnd, ownsSocket: true), "server");
        var refused = await Assert.ThrowsAsync<SpiffePeerRefusedException>(() => serverSide.WaitAsync(Timeout));

        // TLS 1.3: the client's handshake may complete before the server's verdict; its first read then fails.
        try
        {
            await using var connection = await clientSide.WaitAsync(Timeout);
            var read = await connection.Stream.ReadAsync(new byte[1]).AsTask().WaitAsync(Timeout);
            Assert.Equal(0, read);
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            // The refusal reached the client as an alert or a closed connection.
        }

        return refused;
    }

    private async Task AssertListenerHandsOutOnlyTheNextGoodClientAsync(SpiffeTlsClient refusedClient)
    {
        try
        {
            await using var attempt = await refusedClient.ConnectAsync(_listener.LocalEndPoint).WaitAsync(Timeout);
            await attempt.Stream.ReadAsync(new byte[1]).AsTask().WaitAsync(Timeout);
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            // Refused by the server.
        }

        var good = new SpiffeTlsClient(_clientSource, Authorizer.Id(ServerId));
        await using var outbound = await good.ConnectAsync(_listener.LocalEndPoint).WaitAsync(Timeout);
        await using var inbound = await _listener.AcceptAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal(ClientId, inbound.PeerId.ToString());
    }

    /// <summary>A server handshake (5 s timeout, fake clock) with a client that sends nothing, the clock moved past the timeout.</summary>
    private async Task<(SpiffeTlsServer Server, Socket SilentClient, Task<SpiffeTlsConnection> Handshake)> SilentClientPastTheTimeoutAsync()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var server = new SpiffeTlsServer(_serverSource, Authorizer.Id(ClientId), new SpiffeTlsOptions { HandshakeTimeout = TimeSpan.FromSeconds(5), TimeProvider = time });
        var (serverEnd, clientEnd) = await LoopbackSockets.PairAsync();
        var handshake = server.AuthenticateAsync(new NetworkStream(serverEnd, ownsSocket: true));
        time.Advance(TimeSpan.FromSeconds(6));
        return (server, clientEnd, handshake);
    }

    /// <summary>The <c>error.type</c> of each server handshake recorded on <c>mtls.handshake.duration</c> while it listens (null: verified).</summary>
    private sealed class ServerHandshakeCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly System.Collections.Concurrent.ConcurrentQueue<string?> _errorTypes = new();

        public ServerHandshakeCounter()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "Mtls" && instrument.Name == "mtls.handshake.duration")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
            {
                string? side = null;
                string? errorType = null;
                foreach (var tag in tags)
                {
                    side = tag.Key == "mtls.side" ? tag.Value as string : side;
                    errorType = tag.Key == "error.type" ? tag.Value as string : errorType;
                }

                if (side == "server")
                {
                    _errorTypes.Enqueue(errorType);
                }
            });
            _listener.Start();
        }

        public string?[] ErrorTypes => [.. _errorTypes];

        public void Dispose() => _listener.Dispose();
    }
}
