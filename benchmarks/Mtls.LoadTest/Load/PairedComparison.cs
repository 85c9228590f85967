using System.Globalization;
using System.Text;
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
    internal static async Task<string> RunAsync(Scenario baseline, Scenario candidate, (string Name, bool Http2, bool NewConnection) mode, int pairs, TimeSpan slice, int concurrency, string outputDirectory)
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

            var rows = new List<(double BaselineRps, double CandidateRps, double BaselineUs, double CandidateUs)>();
            for (int pair = 0; pair < pairs; pair++)
            {
                // ABBA order, so that neither side always runs second (after the other warmed the caches).
                bool candidateFirst = pair % 2 == 1;
                var first = await SliceAsync(candidateFirst ? candidate : baseline, clients[candidateFirst ? 1 : 0].Send, slice, concurrency);
                var second = await SliceAsync(candidateFirst ? baseline : candidate, clients[candidateFirst ? 0 : 1].Send, slice, concurrency);
                var (b, c) = candidateFirst ? (second, first) : (first, second);
                rows.Add((b.Rps, c.Rps, b.ServerUsPerRequest, c.ServerUsPerRequest));
                Console.WriteLine($"pair {pair + 1,2}: {baseline.Name} {b.Rps,9:0} req/s {b.ServerUsPerRequest,7:0.0} us/req | {candidate.Name} {c.Rps,9:0} req/s {c.ServerUsPerRequest,7:0.0} us/req | ratio {c.Rps / b.Rps:0.000}");
            }

            return Write(outputDirectory, baseline.Name, candidate.Name, mode.Name, slice, concurrency, rows);
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

    private static string Write(string directory, string baseline, string candidate, string mode, TimeSpan slice, int concurrency, List<(double BaselineRps, double CandidateRps, double BaselineUs, double CandidateUs)> rows)
    {
        var throughput = Quartiles(rows.Select(r => r.CandidateRps / r.BaselineRps));
        var cpu = Quartiles(rows.Select(r => r.CandidateUs / r.BaselineUs));
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# Paired comparison: {candidate} vs {baseline}, {mode}");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; {rows.Count} pairs of {slice.TotalSeconds:0.#} s slices in ABBA order, concurrency {concurrency}, both servers running throughout, one client process on the same 2 cores.");
        md.AppendLine();
        md.AppendLine("| | median | quartiles |");
        md.AppendLine("|---|---:|---|");
        md.AppendLine(CultureInfo.InvariantCulture, $"| requests/s, {candidate} / {baseline} | {throughput.Median:0.000} | {throughput.Lower:0.000} - {throughput.Upper:0.000} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| server CPU per request, {candidate} / {baseline} | {cpu.Median:0.000} | {cpu.Lower:0.000} - {cpu.Upper:0.000} |");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"| pair | {baseline} req/s | {candidate} req/s | ratio | {baseline} server us/req | {candidate} server us/req |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|");
        for (int i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            md.AppendLine(CultureInfo.InvariantCulture, $"| {i + 1} | {r.BaselineRps:0} | {r.CandidateRps:0} | {r.CandidateRps / r.BaselineRps:0.000} | {r.BaselineUs:0.0} | {r.CandidateUs:0.0} |");
        }

        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, $"{DateTime.UtcNow:yyyy-MM-dd}-paired-{Slug(candidate)}-vs-{Slug(baseline)}-{Slug(mode)}.md");
        File.WriteAllText(path, md.ToString());
        Console.WriteLine($"median ratio {throughput.Median:0.000} (quartiles {throughput.Lower:0.000}-{throughput.Upper:0.000}); server CPU per request {cpu.Median:0.000}x");
        return path;
    }

    private static (double Lower, double Median, double Upper) Quartiles(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        double At(double p) => sorted[(int)Math.Round(p * (sorted.Length - 1))];
        return (At(0.25), At(0.5), At(0.75));
    }

    private static string Slug(string text) => new([.. text.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')]);
}
