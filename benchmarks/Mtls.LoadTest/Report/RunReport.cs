using Mtls.LoadTest.Crypto;
using Mtls.LoadTest.Load;

namespace Mtls.LoadTest.Report;

internal sealed record RunReport(
    DateTime StartedUtc,
    string Machine,
    int Rounds,
    double SecondsPerRun,
    int Concurrency,
    IReadOnlyList<LoadResult> Runs,
    IReadOnlyList<ScenarioSummary> Summaries,
    IReadOnlyList<Goal> Goals,
    OpensslSpeed? Crypto,
    RotationResult? Rotation,
    IReadOnlyList<string> Notes);

internal sealed record ScenarioSummary(string Scenario, string Mode, double Rps, double P50Ms, double P90Ms, double P99Ms, long Errors, double ServerCpuSeconds, double RequestsPerServerCpuSecond, double ServerPeakRssMiB);

internal sealed record Goal(string Description, double Measured, double Target, bool Met);

internal sealed record RotationResult(int Rotations, long Requests, long FailedRequests, double P50DelayMs, double P99DelayMs, double MaxDelayMs);
