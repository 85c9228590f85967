using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using Mtls.Authorization;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.Sources;
using Mtls.Testing.Certificates;
using Mtls.Tls;
using Mtls.X509;

namespace Mtls.Core.Tests.Tls;

/// <summary>
/// TLS session resumption on the library's own handshakes: resumed connections happen, and each guarantee of a full
/// handshake holds on a resumed one. A resumed session carries the client's leaf alone, so the server recognises one by
/// <see cref="VerifiedPeer.ChainFromMemory"/> (the client of a resumed TLS 1.3 session also reports no local
/// certificate, runtime#123238).
/// </summary>
public sealed class SessionResumptionTests : IDisposable
{
    private const string ServerId = "spiffe://example.org/server";
    private const string ClientId = "spiffe://example.org/client";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create("example.org");
    private readonly TestCertificateAuthority _clientCa = TestCertificateAuthority.Create("example.org");
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly InMemoryX509Source _serverSource;
    private readonly InMemoryX509Source _clientSource;
    private readonly SpiffeTlsClient _client;
    private bool _admitClient = true;

    public SessionResumptionTests()
    {
        // The client's SVID comes from a second CA of the trust domain, so that it can be removed from the bundle.
        _serverSource = new InMemoryX509Source(_ca.IssueSvid(ServerId), BothCas());
        _clientSource = new InMemoryX509Source(_clientCa.IssueSvid(ClientId, TimeSpan.FromHours(1)), BothCas());
        _client = new SpiffeTlsClient(_clientSource, Authorizer.Id(ServerId));
    }

    [Fact]
    public async Task Connections_after_the_first_resume_their_session()
    {
        using var server = CreateServer();

        var peers = new List<VerifiedPeer>();
        for (int i = 0; i < 5; i++)
        {
            peers.Add(await ConnectAsync(server));
        }

        Assert.False(peers[0].ChainFromMemory);
        Assert.Equal(4, peers.Skip(1).Count(p => p.ChainFromMemory));
        Assert.All(peers, p => Assert.Equal(ClientId, p.Id.ToString()));
    }

    [Fact]
    public async Task Resumed_client_whose_ca_was_removed_from_the_bundle_is_refused()
    {
        using var server = CreateServer();
        await ConnectAsync(server);
        Assert.True((await ConnectAsync(server)).ChainFromMemory);

        _serverSource.Update(_serverSource.GetX509Svid(), new X509BundleSet([_ca.CreateBundle()]));

        var refused = await Assert.ThrowsAsync<SpiffePeerRefusedException>(() => ConnectAsync(server));
        Assert.True(refused.ChainFromMemory);
        Assert.Equal(SpiffePeerRefusal.InvalidSvid, refused.Reason);
        Assert.Equal(X509SvidRule.ChainNotTrusted, refused.SvidRule);
    }

    [Fact]
    public async Task Resumed_client_whose_svid_expired_is_refused()
    {
        using var server = CreateServer();
        await ConnectAsync(server);
        Assert.True((await ConnectAsync(server)).ChainFromMemory);

        _time.Advance(TimeSpan.FromHours(2));

        var refused = await Assert.ThrowsAsync<SpiffePeerRefusedException>(() => ConnectAsync(server));
        Assert.True(refused.ChainFromMemory);
        Assert.Equal(SpiffePeerRefusal.InvalidSvid, refused.Reason);
        Assert.Equal(X509SvidRule.Expired, refused.SvidRule);
    }

    [Fact]
    public async Task Resumed_client_the_authorizer_no_longer_admits_is_refused()
    {
        using var server = CreateServer();
        await ConnectAsync(server);
        Assert.True((await ConnectAsync(server)).ChainFromMemory);

        _admitClient = false;

        var refused = await Assert.ThrowsAsync<SpiffePeerRefusedException>(() => ConnectAsync(server));
        Assert.True(refused.ChainFromMemory);
        Assert.Equal(SpiffePeerRefusal.Unauthorized, refused.Reason);
        Assert.Equal(ClientId, refused.PeerId?.ToString());
    }

    [Fact]
    public async Task Server_svid_rotation_ends_resumption_of_earlier_sessions()
    {
        using var server = CreateServer();
        await ConnectAsync(server);
        Assert.True((await ConnectAsync(server)).ChainFromMemory);

        var rotated = _ca.IssueSvid(ServerId);
        _serverSource.Update(rotated, BothCas());

        string? serverSerial = null;
        var afterRotation = await ConnectAsync(server, client => serverSerial = (client.Stream.RemoteCertificate as X509Certificate2)?.SerialNumber);
        Assert.False(afterRotation.ChainFromMemory);
        Assert.Equal(rotated.Certificate.SerialNumber, serverSerial);
        Assert.True((await ConnectAsync(server)).ChainFromMemory);
    }

    [Fact]
    public async Task Client_svid_rotation_ends_resumption_of_earlier_sessions()
    {
        using var server = CreateServer();
        await ConnectAsync(server);
        Assert.True((await ConnectAsync(server)).ChainFromMemory);

        var rotated = _clientCa.IssueSvid(ClientId, TimeSpan.FromHours(1));
        _clientSource.Update(rotated, BothCas());

        string? clientSerial = null;
        var afterRotation = await ConnectAsync(server, onServer: s => clientSerial = (s.RemoteCertificate as X509Certificate2)?.SerialNumber);
        Assert.False(afterRotation.ChainFromMemory);
        Assert.Equal(rotated.Certificate.SerialNumber, clientSerial);
    }

    [Fact]
    public async Task Handshake_the_runtime_completed_without_our_callback_is_verified_afterwards()
    {
        using var server = CreateServer();
        await ConnectAsync(server);

        // What a runtime that skips the validation callback on resumed sessions (runtime#133174) leaves behind: an
        // authenticated stream with the client's leaf and no record of ours.
        await using var admitted = await HandshakeSkippingCallbackAsync(server, _clientSource);
        var confirmed = server.Confirm(admitted);
        Assert.NotNull(confirmed);
        Assert.True(confirmed.ChainFromMemory);

        _admitClient = false;
        await using var refused = await HandshakeSkippingCallbackAsync(server, _clientSource);
        Assert.Null(server.Confirm(refused));

        using var strangerSource = new InMemoryX509Source(_clientCa.IssueSvid("spiffe://example.org/stranger"), BothCas());
        _admitClient = true;
        await using var unseenChain = await HandshakeSkippingCallbackAsync(server, strangerSource);
        Assert.Null(server.Confirm(unseenChain));
    }

    [Fact]
    public void Options_handed_to_other_code_never_resume_sessions()
    {
        using var server = CreateServer();
        var configured = new SslClientAuthenticationOptions { AllowTlsResume = true };
        _client.ConfigureAuthenticationOptions(configured);

        Assert.False(server.GetAuthenticationOptions().AllowTlsResume);
        Assert.False(_client.GetAuthenticationOptions("server").AllowTlsResume);
        Assert.False(configured.AllowTlsResume);
        Assert.True(server.Current!.AllowTlsResume);
    }

    public void Dispose()
    {
        _serverSource.Dispose();
        _clientSource.Dispose();
        _ca.Dispose();
        _clientCa.Dispose();
    }

    private X509BundleSet BothCas()
    {
        var bundle = _ca.CreateBundle().WithAuthority(X509CertificateLoader.LoadCertificate(_clientCa.Root.RawData));
        return new X509BundleSet([bundle]);
    }

    private SpiffeTlsServer CreateServer() => new(
        _serverSource,
        Authorizer.Matching(id => _admitClient && id.ToString() == ClientId, "the client, while admitted"),
        new SpiffeTlsOptions { TimeProvider = _time });

    /// <summary>One connection through both sides' AuthenticateAsync with a byte each way (TLS 1.3 tickets arrive after the handshake).</summary>
    private async Task<VerifiedPeer> ConnectAsync(SpiffeTlsServer server, Action<SpiffeTlsConnection>? onClient = null, Action<SslStream>? onServer = null)
    {
        var (serverEnd, clientEnd) = await LoopbackSockets.PairAsync();
        var serverSide = server.AuthenticateAsync(new NetworkStream(serverEnd, ownsSocket: true));
        var clientSide = _client.AuthenticateAsync(new NetworkStream(clientEnd, ownsSocket: true), "server");
        SpiffeTlsConnection inbound;
        try
        {
            inbound = await serverSide.WaitAsync(Timeout);
        }
        catch
        {
            try
            {
                await using var orphan = await clientSide.WaitAsync(Timeout);
            }
            catch (Exception e) when (e is System.Security.Authentication.AuthenticationException or IOException)
            {
                // The client learns of the refusal as an alert or a closed connection.
            }

            throw;
        }

        await using (inbound)
        await using (var outbound = await clientSide.WaitAsync(Timeout))
        {
            onClient?.Invoke(outbound);
            onServer?.Invoke(inbound.Stream);
            var buffer = new byte[1];
            await outbound.Stream.WriteAsync(buffer);
            await inbound.Stream.ReadExactlyAsync(buffer).AsTask().WaitAsync(Timeout);
            await inbound.Stream.WriteAsync(buffer);
            await outbound.Stream.ReadExactlyAsync(buffer).AsTask().WaitAsync(Timeout);
            return VerifiedPeer.Of(inbound.Stream)!;
        }
    }

    private async Task<SslStream> HandshakeSkippingCallbackAsync(SpiffeTlsServer server, IX509Source clientSource)
    {
        var current = server.Current!;
        var skipping = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = current.ServerCertificateContext,
            ClientCertificateRequired = true,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = static (_, certificate, _, _) => certificate is not null,
        };
        var (serverEnd, clientEnd) = await LoopbackSockets.PairAsync();
        var serverStream = new SslStream(new NetworkStream(serverEnd, ownsSocket: true));
        var client = new SpiffeTlsClient(clientSource, Authorizer.Id(ServerId));
        var clientSide = client.AuthenticateAsync(new NetworkStream(clientEnd, ownsSocket: true), "server");
        await serverStream.AuthenticateAsServerAsync(skipping).WaitAsync(Timeout);
        await (await clientSide.WaitAsync(Timeout)).DisposeAsync();
        return serverStream;
    }
}
