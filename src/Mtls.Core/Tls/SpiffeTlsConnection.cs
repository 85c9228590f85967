using System.Net.Security;
using Mtls.Identity;

namespace Mtls.Tls;

/// <summary>An authenticated SPIFFE mTLS connection: the stream to read and write, and the peer's verified SPIFFE ID.</summary>
public sealed class SpiffeTlsConnection : IAsyncDisposable, IDisposable
{
    internal SpiffeTlsConnection(SslStream stream, SpiffeId peerId)
    {
        Stream = stream;
        PeerId = peerId;
    }

    /// <summary>The authenticated stream; disposing the connection disposes it and the transport under it.</summary>
    public SslStream Stream { get; }

    /// <summary>The peer's SPIFFE ID, verified against the bundle of its trust domain and admitted by the authorizer.</summary>
    public SpiffeId PeerId { get; }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => Stream.DisposeAsync();

    /// <inheritdoc />
    public void Dispose() => Stream.Dispose();
}
