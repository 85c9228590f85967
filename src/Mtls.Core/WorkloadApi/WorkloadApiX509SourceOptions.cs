using Mtls.Sources;
using Mtls.X509;

namespace Mtls.WorkloadApi;

/// <summary>Options of <see cref="WorkloadApiX509Source"/>.</summary>
public sealed class WorkloadApiX509SourceOptions : WorkloadApiSourceOptions
{
    /// <summary>
    /// Choose the SVID whose Workload API hint equals this value (the first such, as the standard says) instead of the
    /// default (the first SVID). When no SVID carries the hint, the source presents none. Ignored when
    /// <see cref="SvidPicker"/> is set.
    /// </summary>
    public string? SvidHint { get; set; }

    /// <summary>
    /// Chooses the SVID to present among those the agent sent; null to present none. Called once per update, never with
    /// an empty list (a withdrawn identity presents nothing without asking). If it throws, or returns an SVID that is not
    /// in the list, the source presents no SVID (logged) until the next update: never the previous one.
    /// </summary>
    public Func<IReadOnlyList<X509Svid>, X509Svid?>? SvidPicker { get; set; }

    internal SvidPreference ResolvePreference() => new(SvidHint, TrustDomain: null, SvidPicker);
}
