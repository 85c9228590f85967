using System.Net.Sockets;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;

namespace Mtls.WorkloadApi;

/// <summary>
/// The gRPC channel to the agent: HTTP/2 without TLS (the endpoint must not require it) over a socket the handler's
/// ConnectCallback opens to the Unix socket or TCP endpoint, with keep-alive pings to notice a dead agent, and the
/// <c>workload.spiffe.io: true</c> header the standard requires on every call.
/// </summary>
internal static class WorkloadApiChannel
{
    internal const string SecurityHeader = "workload.spiffe.io";

    internal static GrpcChannel Create(WorkloadApiAddress address, WorkloadApiClientOptions options)
    {
        var endPoint = address.EndPoint;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, address.IsUnixSocket ? ProtocolType.Unspecified : ProtocolType.Tcp);
                try
                {
                    await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch (SocketException e)
                {
                    socket.Dispose();

                    // Otherwise the error names only the channel's placeholder authority (localhost:80).
                    throw new IOException($"cannot connect to the Workload API at {address} ({e.SocketErrorCode})", e);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            ConnectTimeout = options.ConnectTimeout,
            KeepAlivePingDelay = options.KeepAlivePingDelay,
            KeepAlivePingTimeout = options.KeepAlivePingTimeout,
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            EnableMultipleHttp2Connections = true,
            UseProxy = false,
            AllowAutoRedirect = false,
        };

        // The authority is never resolved: ConnectCallback decides where the bytes go.
        return GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = options.MaxReceiveMessageBytes,
        });
    }

    internal static CallInvoker CreateInvoker(GrpcChannel channel) => channel.Intercept(AddSecurityHeader);

    private static Metadata AddSecurityHeader(Metadata metadata)
    {
        metadata.Add(SecurityHeader, "true");
        return metadata;
    }
}
