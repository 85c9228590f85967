using Mtls.Identity;
using Mtls.X509;

namespace Mtls.Sources;

/// <summary>Which of a snapshot's SVIDs a workload presents; applied by <see cref="SvidChoice.Choose"/>.</summary>
/// <param name="Hint">The SVID whose Workload API hint equals this (the first such); null or empty: no hint.</param>
/// <param name="TrustDomain">The chosen SVID must be in this trust domain, else none is presented; null: not checked.</param>
/// <param name="Picker">Chooses among the SVIDs (never called with an empty list); wins over <paramref name="Hint"/>.</param>
internal sealed record SvidPreference(string? Hint = null, TrustDomain? TrustDomain = null, Func<IReadOnlyList<X509Svid>, X509Svid?>? Picker = null)
{
    /// <summary>The standard's default: the first SVID.</summary>
    internal static SvidPreference Default { get; } = new();

    /// <summary>True when a hint or picker chooses among the SVIDs (rather than accepting the default or a source's own choice).</summary>
    internal bool Chooses => Picker is not null || !string.IsNullOrEmpty(Hint);

    /// <summary>True when this preference changes nothing.</summary>
    internal bool IsEmpty => !Chooses && TrustDomain is null;
}
