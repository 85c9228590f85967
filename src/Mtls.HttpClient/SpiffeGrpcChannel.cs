using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Mtls.Authorization;
using Mtls.Sources;

namespace Mtls.Http;

/// <summary>
/// gRPC channels over SPIFFE mTLS for code without dependency injection; with IHttpClientFactory call
/// <c>AddGrpcClient&lt;T&gt;().AddSpiffeMtls(...)</c> instead.
/// </summary>
public static class SpiffeGrpcChannel
{
    /// <summary>
    /// A channel to <paramref name="address"/> (an https URI) whose connections present <paramref name="source"/>'s
    /// current SVID and accept only servers <paramref name="authorizer"/> allows. A refused server fails calls with
    /// an <see cref="Grpc.Core.RpcException"/> whose <see cref="Grpc.Core.Status.DebugException"/> is the
    /// <see cref="SpiffeAuthorizationException"/>.
    /// </summary>
    /// <param name="address">The server, e.g. <c>https://orders:8443</c>.</param>
    /// <param name="source">The workload's identity.</param>
    /// <param name="authorizer">Who the server must be.</param>
    /// <param name="channelOptions">Other channel settings; its handler and client must be unset (this sets the handler).</param>
    /// <param name="options">Connection settings.</param>
    /// <param name="loggerFactory">Logs refused servers; also given to the channel when it has none.</param>
    public static GrpcChannel ForAddress(
        string address,
        IX509Source source,
        Authorizer authorizer,
        GrpcChannelOptions? channelOptions = null,
        SpiffeHttpClientOptions? options = null,
        ILoggerFactory? loggerFactory = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        channelOptions ??= new GrpcChannelOptions();
        if (channelOptions.HttpHandler is not null || channelOptions.HttpClient is not null)
        {
            throw new ArgumentException("the channel's HttpHandler and HttpClient must be unset: the SPIFFE handler replaces them", nameof(channelOptions));
        }

        channelOptions.HttpHandler = SpiffeHttpHandlerFactory.Create(source, authorizer, options, loggerFactory);
        channelOptions.DisposeHttpClient = true;
        channelOptions.LoggerFactory ??= loggerFactory;
        return GrpcChannel.ForAddress(address, channelOptions);
    }
}
