using System.Diagnostics;
using Mtls.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Mtls.OpenTelemetry.Tests;

/// <summary>OpenTelemetry's SDK with in-memory exporters, enabled only through <c>AddMtlsInstrumentation()</c>.</summary>
public sealed class CollectedTelemetry : IDisposable
{
    private readonly List<MetricSnapshot> _metrics = [];
    private readonly List<Activity> _spans = [];
    private readonly MeterProvider _meters;
    private readonly TracerProvider _tracer;

    public CollectedTelemetry()
    {
        _meters = Sdk.CreateMeterProviderBuilder().AddMtlsInstrumentation().AddInMemoryExporter(_metrics).Build();
        _tracer = Sdk.CreateTracerProviderBuilder().AddMtlsInstrumentation().SetSampler(new AlwaysOnSampler()).AddInMemoryExporter(_spans).Build();
    }

    /// <summary>Every point of every instrument now.</summary>
    public IReadOnlyList<Point> Collect()
    {
        lock (_metrics)
        {
            _metrics.Clear();
            _meters.ForceFlush();
            var points = new List<Point>();
            foreach (var metric in _metrics)
            {
                foreach (var point in metric.MetricPoints)
                {
                    var tags = new Dictionary<string, object?>();
                    foreach (var tag in point.Tags)
                    {
                        tags[tag.Key] = tag.Value;
                    }

                    points.Add(new Point(metric.Name, tags, Value(metric.MetricType, point)));
                }
            }

            return points;
        }
    }

    /// <summary>The spans finished so far.</summary>
    public IReadOnlyList<Activity> Spans()
    {
        _tracer.ForceFlush();
        lock (_spans)
        {
            return [.. _spans];
        }
    }

    /// <summary>Collects until <paramref name="done"/> holds (servers record after the response is sent); bounded.</summary>
    public async Task<IReadOnlyList<Point>> CollectUntilAsync(Func<IReadOnlyList<Point>, bool> done)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var points = Collect();
            if (done(points) || deadline.Elapsed > TimeSpan.FromSeconds(10))
            {
                return points;
            }

            await Task.Delay(25);
        }
    }

    public void Dispose()
    {
        _meters.Dispose();
        _tracer.Dispose();
    }

    private static double Value(MetricType type, MetricPoint point) => type switch
    {
        MetricType.Histogram => point.GetHistogramCount(),
        MetricType.LongSum or MetricType.LongSumNonMonotonic => point.GetSumLong(),
        MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic => point.GetSumDouble(),
        MetricType.DoubleGauge => point.GetGaugeLastValueDouble(),
        MetricType.LongGauge => point.GetGaugeLastValueLong(),
        _ => double.NaN,
    };

    /// <summary>One metric point: its instrument, attributes, and count (histograms), sum (counters) or value (gauges).</summary>
    public sealed record Point(string Instrument, IReadOnlyDictionary<string, object?> Tags, double Value)
    {
        public string? Tag(string key) => Tags.TryGetValue(key, out var value) ? value?.ToString() : null;

        public bool Has(string client, string server) =>
            Tag(MtlsTelemetry.ClientSpiffeIdTag) == client && Tag(MtlsTelemetry.ServerSpiffeIdTag) == server;
    }
}
