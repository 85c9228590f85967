namespace Mtls.LoadTest.Scenarios;

/// <summary>Scenario names as they appear in the report; goals and ratios look scenarios up by them.</summary>
internal static class ScenarioNames
{
    internal const string Plaintext = "plaintext Kestrel";
    internal const string Raw = "raw Kestrel mTLS";
    internal const string RawFullHandshakes = "raw Kestrel mTLS, no resumption";
    internal const string MtlsKestrel = "Mtls rules, no auth services";
    internal const string MtlsRules = "Mtls rules";
    internal const string MtlsRulesFullHandshakes = "Mtls rules, no resumption";
    internal const string MtlsPolicy = "Mtls rules + policy";
    internal const string MtlsTelemetry = "Mtls rules + telemetry";
    internal const string MtlsBothSides = "Mtls rules, Mtls client";
    internal const string Handwritten = "handwritten";
    internal const string HandwrittenCached = "handwritten, cached";
    internal const string Sidecars = "nginx sidecar pair";
}
