using System.Net.Security;
using System.Security.Authentication;
using Mtls.Telemetry;

namespace Mtls.Tls;

/// <summary>
/// Runs one handshake for either side under the handshake timeout and turns its outcome into what the public API
/// promises: an authenticated stream with a verified SPIFFE peer, or a typed error with the stream (and the transport
/// it owns) already closed. Never a half-open stream.
/// </summary>
internal static class TlsHandshake
{
    internal static async Task<SpiffeTlsConnection> RunAsync(
        SslStream stream,
        Func<SslStream, CancellationToken, Task> authenticate,
        Func<SslStream, VerifiedPeer?> confirm,
        string rule,
        SpiffeTlsOptions options,
        CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(options.HandshakeTimeout, options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            await authenticate(stream, linked.Token).ConfigureAwait(false);

            // Whatever the runtime did (a resumed session may skip the validation callback), the peer is verified here
            // before the connection is handed out, or refused.
            var peer = confirm(stream)
                ?? throw new AuthenticationException("the TLS handshake completed without a verified SPIFFE peer");
            return new SpiffeTlsConnection(stream, peer.Id);
        }
        catch (SpiffePeerRefusedException)
        {
            // The client's validation callback throws its refusal itself (ClientTlsSnapshot).
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        catch (AuthenticationException e) when (RefusedPeer.Of(stream) is { } refused)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw new SpiffePeerRefusedException(refused, rule, e);
        }
        catch (OperationCanceledException e) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            HandshakeClock.RecordServer(stream, MtlsTelemetry.TimeoutErrorType);
            await stream.DisposeAsync().ConfigureAwait(false);
            throw new TimeoutException($"the TLS handshake did not complete within HandshakeTimeout ({options.HandshakeTimeout})", e);
        }
        catch
        {
            // A server handshake that failed before its peer's certificate was checked (client streams are not timed here).
            HandshakeClock.RecordServer(stream, MtlsTelemetry.TlsErrorType);
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
