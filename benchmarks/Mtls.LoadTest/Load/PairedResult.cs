using System.Globalization;
using System.Text;

namespace Mtls.LoadTest.Load;

/// <summary>What a <see cref="PairedComparison"/> measured: each pair's two slices, and the median ratios with their quartiles.</summary>
internal sealed record PairedResult(string Baseline, string Candidate, string Mode, TimeSpan Slice, int Concurrency, IReadOnlyList<PairedResult.Pair> Rows)
{
    /// <summary>Requests/s, candidate over baseline.</summary>
    internal (double Lower, double Median, double Upper) Throughput => Quartiles(Rows.Select(r => r.CandidateRps / r.BaselineRps));

    /// <summary>Server CPU per request, candidate over baseline.</summary>
    internal (double Lower, double Median, double Upper) ServerCpu => Quartiles(Rows.Select(r => r.CandidateUs / r.BaselineUs));

    /// <summary>A markdown section: the ratios, then every pair.</summary>
    internal string Markdown(string heading)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"{heading} {Candidate} vs {Baseline}, {Mode}");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"{Rows.Count} pairs of {Slice.TotalSeconds:0.#} s slices in ABBA order, concurrency {Concurrency}, both servers running throughout, one client process on the same cores.");
        md.AppendLine();
        md.AppendLine("| | median | quartiles |");
        md.AppendLine("|---|---:|---|");
        md.AppendLine(CultureInfo.InvariantCulture, $"| requests/s, {Candidate} / {Baseline} | {Throughput.Median:0.000} | {Throughput.Lower:0.000} - {Throughput.Upper:0.000} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| server CPU per request, {Candidate} / {Baseline} | {ServerCpu.Median:0.000} | {ServerCpu.Lower:0.000} - {ServerCpu.Upper:0.000} |");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"| pair | {Baseline} req/s | {Candidate} req/s | ratio | {Baseline} server us/req | {Candidate} server us/req |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|");
        for (int i = 0; i < Rows.Count; i++)
        {
            var r = Rows[i];
            md.AppendLine(CultureInfo.InvariantCulture, $"| {i + 1} | {r.BaselineRps:0} | {r.CandidateRps:0} | {r.CandidateRps / r.BaselineRps:0.000} | {r.BaselineUs:0.0} | {r.CandidateUs:0.0} |");
        }

        return md.ToString();
    }

    private static (double Lower, double Median, double Upper) Quartiles(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        double At(double p) => sorted[(int)Math.Round(p * (sorted.Length - 1))];
        return (At(0.25), At(0.5), At(0.75));
    }

    /// <summary>One pair of slices: each side's requests/s and server CPU microseconds per request.</summary>
    internal sealed record Pair(double BaselineRps, double CandidateRps, double BaselineUs, double CandidateUs);
}
