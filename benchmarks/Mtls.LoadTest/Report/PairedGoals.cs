using System.Globalization;
using System.Text;
using Mtls.LoadTest.Load;
using Mtls.LoadTest.Servers;

namespace Mtls.LoadTest.Report;

/// <summary>
/// The issues' few-percent goals, measured as paired comparisons (<see cref="PairedComparison"/>): whole-run ratios on
/// this machine move by more than the goals' margins.
/// </summary>
internal static class PairedGoals
{
    /// <summary>Baseline and candidate kinds, the mode key, the target for the median requests/s ratio (0: stated only), and what it shows.</summary>
    internal static readonly (string Baseline, string Candidate, string Mode, double Target, string Description)[] All =
    [
        (ServerKinds.Raw, ServerKinds.MtlsKestrel, "h2", 0.97, "issue 10: rules-only app (source + Kestrel part: rule set, handshake authorizer, connection checks) / raw Kestrel mTLS, HTTP/2 keep-alive (>= 0.97)"),
        (ServerKinds.Raw, ServerKinds.MtlsKestrel, "h1", 0.97, "issue 10: rules-only app / raw Kestrel mTLS, HTTP/1.1 keep-alive (>= 0.97)"),
        (ServerKinds.Raw, ServerKinds.MtlsRules, "h2", 0, "issue 10, stated: the AddSpiffeMtls one-liner with the same rules (its authentication scheme makes ASP.NET Core run the authentication and authorization middleware on every request) / raw Kestrel mTLS, HTTP/2 keep-alive"),
        (ServerKinds.Handwritten, ServerKinds.MtlsPolicy, "h2", 1, "issue 10: Mtls with policies / handwritten certificate server, HTTP/2 keep-alive (> 1)"),
        (ServerKinds.Handwritten, ServerKinds.MtlsPolicy, "h1", 1, "issue 10: Mtls with policies / handwritten certificate server, HTTP/1.1 keep-alive (> 1)"),
        (ServerKinds.MtlsRules, ServerKinds.MtlsTelemetry, "h2", 0.97, "issue 16: telemetry on / off, HTTP/2 keep-alive (>= 0.97)"),
        ("mtls-full", ServerKinds.MtlsRules, "h1-new", 3, "issue 13: Mtls resuming / Mtls full handshakes, HTTP/1.1 new connection (>= 3)"),
        (ServerKinds.Raw, ServerKinds.MtlsRules, "h1-new", 0.95, "issue 13: Mtls / raw Kestrel mTLS, both resuming, HTTP/1.1 new connection (>= 0.95)"),
        ("raw-full", ServerKinds.Raw, "h1-new", 0, "stated: raw Kestrel mTLS resuming / its full handshakes, HTTP/1.1 new connection (the platform's own gain)"),
    ];

    /// <summary>Every goal (<c>true</c>) or one issue's (its number).</summary>
    internal static (string Baseline, string Candidate, string Mode, double Target, string Description)[] For(string selection) =>
        selection is "true" or "all" ? All : [.. All.Where(g => g.Description.StartsWith($"issue {selection}:", StringComparison.Ordinal) || g.Description.StartsWith($"issue {selection},", StringComparison.Ordinal))];

    /// <summary>Writes the goals table and every comparison's section; returns the file's path.</summary>
    internal static string Write(string directory, IReadOnlyList<(string Description, double Target, PairedResult Result)> results)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# Paired goals, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"{Environment.ProcessorCount} cores, loopback; client and servers share the cores. Each goal is the median of per-pair requests/s ratios.");
        md.AppendLine();
        md.AppendLine("| goal | median | quartiles | server CPU per request (median ratio) | |");
        md.AppendLine("|---|---:|---|---:|---|");
        foreach (var (description, target, result) in results)
        {
            string verdict = target == 0 ? "stated" : result.Throughput.Median >= target ? "met" : "MISSED";
            md.AppendLine(CultureInfo.InvariantCulture, $"| {description} | {result.Throughput.Median:0.000} | {result.Throughput.Lower:0.000} - {result.Throughput.Upper:0.000} | {result.ServerCpu.Median:0.000} | {verdict} |");
            Console.WriteLine($"{verdict,-7} {description}: {result.Throughput.Median:0.000}");
        }

        foreach (var (_, _, result) in results)
        {
            md.AppendLine();
            md.Append(result.Markdown("##"));
        }

        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, $"{DateTime.UtcNow:yyyy-MM-dd}-paired.md");
        File.WriteAllText(path, md.ToString());
        return path;
    }
}
