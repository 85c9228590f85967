using System.Diagnostics;
using System.Net.Security;
using Microsoft.AspNetCore.Connections;
using Mtls.Telemetry;

namespace Mtls.AspNetCore.Kestrel;

/// <summary>
/// Counts the server handshakes that fail before any certificate is checked (a protocol error, a plaintext caller on
/// the TLS port, a client that sends nothing until the handshake timeout): Kestrel swallows those inside its HTTPS
/// middleware, so this connection middleware runs in front of it, and the options selection tells it which stream the
/// handshake used. Verified and refused handshakes are recorded by the validation callback; this records only what
/// nothing else did, when the connection ends.
/// </summary>
internal sealed class ServerHandshakeWatch
{
    private static readonly TimeSpan TimerSlack = TimeSpan.FromMilliseconds(50);

    private readonly long _start = Stopwatch.GetTimestamp();

    /// <summary>The handshake's stream, once Kestrel asked for its options.</summary>
    internal SslStream? Stream { get; set; }

    /// <summary>Runs the rest of the connection (the handshake first), then records its handshake if it failed unrecorded.</summary>
    internal static Task ObserveAsync(ConnectionContext context, ConnectionDelegate next, TimeSpan handshakeTimeout) =>
        MtlsTelemetry.HandshakeDuration.Enabled ? WatchAsync(context, next, handshakeTimeout) : next(context);

    private static async Task WatchAsync(ConnectionContext context, ConnectionDelegate next, TimeSpan handshakeTimeout)
    {
        var watch = new ServerHandshakeWatch();
        context.Features.Set(watch);
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            watch.RecordIfUnrecorded(handshakeTimeout);
        }
    }

    private void RecordIfUnrecorded(TimeSpan handshakeTimeout)
    {
        // Kestrel's timeout runs from the start of its HTTPS middleware, right after this one started; its timer may
        // fire a few milliseconds before the stopwatch says the timeout has passed.
        string errorType = Stopwatch.GetElapsedTime(_start) >= handshakeTimeout - TimerSlack ? MtlsTelemetry.TimeoutErrorType : MtlsTelemetry.TlsErrorType;
        if (Stream is { } stream)
        {
            HandshakeClock.RecordServer(stream, errorType);
        }
        else
        {
            HandshakeClock.RecordFailureBeforeSelection(_start, errorType);
        }
    }
}
