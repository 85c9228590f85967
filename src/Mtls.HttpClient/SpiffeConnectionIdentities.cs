using System.Collections.Concurrent;
using System.Net.Security;
using Mtls.Telemetry;
using Mtls.Tls;

namespace Mtls.Http;

/// <summary>
/// The identities of one <see cref="SocketsHttpHandler"/>'s connections, per origin: its plaintext filter counts each
/// connection from the handshake until the handler disposes it, and <see cref="SpiffeTelemetryHandler"/> reads them to
/// put the verified server ID (and our own) on the request's metric and span.
/// </summary>
internal sealed class SpiffeConnectionIdentities
{
    /// <summary>Origins tracked per handler; requests to further origins carry no identities (host names come from callers).</summary>
    internal const int MaxOrigins = 256;

    private const string PropertyKey = "Mtls.ConnectionIdentities";

    private readonly ConcurrentDictionary<(string Host, int Port), SpiffeOriginConnections> _origins = new();

    internal SpiffeConnectionIdentities(SpiffeIdLabels labels) => Labels = labels;

    internal SpiffeIdLabels Labels { get; }

    /// <summary>The identities <paramref name="handler"/>'s connections report to, when telemetry is on for it.</summary>
    internal static SpiffeConnectionIdentities? Of(HttpMessageHandler? handler) =>
        handler is SocketsHttpHandler sockets && sockets.Properties.TryGetValue(PropertyKey, out var value) ? value as SpiffeConnectionIdentities : null;

    /// <summary>Counts <paramref name="handler"/>'s connections here from now on.</summary>
    internal void Attach(SocketsHttpHandler handler)
    {
        handler.Properties[PropertyKey] = this;
        handler.PlaintextStreamFilter = Track;
    }

    /// <summary>The connections to <paramref name="uri"/>'s origin, created on first use; null past <see cref="MaxOrigins"/>.</summary>
    internal SpiffeOriginConnections? For(Uri? uri)
    {
        if (uri is not { IsAbsoluteUri: true })
        {
            return null;
        }

        var key = (uri.IdnHost, uri.Port);
        if (_origins.TryGetValue(key, out var origin))
        {
            return origin;
        }

        return _origins.Count < MaxOrigins ? _origins.GetOrAdd(key, static _ => new SpiffeOriginConnections()) : null;
    }

    /// <summary>The handler's plaintext filter: every connection, HTTP/1.1 or HTTP/2, passes here once after its handshake.</summary>
    private ValueTask<Stream> Track(SocketsHttpPlaintextStreamFilterContext context, CancellationToken cancellationToken)
    {
        var stream = context.PlaintextStream;
        if (stream is SslStream tls
            && tls.GetSpiffePeerId() is { } server
            && For(context.InitialRequestMessage.RequestUri) is { } origin)
        {
            var identity = new SpiffeConnectionIdentity(server, Labels.LocalId(tls.LocalCertificate), Labels);
            origin.Open(identity);
            return ValueTask.FromResult<Stream>(new TrackedConnectionStream(tls, () => origin.Close(identity)));
        }

        return ValueTask.FromResult(stream);
    }
}
