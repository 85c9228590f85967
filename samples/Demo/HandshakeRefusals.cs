using System.Diagnostics.Metrics;
using Mtls.Telemetry;

namespace Demo;

/// <summary>
/// Listens to the library's <c>mtls.handshakes</c> counter and completes with the outcome of the first handshake a
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
            if (instrument.Meter.Name == MtlsTelemetry.Name && instrument.Name == "mtls.handshakes")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            string? side = null, outcome = null;
            foreach (var tag in tags)
            {
                if (tag.Key == MtlsTelemetry.SideTag)
                {
                    side = tag.Value as string;
                }
                else if (tag.Key == MtlsTelemetry.OutcomeTag)
                {
                    outcome = tag.Value as string;
                }
            }

            if (side == "server" && outcome is not null and not "ok")
            {
                _first.TrySetResult(outcome);
            }
        });
        _listener.Start();
    }

    public Task<string> FirstServerRefusal => _first.Task;

    public void Dispose() => _listener.Dispose();
}
