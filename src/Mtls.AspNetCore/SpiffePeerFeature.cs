using Mtls.Identity;
using Mtls.Sources;
using Mtls.Tls;

namespace Mtls.AspNetCore;

/// <summary>
/// The verified peer of one mTLS connection. Only this type, set by the Kestrel part after a SPIFFE handshake, is
/// trusted as a peer: authentication and the SPIFFE requirements ignore any other <see cref="ISpiffePeerFeature"/>
/// and every claim. Each request re-checks it (<see cref="Check"/>) before it is used.
/// </summary>
internal sealed class SpiffePeerFeature(VerifiedPeer verified) : ISpiffePeerFeature
{
    private object? _checkedContext;
    private object? _checkedBundle = verified.Bundle;
    private volatile bool _refused;

    public SpiffeId Id => verified.Id;

    /// <summary>
    /// Whether the peer is still valid for a request now: its SVID chain has not expired, and it still verifies
    /// against the current bundle of its trust domain. The chain is verified again (at <paramref name="time"/>) only
    /// when that bundle has changed since the last check, so a request normally costs a compare with
    /// <paramref name="now"/> and two reference compares. Once refused, the connection stays refused.
    /// </summary>
    internal SpiffePeerValidity Check(IX509Source source, DateTimeOffset now, TimeProvider time)
    {
        if (_refused)
        {
            return SpiffePeerValidity.Revoked;
        }

        if (now >= verified.NotAfter)
        {
            _refused = true;
            return SpiffePeerValidity.Expired;
        }

        var context = source.Current;
        if (ReferenceEquals(context, Volatile.Read(ref _checkedContext)))
        {
            return SpiffePeerValidity.Valid;
        }

        var bundle = context?.Bundles.GetX509Bundle(verified.Id.TrustDomain);
        if (!ReferenceEquals(bundle, Volatile.Read(ref _checkedBundle)))
        {
            // Concurrent HTTP/2 requests may both verify; each reaches the same verdict.
            if (context is null || bundle is null || !verified.Reverify(context.Bundles, time))
            {
                _refused = true;
                return SpiffePeerValidity.Revoked;
            }

            Volatile.Write(ref _checkedBundle, bundle);
        }

        Volatile.Write(ref _checkedContext, context);
        return SpiffePeerValidity.Valid;
    }
}
