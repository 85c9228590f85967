using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace Mtls.AspNetCore.Kestrel;

/// <summary>
/// PERMISSIVE mode for one endpoint (<see cref="SpiffeMtlsOptions.PermissivePorts"/>): placed before Kestrel's TLS
/// middleware, it peeks at the connection's first byte without consuming it. A TLS record of type handshake (0x16,
/// which every ClientHello starts with and no HTTP/1.x or HTTP/2 request does) goes through the TLS middleware and the
/// full SPIFFE verification, exactly as on a STRICT endpoint; anything else skips TLS and is marked plaintext, so that
/// the request-level check, the rules and the policies see a request without a peer. A connection that sends nothing
/// within the handshake timeout is closed, as a stalled TLS handshake would be.
/// </summary>
internal sealed class SpiffePermissiveConnectionMiddleware(SpiffeServerTls tls)
{
    /// <summary>The first byte of a TLS record carrying a handshake message (RFC 8446 §5.1, ContentType.handshake).</summary>
    internal const byte TlsHandshakeRecord = 0x16;

    private ConnectionDelegate? _afterTls;

    /// <summary>The connection middleware to register before the TLS middleware: detects and routes each connection.</summary>
    internal ConnectionDelegate Detect(ConnectionDelegate tlsNext) => context => RouteAsync(context, tlsNext);

    /// <summary>
    /// The connection middleware to register after the TLS part: a pass-through that remembers what follows TLS, where
    /// plaintext connections go. Kestrel builds connection middleware last to first, so this runs before
    /// <see cref="Detect"/> is built.
    /// </summary>
    internal ConnectionDelegate CaptureAfterTls(ConnectionDelegate next)
    {
        _afterTls = next;
        return next;
    }

    private async Task RouteAsync(ConnectionContext context, ConnectionDelegate tlsNext)
    {
        bool? isTls;
        using (var timeout = new CancellationTokenSource(tls.HandshakeTimeout, tls.Time))
        using (var stop = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, context.ConnectionClosed))
        {
            isTls = await StartsWithTlsRecordAsync(context.Transport.Input, stop.Token).ConfigureAwait(false);
        }

        if (isTls is null)
        {
            context.Abort(new ConnectionAbortedException("no bytes before the handshake timeout on a permissive endpoint"));
            return;
        }

        if (isTls.Value)
        {
            await tlsNext(context).ConfigureAwait(false);
            return;
        }

        var afterTls = _afterTls ?? throw new InvalidOperationException("the permissive endpoint's pipeline was built without its plaintext branch");
        context.Features.Set(SpiffeConnection.ForPlaintext(tls.Time.GetUtcNow()));
        await afterTls(context).ConfigureAwait(false);
    }

    /// <summary>
    /// Whether the first byte is a TLS handshake record, leaving every byte unread for whoever reads next; null when
    /// the peer closed, reset or sent nothing in time.
    /// </summary>
    internal static async Task<bool?> StartsWithTlsRecordAsync(PipeReader input, CancellationToken cancellationToken)
    {
        ReadResult result;
        try
        {
            result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // Timed out, closed, or reset before the first byte: nothing to serve.
            return null;
        }

        var buffer = result.Buffer;
        if (buffer.IsEmpty)
        {
            input.AdvanceTo(buffer.Start);
            return null;
        }

        bool isTls = FirstByte(buffer) == TlsHandshakeRecord;

        // Nothing consumed or examined: the next reader gets the same bytes at once.
        input.AdvanceTo(buffer.Start);
        return isTls;
    }

    private static byte FirstByte(in ReadOnlySequence<byte> buffer)
    {
        foreach (var segment in buffer)
        {
            if (!segment.IsEmpty)
            {
                return segment.Span[0];
            }
        }

        throw new ArgumentException("the buffer is empty", nameof(buffer));
    }
}
