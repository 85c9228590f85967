using Mtls.Sources;
using Mtls.X509;

namespace Mtls.Cli;

/// <summary>An X.509 context and what keeps it alive: the file source that holds it, or nothing (the context's SVIDs are ours to dispose).</summary>
internal sealed class LoadedIdentity(X509Context context, IDisposable? owner) : IDisposable
{
    /// <summary>The SVIDs and bundles.</summary>
    internal X509Context Context { get; } = context;

    /// <summary>The SVID this workload presents: the first (the agent's default), as the sources choose without a hint.</summary>
    internal X509Svid Svid => Context.DefaultSvid ?? throw new CliException(ExitCodes.NoIdentity, "the source has no X509-SVID for this workload");

    public void Dispose()
    {
        if (owner is not null)
        {
            owner.Dispose();
            return;
        }

        foreach (var svid in Context.Svids)
        {
            svid.Dispose();
        }
    }
}
