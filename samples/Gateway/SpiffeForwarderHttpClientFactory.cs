using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mtls.Http;
using Mtls.Sources;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway;

/// <summary>
/// YARP's client per cluster: a handler whose every connection is SPIFFE mTLS with the gateway's SVID, accepting
/// only backends that prove the cluster's <c>Metadata:SpiffeId</c>. Replaces YARP's default factory, so no cluster
/// can end up with a plain or host-name-TLS client.
/// </summary>
internal sealed class SpiffeForwarderHttpClientFactory(
    IX509Source source,
    IOptionsMonitor<SpiffeHttpClientOptions> connection,
    ILoggerFactory loggerFactory) : IForwarderHttpClientFactory
{
    public HttpMessageInvoker CreateClient(ForwarderHttpClientContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var authorizer = ClusterSpiffeId.AuthorizerFor(context.ClusterId, context.NewMetadata);
        if (context.OldClient is not null && context.NewConfig == context.OldConfig && SameSpiffeId(context))
        {
            // Keeps the cluster's pooled connections when nothing that decides them changed.
            return context.OldClient;
        }

        var handler = SpiffeHttpHandlerFactory.CreateSocketsHttpHandler(source, authorizer, connection.Get(SpiffeReverseProxyBuilderExtensions.ConnectionOptionsName), loggerFactory);

        // What YARP's own factory sets for forwarding: the client's cookies, redirects and encodings pass through
        // untouched, and the gateway's trace context replaces the caller's.
        handler.AllowAutoRedirect = false;
        handler.UseCookies = false;
        handler.AutomaticDecompression = System.Net.DecompressionMethods.None;
        handler.ActivityHeadersPropagator = new ReverseProxyPropagator(DistributedContextPropagator.Current);
        if (context.NewConfig.MaxConnectionsPerServer is int max)
        {
            handler.MaxConnectionsPerServer = max;
        }

        return new HttpMessageInvoker(handler, disposeHandler: true);
    }

    private static bool SameSpiffeId(ForwarderHttpClientContext context) =>
        context.OldMetadata is not null
        && context.OldMetadata.TryGetValue(ClusterSpiffeId.MetadataKey, out string? old)
        && context.NewMetadata!.TryGetValue(ClusterSpiffeId.MetadataKey, out string? now)
        && string.Equals(old, now, StringComparison.Ordinal);
}
