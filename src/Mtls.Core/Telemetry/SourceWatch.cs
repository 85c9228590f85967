using Microsoft.Extensions.Primitives;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.Sources;

namespace Mtls.Telemetry;

/// <summary>
/// One source on the SVID expiry and bundle age gauges. Remembers, per trust domain, when the bundle's authorities last
/// changed: sources publish a new snapshot on every update (an agent resends unchanged bundles with each rotation), so
/// the age compares content, once per update, never per observation.
/// </summary>
internal sealed class SourceWatch : IDisposable
{
    private readonly Action<SourceWatch> _remove;
    private readonly IDisposable _subscription;
    private readonly Lock _lock = new();
    private Dictionary<TrustDomain, (X509Bundle Bundle, DateTimeOffset ChangedAt)> _bundles = [];

    internal SourceWatch(IX509Source source, string sourceKind, TimeProvider time, Action<SourceWatch> remove)
    {
        Source = source;
        SourceKind = sourceKind;
        Time = time;
        _remove = remove;
        Update();
        _subscription = ChangeToken.OnChange(source.GetChangeToken, Update);
    }

    internal IX509Source Source { get; }

    internal string SourceKind { get; }

    internal TimeProvider Time { get; }

    /// <summary>When each trust domain's bundle last changed.</summary>
    internal IEnumerable<(string TrustDomain, DateTimeOffset ChangedAt)> BundleChanges()
    {
        var bundles = Volatile.Read(ref _bundles);
        foreach (var (trustDomain, entry) in bundles)
        {
            yield return (trustDomain.Name, entry.ChangedAt);
        }
    }

    public void Dispose()
    {
        _subscription.Dispose();
        _remove(this);
    }

    private void Update()
    {
        var bundles = Source.Current?.Bundles;
        lock (_lock)
        {
            var previous = _bundles;
            var next = new Dictionary<TrustDomain, (X509Bundle, DateTimeOffset)>();
            var now = Time.GetUtcNow();
            foreach (var bundle in bundles?.Bundles ?? [])
            {
                next[bundle.TrustDomain] = previous.TryGetValue(bundle.TrustDomain, out var known) && SameAuthorities(known.Bundle, bundle)
                    ? (bundle, known.ChangedAt)
                    : (bundle, now);
            }

            Volatile.Write(ref _bundles, next);
        }
    }

    private static bool SameAuthorities(X509Bundle a, X509Bundle b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        if (a.Authorities.Count != b.Authorities.Count)
        {
            return false;
        }

        foreach (var authority in b.Authorities)
        {
            if (!a.Contains(authority))
            {
                return false;
            }
        }

        return true;
    }
}
