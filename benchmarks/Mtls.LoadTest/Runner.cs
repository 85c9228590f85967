using System.Diagnostics;
using System.Runtime.InteropServices;
using Mtls.Authorization;
using Mtls.Files;
using Mtls.Http;
using Mtls.LoadTest.Crypto;
using Mtls.LoadTest.Load;
using Mtls.LoadTest.Processes;
using Mtls.LoadTest.Report;
using Mtls.LoadTest.Rotation;
using Mtls.LoadTest.Scenarios;
using Mtls.LoadTest.Servers;
using Mtls.Testing.Certificates;

namespace Mtls.LoadTest;

/// <summary>
/// Runs every scenario in every mode, interleaved over rounds (runs on a shared machine drift by up to 25%, so no
/// scenario gets all the quiet minutes), then the rotation run, then writes the report.
/// </summary>
internal static class Runner
{
    private static readonly (string Key, string Name, bool Http2, bool NewConnection)[] Modes =
    [
        ("h1", "HTTP/1.1 keep-alive", false, false),
        ("h2", "HTTP/2 keep-alive", true, false),
        ("h1-new", "HTTP/1.1 new connection", false, true),
        ("h2-new", "HTTP/2 new connection", true, true),
    ];

    internal static async Task<int> RunAsync(RunSettings settings)
    {
        var started = DateTime.UtcNow;
        string work = Path.Combine(Path.GetTempPath(), "mtls-load-" + Guid.NewGuid().ToString("N")[..8]);
        using var ca = TestCertificateAuthority.Create("bench.local");
        var files = CertificateFiles.Write(ca, work);
        using var clientSource = new FileX509Source(new FileX509SourceOptions { Directory = files.ClientDirectory });
        var notes = new List<string>
        {
            "Sidecar-to-sidecar connections are pooled (nginx upstream keepalive), as meshes do; in new-connection modes only the client-to-egress hop is new per request.",
            "nginx speaks HTTP/1.1 to its upstreams, so in the HTTP/2 modes only the client-to-egress hop is HTTP/2 (h2c).",
            $"'{ScenarioNames.RawFullHandshakes}' and '{ScenarioNames.MtlsRulesFullHandshakes}': the same servers started with DOTNET_SYSTEM_NET_SECURITY_DISABLETLSRESUME=1, so every new connection is a full handshake; the other TLS scenarios resume sessions (the clients offer them).",
            $"{ScenarioNames.Raw}: static certificates, RequireCertificate, a custom-root chain policy; no SPIFFE logic, no authentication or authorization services.",
            $"{ScenarioNames.MtlsRules}: AddSpiffeX509Source (files) + AddSpiffeMtls with the handshake authorizer admitting only the client's ID and two rules from configuration (a DENY for batch writes, an ALLOW for the client's GETs); default per-request connection checks (peer expiry, bundle change, maximum connection age).",
            $"{ScenarioNames.MtlsKestrel}: the same rules and connection checks through AddSpiffeX509Source + AddSpiffeKestrel only, without AddAuthentication().AddSpiffe() and AddAuthorization(), so ASP.NET Core's authentication and authorization middleware are not in the pipeline: it isolates what the connection checks and the rule set cost.",
            $"{ScenarioNames.MtlsTelemetry}: the {ScenarioNames.MtlsRules} app plus services.AddOpenTelemetry().WithMetrics(m => m.AddMtlsInstrumentation().AddPrometheusExporter()): every request's http.server.request.duration carries spiffe.client.id and spiffe.server.id; not scraped during the run.",
            $"{ScenarioNames.MtlsPolicy}: the same app with the endpoint's RequireSpiffeId(client), so the Spiffe authentication scheme and the authorization policy run per request.",
            $"{ScenarioNames.Handwritten}: what users write without Mtls: static certificates, RequireCertificate with a CustomRootTrust X509Chain rebuilt in ClientCertificateValidation, the certificate authentication handler (CustomRootTrust, NoCheck) as the default scheme and a policy requiring the client's URI claim. The handler re-validates the chain on every request; '{ScenarioNames.HandwrittenCached}' adds its opt-in validation cache (AddCertificateCache).",
            "Clients: every server scenario is driven by the same client (a SocketsHttpHandler with static certificates and a custom-root chain policy), so ratios between them compare servers only; 'Mtls rules, Mtls client' drives the Mtls rules server with Mtls's own client handler (SpiffeHttpHandlerFactory, authorizing the server's ID), the whole library on both sides. Client and servers share the same 2 cores.",
        };

        var rawClient = ClientFactory.RawMutualTls(files.ClientDirectory);
        var mtlsClient = (bool retire) => SpiffeHttpHandlerFactory.Create(clientSource, Authorizer.Id(CertificateFiles.ServerId), new SpiffeHttpClientOptions { PooledConnectionLifetime = retire ? TimeSpan.Zero : TimeSpan.FromMinutes(2) });
        (string Kind, Func<Scenario> Create)[] all =
        [
            (ServerKinds.Plaintext, () => new DirectScenario(ScenarioNames.Plaintext, ServerKinds.Plaintext, files.ServerDirectory, tls: false, ClientFactory.Plain)),
            (ServerKinds.Raw, () => new DirectScenario(ScenarioNames.Raw, ServerKinds.Raw, files.ServerDirectory, tls: true, rawClient)),
            (ServerKinds.MtlsKestrel, () => new DirectScenario(ScenarioNames.MtlsKestrel, ServerKinds.MtlsKestrel, files.ServerDirectory, tls: true, rawClient)),
            (ServerKinds.MtlsRules, () => new DirectScenario(ScenarioNames.MtlsRules, ServerKinds.MtlsRules, files.ServerDirectory, tls: true, rawClient)),
            ("raw-full", () => new DirectScenario(ScenarioNames.RawFullHandshakes, ServerKinds.Raw, files.ServerDirectory, tls: true, rawClient, fullHandshakes: true)),
            ("mtls-full", () => new DirectScenario(ScenarioNames.MtlsRulesFullHandshakes, ServerKinds.MtlsRules, files.ServerDirectory, tls: true, rawClient, fullHandshakes: true)),
            (ServerKinds.MtlsTelemetry, () => new DirectScenario(ScenarioNames.MtlsTelemetry, ServerKinds.MtlsTelemetry, files.ServerDirectory, tls: true, rawClient)),
            (ServerKinds.MtlsPolicy, () => new DirectScenario(ScenarioNames.MtlsPolicy, ServerKinds.MtlsPolicy, files.ServerDirectory, tls: true, rawClient)),
            ("mtls-both", () => new DirectScenario(ScenarioNames.MtlsBothSides, ServerKinds.MtlsRules, files.ServerDirectory, tls: true, mtlsClient)),
            (ServerKinds.Handwritten, () => new DirectScenario(ScenarioNames.Handwritten, ServerKinds.Handwritten, files.ServerDirectory, tls: true, rawClient)),
            (ServerKinds.HandwrittenCached, () => new DirectScenario(ScenarioNames.HandwrittenCached, ServerKinds.HandwrittenCached, files.ServerDirectory, tls: true, rawClient)),
            ("sidecars", () => new SidecarScenario(files)),
        ];
        if (settings.Paired is not null || settings.PairedGoals is not null)
        {
            string paired = await RunPairedAsync(settings, all);
            Directory.Delete(work, recursive: true);
            Console.WriteLine($"report: {paired}");
            return 0;
        }

        Func<Scenario>[] scenarios = [.. all.Where(k => settings.Kinds is null || settings.Kinds.Contains(k.Kind)).Select(k => k.Create)];

        var runs = new List<LoadResult>();
        var duration = TimeSpan.FromSeconds(settings.Seconds);
        for (int round = 1; round <= settings.Rounds && !settings.RotationOnly; round++)
        {
            for (int s = 0; s < scenarios.Length; s++)
            {
                await using var scenario = scenarios[(s + round - 1) % scenarios.Length]();
                await scenario.StartAsync();
                if (round == 1)
                {
                    await ReportUnmappedPathAsync(scenario);
                }

                foreach (var mode in Modes.Where(m => (m.NewConnection || !scenario.NewConnectionsOnly) && (settings.Modes is null || settings.Modes.Contains(m.Key))))
                {
                    var (send, handle) = ClientFactory.Create(scenario.CreateHandler, scenario.Address(mode.Http2), mode.Http2, mode.NewConnection);
                    using (handle)
                    {
                        await LoadGenerator.RunAsync(send, settings.Concurrency, TimeSpan.FromSeconds(Math.Min(1, settings.Seconds)), long.MaxValue);
                        double serverCpu = scenario.ServerProcessIds.Sum(ProcessStats.CpuSeconds);
                        var clientCpu = Process.GetCurrentProcess().TotalProcessorTime;
                        var (requests, errors, seconds, latencies) = await LoadGenerator.RunAsync(send, settings.Concurrency, duration, 5_000_000);
                        serverCpu = scenario.ServerProcessIds.Sum(ProcessStats.CpuSeconds) - serverCpu;
                        double clientSeconds = (Process.GetCurrentProcess().TotalProcessorTime - clientCpu).TotalSeconds;
                        double rss = scenario.ServerProcessIds.Sum(ProcessStats.PeakRssMiB);
                        var result = new LoadResult(scenario.Name, mode.Http2 ? "HTTP/2" : "HTTP/1.1", mode.NewConnection ? "new connection" : "keep-alive", round, requests, errors, seconds,
                            LoadGenerator.Percentile(latencies, 0.50), LoadGenerator.Percentile(latencies, 0.90), LoadGenerator.Percentile(latencies, 0.99), serverCpu, rss, clientSeconds);
                        runs.Add(result);
                        Console.WriteLine($"round {round} {scenario.Name,-22} {mode.Name,-24} {result.RequestsPerSecond,9:0} req/s p99 {result.P99Ms,7:0.00} ms errors {errors}");
                    }
                }
            }
        }

        Console.WriteLine("openssl speed ...");
        var crypto = await OpensslSpeed.MeasureAsync(2);
        Console.WriteLine($"rotation under load ({settings.RotationCount} rotations) ...");
        var rotation = await RotationUnderLoad.RunAsync(settings.RotationCount);
        if (HandshakeCostSplit.Describe(runs, ScenarioNames.MtlsRulesFullHandshakes, crypto, clientSource) is { } split)
        {
            notes.Add(split);
            Console.WriteLine(split);
        }

        var summaries = Summarize(runs);
        var report = new RunReport(started, Machine(), settings.Rounds, settings.Seconds, settings.Concurrency, runs, summaries, Goals.Evaluate(summaries, crypto, rotation), crypto, rotation, notes);
        string path = ReportWriter.Write(settings.OutputDirectory, report);
        Directory.Delete(work, recursive: true);
        Console.WriteLine($"report: {path}");
        foreach (var goal in report.Goals)
        {
            Console.WriteLine($"{(goal.Met ? "met    " : "MISSED ")} {goal.Description}: {goal.Measured:0.00}");
        }

        return 0;
    }

    /// <summary>
    /// <c>--paired baseline,candidate --modes M</c>: one paired comparison; <c>--paired-goals true</c>: every goal of
    /// <see cref="PairedGoals"/>, <c>--paired-goals 10</c>: one issue's. Writes one report either way.
    /// </summary>
    private static async Task<string> RunPairedAsync(RunSettings settings, (string Kind, Func<Scenario> Create)[] all)
    {
        (string Baseline, string Candidate, string Mode, double Target, string Description)[] comparisons = settings.Paired is [var baseline, var candidate]
            ? [(baseline, candidate, settings.Modes is [var only] ? only : throw new ArgumentException("--paired needs exactly one of --modes h1,h2,h1-new,h2-new"), 0, $"{candidate} / {baseline}")]
            : PairedGoals.For(settings.PairedGoals!);
        var results = new List<(string, double, PairedResult)>();
        foreach (var comparison in comparisons)
        {
            var mode = Modes.Single(m => m.Key == comparison.Mode);
            Scenario Create(string kind) => all.FirstOrDefault(k => k.Kind == kind).Create?.Invoke() ?? throw new ArgumentException($"unknown kind '{kind}'");
            await using var baselineScenario = Create(comparison.Baseline);
            await using var candidateScenario = Create(comparison.Candidate);
            Console.WriteLine($"paired: {comparison.Description}");
            var result = await PairedComparison.RunAsync(baselineScenario, candidateScenario, (mode.Name, mode.Http2, mode.NewConnection), settings.Pairs, TimeSpan.FromSeconds(settings.Seconds), settings.Concurrency);
            results.Add((comparison.Description, comparison.Target, result));
        }

        return PairedGoals.Write(settings.OutputDirectory, results);
    }

    /// <summary>
    /// Shows that each app's authorization is in force, not only that "/" answers: a path no endpoint maps answers 404
    /// on apps without a rule set, and 403 where the rule set's default deny applies (only "/" and "/api/*" are allowed).
    /// </summary>
    private static async Task ReportUnmappedPathAsync(Scenario scenario)
    {
        using var client = new HttpClient(scenario.CreateHandler(false)) { Timeout = TimeSpan.FromSeconds(30) };
        using var response = await client.GetAsync(new Uri(scenario.Address(http2: false), "/unmapped"));
        Console.WriteLine($"{scenario.Name}: GET /unmapped -> {(int)response.StatusCode}");
    }

    private static List<ScenarioSummary> Summarize(List<LoadResult> runs) =>
    [
        .. runs.GroupBy(r => (r.Scenario, Mode: $"{r.Protocol} {r.Connections}"))
            .Select(g => new ScenarioSummary(
                g.Key.Scenario,
                g.Key.Mode,
                Median(g.Select(r => r.RequestsPerSecond)),
                Median(g.Select(r => r.P50Ms)),
                Median(g.Select(r => r.P90Ms)),
                Median(g.Select(r => r.P99Ms)),
                g.Sum(r => r.Errors),
                Median(g.Select(r => r.ServerCpuSeconds)),
                Median(g.Select(r => r.RequestsPerServerCpuSecond)),
                g.Max(r => r.ServerPeakRssMiB)))
            .OrderBy(s => s.Mode, StringComparer.Ordinal),
    ];

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Machine()
    {
        string cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU"
            : "unknown CPU";
        return $"{cpu}, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}";
    }
}
