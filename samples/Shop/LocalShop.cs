using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Shop;

/// <summary>
/// Both roles on this machine (loopback, free ports), with the frontend called once a second for a bounded time
/// while the caller rotates the SVIDs underneath. Success: every call answered, and orders saw the frontend present
/// more than one certificate (a rotation reached the handshake).
/// </summary>
public sealed class LocalShop(TextWriter output)
{
    private readonly long _start = Stopwatch.GetTimestamp();

    /// <summary>Writes a line stamped with the seconds since this instance was created.</summary>
    public void Log(string line) => output.WriteLine($"[{Stopwatch.GetElapsedTime(_start).TotalSeconds,5:0.0}s] {line}");

    /// <summary>Runs orders and the frontend with these settings for <paramref name="duration"/>; returns the exit code.</summary>
    public async Task<int> RunAsync(
        IReadOnlyDictionary<string, string?> ordersSettings,
        IReadOnlyDictionary<string, string?> frontendSettings,
        TimeSpan duration,
        CancellationToken cancellationToken = default)
    {
        static void Quiet(ILoggingBuilder logging) => logging.SetMinimumLevel(LogLevel.Warning);

        await using var orders = OrdersServer.Build("https://127.0.0.1:0", ordersSettings, Quiet);
        await orders.StartAsync(cancellationToken);
        var ordersUrl = new Uri(orders.Urls.Single());
        // A new connection per call, so that every call shows the frontend's current certificate.
        await using var frontend = FrontendServer.Build("http://127.0.0.1:0", ordersUrl, frontendSettings, c => c.PooledConnectionLifetime = TimeSpan.Zero, Quiet);
        await frontend.StartAsync(cancellationToken);
        Log($"orders on {ordersUrl} (mTLS, admits only {ShopIds.Frontend}); frontend on {frontend.Urls.Single()}");

        using var http = new HttpClient { BaseAddress = new Uri(frontend.Urls.Single()), Timeout = TimeSpan.FromSeconds(5) };
        using var pace = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var serials = new HashSet<string>(StringComparer.Ordinal);
        int calls = 0, failures = 0;
        do
        {
            calls++;
            try
            {
                using var response = await http.GetAsync(new Uri("/", UriKind.Relative), cancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    failures++;
                    Log($"FAIL frontend answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
                    continue;
                }

                var view = (await response.Content.ReadFromJsonAsync<FrontendView>(cancellationToken))!;
                serials.Add(view.Http.CallerSerial);
                serials.Add(view.Grpc.CallerSerial);
                Log($"frontend -> orders: HTTP 200 and gRPC OK; orders saw {view.Http.Caller} with certificate {Abbreviate(view.Grpc.CallerSerial)}");
            }
            catch (HttpRequestException e)
            {
                failures++;
                Log($"FAIL calling the frontend: {e.Message}");
            }
        }
        while (Stopwatch.GetTimestamp() < deadline && await pace.WaitForNextTickAsync(cancellationToken));

        bool ok = failures == 0 && serials.Count > 1;
        Log(ok
            ? $"PASS {calls} calls, all answered over mTLS; the frontend presented {serials.Count} certificates across rotations"
            : $"FAIL {failures} of {calls} calls failed; the frontend presented {serials.Count} certificate(s) (a rotation must show at least 2)");
        return ok ? 0 : 1;
    }

    /// <summary>The first 12 hex digits of a serial: enough to tell certificates apart in a transcript.</summary>
    public static string Abbreviate(string serial) => serial.Length > 12 ? serial[..12] : serial;
}
