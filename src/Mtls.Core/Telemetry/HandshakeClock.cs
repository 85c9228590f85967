using System.Diagnostics;
using System.Net.Security;
using System.Runtime.CompilerServices;

namespace Mtls.Telemetry;

/// <summary>
/// When a server handshake started, kept with its <see cref="SslStream"/> until the validation callback records the
/// handshake: the callback runs inside the handshake and is the only place that knows its outcome.
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

    /// <summary>Records the server handshake of <paramref name="sender"/> when its start was marked.</summary>
    internal static void RecordServer(object? sender, string? errorType)
    {
        if (sender is SslStream stream && Starts.TryGetValue(stream, out var start))
        {
            Starts.Remove(stream);
            MtlsTelemetry.RecordHandshake("server", start.Value, errorType);
        }
    }
}
