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

    /// <summary>Chooses the SVID to present among those the agent sent (never empty); null to present none.</summary>
    public Func<IReadOnlyList<X509Svid>, X509Svid?>? SvidPicker { get; set; }

    internal Func<IReadOnlyList<X509Svid>, X509Svid?>? ResolvePicker()
    {
        if (SvidPicker is not null)
        {
            return SvidPicker;
        }

        string? hint = SvidHint;
        return hint is null ? null : svids => svids.FirstOrDefault(s => string.Equals(s.Hint, hint, StringComparison.Ordinal));
    }
}
