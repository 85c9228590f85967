using System.Net.Security;
using System.Runtime.CompilerServices;
using Mtls.Identity;

namespace Mtls.Tls;

/// <summary>
/// Why a handshake's validation callback refused its peer, kept with the <see cref="SslStream"/> (the callback's
/// sender) so that whoever runs the handshake can turn SslStream's generic failure into a typed
/// <see cref="SpiffePeerRefusedException"/>. Keyed by stream, because one options object serves every handshake.
/// </summary>
internal sealed record RefusedPeer(PeerVerificationFailure Failure, SpiffeId? Id, bool ChainFromMemory)
{
    private static readonly ConditionalWeakTable<SslStream, RefusedPeer> Refusals = [];

    internal static RefusedPeer? Of(SslStream stream) => Refusals.TryGetValue(stream, out var refused) ? refused : null;

    internal static void Record(object? sender, PeerVerificationFailure failure, SpiffeId? id, bool chainFromMemory = false)
    {
        if (sender is SslStream stream)
        {
            Refusals.AddOrUpdate(stream, new RefusedPeer(failure, id, chainFromMemory));
        }
    }
}
