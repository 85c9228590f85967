using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Mtls.Testing.Processes;

namespace Mtls.OpenTelemetry.Tests;

/// <summary>
/// A real Prometheus (Debian's package, installed by .ci/run) on 127.0.0.1 with a free port and a temporary config and
/// data directory, scraping one target every second. Killed and cleaned up on dispose.
/// </summary>
public sealed class PrometheusServer : IDisposable
{
    private const string Binary = "/usr/bin/prometheus";

    private readonly ExternalProcess _process;
    private readonly string _directory;
    private readonly HttpClient _http = new();

    private PrometheusServer(ExternalProcess process, string directory, Uri address)
    {
        _process = process;
        _directory = directory;
        Address = address;
    }

    public Uri Address { get; }

    public string Output => _process.Output;

    public static async Task<PrometheusServer> StartAsync(Uri target)
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException($"{Binary} is missing: install Debian's prometheus package (.ci/run does)");
        }

        string directory = Directory.CreateTempSubdirectory("mtls-prometheus-").FullName;
        string config = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: mesh
                scrape_interval: 1s
                scrape_timeout: 900ms
                metrics_path: {target.AbsolutePath}
                static_configs:
                  - targets: ['{target.Host}:{target.Port}']
            """);
        int port = FreePort();
        var process = ExternalProcess.Start(
            Binary,
            [$"--config.file={config}", $"--storage.tsdb.path={Path.Combine(directory, "data")}", $"--web.listen-address=127.0.0.1:{port}", "--log.level=info"],
            directory);
        var server = new PrometheusServer(process, directory, new Uri($"http://127.0.0.1:{port}/"));
        try
        {
            string? ready = await process.WaitForLineAsync(l => l.Contains("Server is ready to receive web requests", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
            if (ready is null)
            {
                throw new InvalidOperationException($"prometheus exited before it was ready:\n{process.Output}");
            }
        }
        catch
        {
            server.Dispose();
            throw;
        }

        return server;
    }

    /// <summary>An instant PromQL query through the HTTP API: each series' labels and value.</summary>
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>> QueryAsync(string promql)
    {
        var uri = new Uri(Address, $"api/v1/query?query={Uri.EscapeDataString(promql)}");
        using var document = JsonDocument.Parse(await _http.GetStringAsync(uri));
        var results = new List<(IReadOnlyDictionary<string, string>, double)>();
        foreach (var series in document.RootElement.GetProperty("data").GetProperty("result").EnumerateArray())
        {
            var labels = series.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? string.Empty);
            double value = double.Parse(series.GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture);
            results.Add((labels, value));
        }

        return results;
    }

    public void Dispose()
    {
        _http.Dispose();
        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Prometheus may still be closing its files; the temp directory is the OS's to clean.
        }
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
