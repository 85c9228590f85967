using Mtls.Identity;
using Mtls.Telemetry;

namespace Mtls.Http;

/// <summary>
/// Who a client connection joins: the server's SPIFFE ID the handshake verified and the ID of the SVID we presented,
/// with their metric labels computed once per connection. Equal when both IDs are.
/// </summary>
internal sealed class SpiffeConnectionIdentity : IEquatable<SpiffeConnectionIdentity>
{
    internal SpiffeConnectionIdentity(SpiffeId server, SpiffeId? local, SpiffeIdLabels labels)
    {
        Server = server;
        Local = local;
        ServerLabel = labels.Label(server);
        LocalLabel = labels.Label(local);
    }

    internal SpiffeId Server { get; }

    internal SpiffeId? Local { get; }

    internal string? ServerLabel { get; }

    internal string? LocalLabel { get; }

    public bool Equals(SpiffeConnectionIdentity? other) =>
        other is not null && Server.Equals(other.Server) && Equals(Local, other.Local);

    public override bool Equals(object? obj) => obj is SpiffeConnectionIdentity other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Server, Local);
}
