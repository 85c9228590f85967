using System.Globalization;
using System.Text;
using System.Text.Json;
using Mtls.LoadTest.Load;
using Mtls.LoadTest.Scenarios;
using ScottPlot;

namespace Mtls.LoadTest.Report;

/// <summary>Writes the run as Markdown, JSON and PNG charts under benchmarks/results.</summary>
internal static class ReportWriter
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    internal static string Write(string outputDirectory, RunReport report)
    {
        Directory.CreateDirectory(outputDirectory);
        string stem = report.StartedUtc.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        File.WriteAllText(Path.Combine(outputDirectory, stem + ".json"), JsonSerializer.Serialize(report, Json));
        Chart(report, Path.Combine(outputDirectory, stem + "-throughput.png"), "Requests per second (median of rounds)", s => s.Rps);
        Chart(report, Path.Combine(outputDirectory, stem + "-p99.png"), "p99 latency, ms (median of rounds)", s => s.P99Ms);
        string markdown = Path.Combine(outputDirectory, stem + ".md");
        File.WriteAllText(markdown, Markdown(report, stem));
        return markdown;
    }

    private static void Chart(RunReport report, string path, string title, Func<ScenarioSummary, double> value)
    {
        var plot = new Plot();
        plot.Title(title);
        string[] scenarios = [.. report.Summaries.Select(s => s.Scenario).Distinct()];
        string[] modes = [.. report.Summaries.Select(s => s.Mode).Distinct()];
        var palette = new ScottPlot.Palettes.Category10();
        var bars = new List<Bar>();
        for (int m = 0; m < modes.Length; m++)
        {
            for (int s = 0; s < scenarios.Length; s++)
            {
                var summary = report.Summaries.FirstOrDefault(x => x.Mode == modes[m] && x.Scenario == scenarios[s]);
                if (summary is null)
                {
                    continue;
                }

                bars.Add(new Bar { Position = (m * (scenarios.Length + 1)) + s, Value = value(summary), FillColor = palette.GetColor(s) });
            }
        }

        plot.Add.Bars(bars);
        plot.Axes.Bottom.SetTicks([.. modes.Select((_, m) => (m * (scenarios.Length + 1)) + ((scenarios.Length - 1) / 2.0))], modes);
        for (int s = 0; s < scenarios.Length; s++)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = scenarios[s], FillColor = palette.GetColor(s) });
        }

        plot.Legend.IsVisible = true;
        plot.Axes.Margins(bottom: 0);
        plot.SavePng(path, 1100, 500);
    }

    /// <summary>
    /// Every scenario against the raw baseline, and Mtls with policies against the handwritten app, per mode: requests
    /// per second (what a client sees, client cost included, since both share the machine) and requests per server
    /// CPU second (the server alone).
    /// </summary>
    private static void Ratios(StringBuilder md, IReadOnlyList<ScenarioSummary> summaries)
    {
        var inv = CultureInfo.InvariantCulture;
        // Keep-alive first: those are the modes the per-request goals are about.
        string[] modes = [.. summaries.Select(s => s.Mode).Distinct().OrderBy(m => m.EndsWith("new connection", StringComparison.Ordinal)).ThenBy(m => m, StringComparer.Ordinal)];
        ScenarioSummary? Find(string scenario, string mode) => summaries.FirstOrDefault(s => s.Scenario == scenario && s.Mode == mode);
        var pairs = summaries.Select(s => s.Scenario).Distinct().Where(s => s != ScenarioNames.Raw).Select(s => (s, ScenarioNames.Raw)).ToList();
        pairs.Add((ScenarioNames.MtlsPolicy, ScenarioNames.Handwritten));
        pairs.Add((ScenarioNames.MtlsPolicy, ScenarioNames.HandwrittenCached));
        md.AppendLine();
        md.AppendLine("## Ratios (same run): req/s, and in brackets req per server CPU s");
        md.AppendLine();
        md.AppendLine("| ratio | " + string.Join(" | ", modes) + " |");
        md.AppendLine("|---|" + string.Concat(modes.Select(_ => "---:|")));
        foreach (var (numerator, denominator) in pairs.Where(p => summaries.Any(s => s.Scenario == p.Item1) && summaries.Any(s => s.Scenario == p.Item2)))
        {
            md.Append(inv, $"| {numerator} / {denominator} |");
            foreach (string mode in modes)
            {
                var n = Find(numerator, mode);
                var d = Find(denominator, mode);
                md.Append(n is null || d is null ? " |" : $" {Times(n.Rps, d.Rps)} ({Times(n.RequestsPerServerCpuSecond, d.RequestsPerServerCpuSecond)}) |");
            }

            md.AppendLine();
        }
    }

    private static string Times(double numerator, double denominator)
    {
        double ratio = numerator / denominator;
        return double.IsFinite(ratio) ? ratio.ToString("0.00", CultureInfo.InvariantCulture) + "x" : "n/a";
    }

    private static string Markdown(RunReport report, string stem)
    {
        var md = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        md.AppendLine(inv, $"# Mtls load report {stem}");
        md.AppendLine();
        md.AppendLine(inv, $"Machine: {report.Machine}. Started {report.StartedUtc:u}, {report.Rounds} interleaved rounds of {report.SecondsPerRun} s per scenario and mode, concurrency {report.Concurrency}. Figures are medians over rounds; ratios are computed within this run.");
        md.AppendLine();
        md.AppendLine("![throughput](" + stem + "-throughput.png)");
        md.AppendLine("![p99](" + stem + "-p99.png)");
        md.AppendLine();
        md.AppendLine("| mode | scenario | req/s | p50 ms | p90 ms | p99 ms | errors | server CPU s | req per server CPU s | server peak RSS MiB |");
        md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var s in report.Summaries)
        {
            md.AppendLine(inv, $"| {s.Mode} | {s.Scenario} | {s.Rps:0} | {s.P50Ms:0.00} | {s.P90Ms:0.00} | {s.P99Ms:0.00} | {s.Errors} | {s.ServerCpuSeconds:0.0} | {s.RequestsPerServerCpuSecond:0} | {s.ServerPeakRssMiB:0} |");
        }

        Ratios(md, report.Summaries);
        md.AppendLine();
        md.AppendLine("## Goals (ratios within this run)");
        md.AppendLine();
        md.AppendLine("| goal | measured | met |");
        md.AppendLine("|---|---:|---|");
        foreach (var g in report.Goals)
        {
            md.AppendLine(inv, $"| {g.Description} | {g.Measured:0.00} | {(g.Met ? "yes" : "**no**")} |");
        }

        if (report.Crypto is { } crypto)
        {
            md.AppendLine();
            md.AppendLine(inv, $"Crypto limit (openssl speed): ECDSA P-256 {crypto.SignsPerSecond:0} sign/s, {crypto.VerifiesPerSecond:0} verify/s, X25519 {crypto.EcdhPerSecond:0} op/s per core: {crypto.HandshakesPerSecondPerCore:0} server-side mTLS handshakes/s per core, {crypto.HandshakesPerSecondPerCore * Environment.ProcessorCount:0} on {Environment.ProcessorCount} cores.");
        }

        if (report.Rotation is { } rotation)
        {
            md.AppendLine();
            md.AppendLine("## Rotation under load");
            md.AppendLine();
            md.AppendLine(inv, $"{rotation.Rotations} rotations during a constant request stream ({rotation.Requests} requests): {rotation.FailedRequests} failed; delay from rotation to the first handshake presenting the new SVID: p50 {rotation.P50DelayMs:0.0} ms, p99 {rotation.P99DelayMs:0.0} ms, max {rotation.MaxDelayMs:0.0} ms.");
        }

        if (report.Notes.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("## Notes");
            md.AppendLine();
            foreach (string note in report.Notes)
            {
                md.AppendLine("- " + note);
            }
        }

        return md.ToString();
    }
}
