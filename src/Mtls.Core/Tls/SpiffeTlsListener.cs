using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mtls.Telemetry;

namespace Mtls.Tls;

/// <summary>
/// Accepts SPIFFE mTLS connections on a TCP or Unix socket (go-spiffe's <c>spiffetls.Listen</c>). Handshakes run in
/// the background, several at once and each under the server's handshake timeout, so a slow or hostile client delays
/// nobody; <see cref="AcceptAsync"/> returns only connections whose client verified and was authorized. Refused
/// clients are closed and logged by the <see cref="SpiffeTlsServer"/>, never handed out.
/// </summary>
public sealed partial class SpiffeTlsListener : IAsyncDisposable
{
    /// <summary>Handshakes in flight plus authenticated connections not yet accepted, at most: beyond, accepting waits.</summary>
    public const int MaxPendingConnections = 256;

    private readonly Socket _socket;
    private readonly SpiffeTlsServer _server;
    private readonly ILogger _logger;
    private readonly Channel<SpiffeTlsConnection> _accepted = Channel.CreateBounded<SpiffeTlsConnection>(MaxPendingConnections);
    private readonly SemaphoreSlim _pending = new(MaxPendingConnections);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;

    private SpiffeTlsListener(Socket socket, SpiffeTlsServer server, ILogger logger)
    {
        _socket = socket;
        _server = server;
        _logger = logger;
        LocalEndPoint = socket.LocalEndPoint!;
        _loop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The bound end point (with the port the system chose when 0 was asked for).</summary>
    public EndPoint LocalEndPoint { get; }

    /// <summary>Binds <paramref name="localEndPoint"/> (an <see cref="IPEndPoint"/> or a <see cref="UnixDomainSocketEndPoint"/>) and starts accepting.</summary>
    /// <param name="localEndPoint">Where to listen.</param>
    /// <param name="server">The server side of every handshake: our SVID and who may connect.</param>
    /// <param name="loggerFactory">Where handshakes that failed for reasons other than the client's identity are logged.</param>
    public static SpiffeTlsListener Start(EndPoint localEndPoint, SpiffeTlsServer server, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        ArgumentNullException.ThrowIfNull(server);
        if (localEndPoint is not (IPEndPoint or UnixDomainSocketEndPoint))
        {
            throw new ArgumentException($"unsupported end point type {localEndPoint.GetType().Name}: use an IPEndPoint or a UnixDomainSocketEndPoint", nameof(localEndPoint));
        }

        var socket = SpiffeTlsClient.SocketFor(localEndPoint);
        try
        {
            socket.Bind(localEndPoint);
            socket.Listen(MaxPendingConnections);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Mtls.Tls.Listener");
        return new SpiffeTlsListener(socket, server, logger);
    }

    /// <summary>The next authenticated connection: its client verified against its trust domain's bundle and was authorized.</summary>
    /// <exception cref="ObjectDisposedException">The listener was disposed.</exception>
    public async ValueTask<SpiffeTlsConnection> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _accepted.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException e)
        {
            throw new ObjectDisposedException(nameof(SpiffeTlsListener), e);
        }
    }

    /// <summary>Stops listening, abandons handshakes in flight and closes connections nobody accepted.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _loop.ConfigureAwait(false);

        // Wait for every handshake to give its slot back, so none can publish after the drain below.
        for (int i = 0; i < MaxPendingConnections; i++)
        {
            await _pending.WaitAsync().ConfigureAwait(false);
        }

        _accepted.Writer.TryComplete();
        while (_accepted.Reader.TryRead(out var unclaimed))
        {
            await unclaimed.DisposeAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
        _pending.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        var token = _stopping.Token;
        try
        {
            while (true)
            {
                await _pending.WaitAsync(token).ConfigureAwait(false);
                Socket client;
                try
                {
                    client = await _socket.AcceptAsync(token).ConfigureAwait(false);
                }
                catch
                {
                    _pending.Release();
                    throw;
                }

                _ = HandshakeAsync(client, token);
            }
        }
        catch (Exception e) when (token.IsCancellationRequested && e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Disposed: the loop ends.
        }
        catch (Exception e)
        {
            LogAcceptFailed(_logger, e);
            _accepted.Writer.TryComplete(e);
        }
    }

    private async Task HandshakeAsync(Socket client, CancellationToken token)
    {
        try
        {
            var connection = await _server.AuthenticateAsync(new NetworkStream(client, ownsSocket: true), token).ConfigureAwait(false);
            try
            {
                await _accepted.Writer.WriteAsync(connection, token).ConfigureAwait(false);
            }
            catch
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        catch (SpiffePeerRefusedException)
        {
            // Logged (rate-limited) by the server's validation callback.
        }
        catch (Exception e) when (!token.IsCancellationRequested)
        {
            LogHandshakeFailed(_logger, e.GetType().Name, LogText.Sanitize(e.Message));
        }
        catch (Exception)
        {
            // Disposed while this handshake ran: its connection is closed.
        }
        finally
        {
            _pending.Release();
        }
    }

    [LoggerMessage(1, LogLevel.Debug, "mTLS handshake failed: {ErrorType}: {Detail}", EventName = "ListenerHandshakeFailed")]
    private static partial void LogHandshakeFailed(ILogger logger, string errorType, string detail);

    [LoggerMessage(2, LogLevel.Error, "Accepting connections failed; the listener stopped", EventName = "ListenerAcceptFailed")]
    private static partial void LogAcceptFailed(ILogger logger, Exception exception);
}
