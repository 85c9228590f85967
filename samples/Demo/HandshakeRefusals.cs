using System.Diagnostics.Metrics;
using Mtls.Telemetry;

namespace Demo;

/// <summary>
/// Listens to the library's <c>mtls.handshake.duration</c> histogram and completes with the <c>error.type</c> of the first handshake a
/// server refused: how the demo shows why orders turned a peer away, from the same metric an operator would graph.
/// </summary>
internal sealed class HandshakeRefusals : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly TaskCompletionSource<string> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public HandshakeRefusals()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == MtlsTelemetry.Name && instrument.Name == MtlsTelemetry.HandshakeDurationName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            string? side = null, errorType = null;
            foreach (var tag in tags)
            {
                if (tag.Key == MtlsTelemetry.SideTag)
                {
                    side = tag.Value as string;
                }
                else if (tag.Key == MtlsTelemetry.ErrorTypeTag)
                {
                    errorType = tag.Value as string;
                }
            }

            if (side == "server" && errorType is not null)
            {
                _first.TrySetResult(errorType);
            }
        });
        _listener.Start();
    }

    public Task<string> FirstServerRefusal => _first.Task;

    public void Dispose() => _listener.Dispose();
}
