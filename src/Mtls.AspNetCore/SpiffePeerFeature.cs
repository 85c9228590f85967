using Mtls.Identity;

namespace Mtls.AspNetCore;

internal sealed class SpiffePeerFeature(SpiffeId id) : ISpiffePeerFeature
{
    public SpiffeId Id { get; } = id;
}
