using System.Net;
using System.Net.Sockets;
using Mtls.Authorization;
using Mtls.Bundles;
using Mtls.Sources;
using Mtls.Testing.Certificates;
using Mtls.Tls;

namespace Mtls.Benchmarks;

/// <summary>
/// A SPIFFE mTLS server and client of one trust domain over loopback TCP, for handshake benchmarks: each side's
/// <see cref="SpiffeTlsServer"/> / <see cref="SpiffeTlsClient"/> on its own SVID, both verifying the other against
/// <c>bundles</c>.
/// </summary>
internal sealed class LoopbackTlsPair : IDisposable
{
    private readonly InMemoryX509Source _serverSource;
    private readonly InMemoryX509Source _clientSource;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    internal LoopbackTlsPair(TestCertificateAuthority ca, X509BundleSet bundles)
    {
        _serverSource = new InMemoryX509Source(ca.IssueSvid("spiffe://example.org/server"), bundles);
        _clientSource = new InMemoryX509Source(ca.IssueSvid("spiffe://example.org/client"), bundles);
        Server = new SpiffeTlsServer(_serverSource, Authorizer.Id("spiffe://example.org/client"));
        Client = new SpiffeTlsClient(_clientSource, Authorizer.Id("spiffe://example.org/server"));
        _listener.Start();
    }

    internal SpiffeTlsServer Server { get; }

    internal SpiffeTlsClient Client { get; }

    /// <summary>A connected pair of sockets, the server's first.</summary>
    internal async Task<(Socket Server, Socket Client)> ConnectAsync()
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accept = _listener.AcceptSocketAsync();
        await client.ConnectAsync((IPEndPoint)_listener.LocalEndpoint);
        return (await accept, client);
    }

    /// <summary>
    /// One handshake through both sides' <c>AuthenticateAsync</c> and a byte each way, as the first request of a
    /// connection would (TLS 1.3 session tickets reach the client with the server's first data); then both close.
    /// </summary>
    internal async Task HandshakeAsync()
    {
        var (serverSocket, clientSocket) = await ConnectAsync();
        var serverHandshake = Server.AuthenticateAsync(new NetworkStream(serverSocket, ownsSocket: true));
        await using var client = await Client.AuthenticateAsync(new NetworkStream(clientSocket, ownsSocket: true), "example.org");
        await using var server = await serverHandshake;
        await RoundTripAsync(client.Stream, server.Stream);
    }

    /// <summary>A byte from the client to the server and back.</summary>
    internal static async Task RoundTripAsync(Stream client, Stream server)
    {
        var buffer = new byte[1];
        await client.WriteAsync(buffer);
        await server.ReadExactlyAsync(buffer);
        await server.WriteAsync(buffer);
        await client.ReadExactlyAsync(buffer);
    }

    public void Dispose()
    {
        _listener.Stop();
        Server.Dispose();
        _serverSource.Dispose();
        _clientSource.Dispose();
    }
}
