using BenchmarkDotNet.Attributes;
using Mtls.Identity;

namespace Mtls.Benchmarks;

/// <summary>Parsing a typical SPIFFE ID, against <see cref="Uri"/> parsing the same string as the baseline.</summary>
[MemoryDiagnoser]
public class SpiffeIdParseBenchmarks
{
    private const string TypicalId = "spiffe://prod.example.org/ns/payments/sa/checkout-api";

    [Benchmark(Baseline = true, Description = "new Uri(id)")]
    public Uri UriParse() => new(TypicalId);

    [Benchmark(Description = "SpiffeId.Parse(id)")]
    public SpiffeId SpiffeIdParse() => SpiffeId.Parse(TypicalId);

    [Benchmark(Description = "SpiffeId.TryParse(id)")]
    public SpiffeId? SpiffeIdTryParse() => SpiffeId.TryParse(TypicalId, out var id) ? id : null;
}
