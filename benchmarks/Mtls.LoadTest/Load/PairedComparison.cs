using Mtls.LoadTest.Processes;
using Mtls.LoadTest.Scenarios;

namespace Mtls.LoadTest.Load;

/// <summary>
/// Compares two scenarios in one mode by alternating short slices of load (A B, B A, A B, ...) with both servers
/// running throughout. This machine's speed drifts by up to 25% over minutes (it is a shared VM), which buries a
/// few-percent difference between whole interleaved runs; slices seconds apart see the same machine, so the median of
/// the per-pair ratios resolves what a round-based run cannot. Both the throughput ratio and the ratio of server CPU
/// per request are reported, each with its quartiles.
/// </summary>
internal static class PairedComparison
{
    internal static async Task<PairedResult> RunAsync(Scenario baseline, Scenario candidate, (string Name, bool Http2, bool NewConnection) mode, int pairs, TimeSpan slice, int concurrency)
    {
        await baseline.StartAsync();
        await candidate.StartAsync();
        var clients = new[] { baseline, candidate }.Select(s => ClientFactory.Create(s.CreateHandler, s.Address(mode.Http2), mode.Http2, mode.NewConnection)).ToArray();
        try
        {
            foreach (var (send, _) in clients)
            {
                await LoadGenerator.RunAsync(send, concurrency, TimeSpan.FromSeconds(2), long.MaxValue);
            }

            var rows = new List<PairedResult.Pair>();
            for (int pair = 0; pair < pairs; pair++)
            {
                // ABBA order, so that neither side always runs second (after the other warmed the caches).
                bool candidateFirst = pair % 2 == 1;
                var first = await SliceAsync(candidateFirst ? candidate : baseline, clients[candidateFirst ? 1 : 0].Send, slice, concurrency);
                var second = await SliceAsync(candidateFirst ? baseline : candidate, clients[candidateFirst ? 0 : 1].Send, slice, concurrency);
                var (b, c) = candidateFirst ? (second, first) : (first, second);
                rows.Add(new PairedResult.Pair(b.Rps, c.Rps, b.ServerUsPerRequest, c.ServerUsPerRequest));
                Console.WriteLine($"pair {pair + 1,2}: {baseline.Name} {b.Rps,9:0} req/s {b.ServerUsPerRequest,7:0.0} us/req | {candidate.Name} {c.Rps,9:0} req/s {c.ServerUsPerRequest,7:0.0} us/req | ratio {c.Rps / b.Rps:0.000}");
            }

            var result = new PairedResult(baseline.Name, candidate.Name, mode.Name, slice, concurrency, rows);
            Console.WriteLine($"median ratio {result.Throughput.Median:0.000} (quartiles {result.Throughput.Lower:0.000}-{result.Throughput.Upper:0.000}); server CPU per request {result.ServerCpu.Median:0.000}x");
            return result;
        }
        finally
        {
            foreach (var (_, handle) in clients)
            {
                handle.Dispose();
            }
        }
    }

    private static async Task<(double Rps, double ServerUsPerRequest)> SliceAsync(Scenario scenario, Func<CancellationToken, Task<bool>> send, TimeSpan slice, int concurrency)
    {
        double cpu = scenario.ServerProcessIds.Sum(ProcessStats.CpuSeconds);
        var (requests, errors, seconds, _) = await LoadGenerator.RunAsync(send, concurrency, slice, 5_000_000);
        cpu = scenario.ServerProcessIds.Sum(ProcessStats.CpuSeconds) - cpu;
        if (errors > 0)
        {
            throw new InvalidOperationException($"{scenario.Name}: {errors} failed requests in a paired slice");
        }

        return (requests / seconds, cpu * 1e6 / requests);
    }
}
