using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Primitives;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.X509;

namespace Mtls.Sources;

/// <summary>
/// Reads a source's choice of SVID together with its snapshot, and applies an application-level
/// <see cref="SvidPreference"/> (hint, trust domain) to any <see cref="IX509Source"/>, including a user's own.
/// </summary>
internal static class X509SourceChoice
{
    /// <summary>
    /// The current snapshot of <paramref name="source"/> and the SVID it presents. Atomic for the library's sources;
    /// for any other source the two are read one after the other (the best such a source allows).
    /// </summary>
    internal static X509Selection? Read(IX509Source source)
    {
        if (source is IX509SelectionSource selecting)
        {
            return selecting.Selection;
        }

        var context = source.Current;
        return context is null ? null : new X509Selection(context, source.GetX509Svid());
    }

    /// <summary>
    /// <paramref name="source"/> with <paramref name="preference"/> applied: <c>GetX509Svid()</c> (and the selection the
    /// TLS layer reads) answers with the SVID the preference chooses from the inner source's current snapshot (with
    /// only a trust domain, the inner source's own choice, kept only when it is in that trust domain); everything else
    /// is forwarded. An empty preference returns <paramref name="source"/> itself. The wrapper owns nothing: disposing
    /// the inner source stays with whoever created it.
    /// </summary>
    internal static IX509Source Apply(IX509Source source, SvidPreference preference, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(preference);
        return preference.IsEmpty ? source : new Chosen(source, preference, logger ?? NullLogger.Instance);
    }

    /// <summary>The decorator of <see cref="Apply"/>; the choice is computed once per inner snapshot.</summary>
    internal sealed class Chosen(IX509Source inner, SvidPreference preference, ILogger logger) : IX509Source, IX509SelectionSource
    {
        private Cached? _cached;

        /// <summary>The decorated source (e.g. to reach its state or health).</summary>
        internal IX509Source Inner => inner;

        internal SvidPreference Preference => preference;

        public X509Context? Current => inner.Current;

        public X509Selection? Selection
        {
            get
            {
                var read = Read(inner);
                if (read is null)
                {
                    return null;
                }

                var cached = Volatile.Read(ref _cached);
                if (cached is not null && ReferenceEquals(cached.Inner.Context, read.Context) && ReferenceEquals(cached.Inner.Svid, read.Svid))
                {
                    return cached.Outer;
                }

                var svid = preference.Chooses
                    ? SvidChoice.Choose(read.Context.Svids, preference, logger)
                    : SvidChoice.InTrustDomain(read.Svid, preference, logger);
                var outer = new X509Selection(read.Context, svid);

                // Racing readers may both compute; either result is the same choice for this snapshot.
                Volatile.Write(ref _cached, new Cached(read, outer));
                return outer;
            }
        }

        public X509Svid? GetX509Svid() => Selection?.Svid;

        public X509Bundle? GetX509Bundle(TrustDomain trustDomain) => inner.GetX509Bundle(trustDomain);

        public IChangeToken GetChangeToken() => inner.GetChangeToken();

        private sealed record Cached(X509Selection Inner, X509Selection Outer);
    }
}
