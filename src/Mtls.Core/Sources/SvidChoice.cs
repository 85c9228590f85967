using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mtls.X509;

namespace Mtls.Sources;

/// <summary>
/// The one place that decides which SVID a workload presents. Sources apply it once per snapshot and answer
/// <see cref="IX509SvidSource.GetX509Svid"/> with the result; every consumer (server and client TLS, startup wait,
/// health) reads that answer instead of choosing again. It fails closed: no SVID rather than a wrong one.
/// </summary>
internal static class SvidChoice
{
    /// <summary>
    /// The SVID to present among <paramref name="svids"/>: the picker's choice, else the first with the hint, else the
    /// first; then null unless it is in the preferred trust domain. Never throws: an empty list is null without calling
    /// the picker, and a picker that throws (or returns an SVID it was not given) is null, logged.
    /// </summary>
    internal static X509Svid? Choose(IReadOnlyList<X509Svid>? svids, SvidPreference? preference, ILogger? logger = null)
    {
        if (svids is null || svids.Count == 0)
        {
            return null;
        }

        preference ??= SvidPreference.Default;
        logger ??= NullLogger.Instance;
        X509Svid? chosen;
        if (preference.Picker is { } picker)
        {
            try
            {
                chosen = picker(svids);
            }
            // A user's picker may throw anything; "no SVID" is the only safe answer.
            catch (Exception e)
            {
                SourceLog.SvidPickerFailed(logger, svids.Count, e);
                return null;
            }

            if (chosen is not null && !Contains(svids, chosen))
            {
                SourceLog.SvidPickerForeign(logger, chosen.Id.ToString());
                return null;
            }
        }
        else if (!string.IsNullOrEmpty(preference.Hint))
        {
            chosen = null;
            foreach (var svid in svids)
            {
                if (string.Equals(svid.Hint, preference.Hint, StringComparison.Ordinal))
                {
                    chosen = svid;
                    break;
                }
            }
        }
        else
        {
            chosen = svids[0];
        }

        return InTrustDomain(chosen, preference, logger);
    }

    /// <summary><paramref name="svid"/> when it is in the preferred trust domain (or none is preferred), else null, logged.</summary>
    internal static X509Svid? InTrustDomain(X509Svid? svid, SvidPreference preference, ILogger logger)
    {
        if (svid is not null && preference.TrustDomain is { } trustDomain && !svid.Id.IsMemberOf(trustDomain))
        {
            SourceLog.ForeignSvid(logger, svid.Id.ToString(), trustDomain.Name);
            return null;
        }

        return svid;
    }

    private static bool Contains(IReadOnlyList<X509Svid> svids, X509Svid candidate)
    {
        foreach (var svid in svids)
        {
            if (ReferenceEquals(svid, candidate))
            {
                return true;
            }
        }

        return false;
    }
}
