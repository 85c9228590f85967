using System.Diagnostics;

namespace Mtls.LoadTest.Load;

/// <summary>
/// Closed-loop load: <c>concurrency</c> workers each send one request, wait for the answer, and send the next,
/// for a fixed time. Latencies are kept per request for exact percentiles.
/// </summary>
internal static class LoadGenerator
{
    /// <summary>Runs the load; bounded by <paramref name="duration"/> and <paramref name="maxRequests"/>.</summary>
    internal static async Task<(long Requests, long Errors, double Seconds, double[] LatenciesMs)> RunAsync(
        Func<CancellationToken, Task<bool>> sendOne,
        int concurrency,
        TimeSpan duration,
        long maxRequests)
    {
        using var stop = new CancellationTokenSource(duration);
        long started = 0;
        long errors = 0;
        var latencies = new List<double>[concurrency];
        var clock = Stopwatch.StartNew();

        async Task Worker(int index)
        {
            var mine = latencies[index] = new List<double>(4096);
            while (!stop.IsCancellationRequested && Interlocked.Increment(ref started) <= maxRequests)
            {
                long begin = Stopwatch.GetTimestamp();
                bool ok;
                try
                {
                    ok = await sendOne(stop.Token);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    break;
                }
                catch (HttpRequestException)
                {
                    ok = false;
                }

                if (ok)
                {
                    mine.Add(Stopwatch.GetElapsedTime(begin).TotalMilliseconds);
                }
                else
                {
                    Interlocked.Increment(ref errors);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(i => Task.Run(() => Worker(i))));
        double seconds = clock.Elapsed.TotalSeconds;
        double[] all = [.. latencies.Where(l => l is not null).SelectMany(l => l)];
        Array.Sort(all);
        return (all.LongLength, errors, seconds, all);
    }

    internal static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
