using System.Diagnostics;
using System.Net.Security;
using System.Runtime.CompilerServices;

namespace Mtls.Telemetry;

/// <summary>
/// When a server handshake started, kept with its <see cref="SslStream"/> until the validation callback records the
/// handshake: the callback runs inside the handshake and is the only place that knows a verified or refused outcome.
/// A handshake that ends before any certificate is checked (a protocol error, a timeout, a client that left) never
/// reaches the callback; whoever runs the handshake then records it as failed with <see cref="RecordServer"/>, which
/// records a stream's handshake once, so every handshake is counted exactly once.
/// </summary>
internal static class HandshakeClock
{
    private static readonly ConditionalWeakTable<SslStream, StrongBox<long>> Starts = [];

    /// <summary>Marks now as the start of <paramref name="stream"/>'s handshake, when anyone listens to the histogram.</summary>
    internal static void Start(SslStream? stream)
    {
        if (stream is not null && MtlsTelemetry.HandshakeDuration.Enabled)
        {
            Starts.AddOrUpdate(stream, new StrongBox<long>(Stopwatch.GetTimestamp()));
        }
    }

    /// <summary>Records the server handshake of <paramref name="sender"/> when its start was marked and it was not recorded yet.</summary>
    internal static void RecordServer(object? sender, string? errorType)
    {
        // Remove decides, so that the validation callback and a failure path racing on one stream record it once.
        if (sender is SslStream stream && Starts.TryGetValue(stream, out var start) && Starts.Remove(stream))
        {
            MtlsTelemetry.RecordHandshake("server", start.Value, errorType);
        }
    }

    /// <summary>Records a server handshake that failed before its options were selected (no ClientHello was read), timed from <paramref name="connectionStart"/>.</summary>
    internal static void RecordFailureBeforeSelection(long connectionStart, string errorType) =>
        MtlsTelemetry.RecordHandshake("server", connectionStart, errorType);
}
