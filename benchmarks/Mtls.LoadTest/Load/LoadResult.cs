namespace Mtls.LoadTest.Load;

/// <summary>What one scenario run measured.</summary>
internal sealed record LoadResult(
    string Scenario,
    string Protocol,
    string Connections,
    int Round,
    long Requests,
    long Errors,
    double Seconds,
    double P50Ms,
    double P90Ms,
    double P99Ms,
    double ServerCpuSeconds,
    double ServerPeakRssMiB,
    double ClientCpuSeconds)
{
    internal double RequestsPerSecond => Requests / Seconds;

    /// <summary>Requests per CPU-second spent by every server-side process (app and sidecars).</summary>
    internal double RequestsPerServerCpuSecond => ServerCpuSeconds > 0 ? Requests / ServerCpuSeconds : 0;
}
