using System.Net.Sockets;
using System.Runtime.InteropServices;
using Grpc.Core;
using Microsoft.AspNetCore.Connections.Features;
using Mtls.WorkloadApi;
using Mtls.WorkloadApi.Protocol;

namespace Mtls.Testing.WorkloadApi;

/// <summary>The gRPC service behind <see cref="WorkloadApiServer"/>: checks the security header, then streams its state.</summary>
internal sealed class WorkloadApiService(WorkloadApiServer server) : SpiffeWorkloadAPI.SpiffeWorkloadAPIBase
{
    public override async Task FetchX509SVID(X509SVIDRequest request, IServerStreamWriter<X509SVIDResponse> responseStream, ServerCallContext context)
    {
        var caller = Authenticate(context);
        server.StreamOpened();
        try
        {
            await StreamAsync(() => server.BuildX509Response(caller), responseStream, context, server.EndsX509StreamsAfterOneUpdate).ConfigureAwait(false);
        }
        finally
        {
            server.StreamClosed();
        }
    }

    public override Task FetchX509Bundles(X509BundlesRequest request, IServerStreamWriter<X509BundlesResponse> responseStream, ServerCallContext context)
    {
        var caller = Authenticate(context);
        return StreamAsync(() => server.BuildX509BundlesResponse(caller), responseStream, context);
    }

    public override Task FetchJWTBundles(JWTBundlesRequest request, IServerStreamWriter<JWTBundlesResponse> responseStream, ServerCallContext context)
    {
        var caller = Authenticate(context);
        return StreamAsync(() => server.BuildJwtBundlesResponse(caller), responseStream, context);
    }

    public override async Task<JWTSVIDResponse> FetchJWTSVID(JWTSVIDRequest request, ServerCallContext context)
    {
        var caller = Authenticate(context);
        await server.JwtSvidFetchArrived().WaitAsync(context.CancellationToken).ConfigureAwait(false);
        return server.BuildJwtResponse(caller, request);
    }

    public override Task<ValidateJWTSVIDResponse> ValidateJWTSVID(ValidateJWTSVIDRequest request, ServerCallContext context)
    {
        Authenticate(context);
        return Task.FromResult(server.Validate(request));
    }

    private static WorkloadApiCaller Authenticate(ServerCallContext context)
    {
        if (context.RequestHeaders.GetValue(WorkloadApiChannel.SecurityHeader) != "true")
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "security header missing from request"));
        }

        return PeerCredentials(context);
    }

    private static WorkloadApiCaller PeerCredentials(ServerCallContext context)
    {
        var socket = context.GetHttpContext().Features.Get<IConnectionSocketFeature>()?.Socket;
        if (socket is null || !OperatingSystem.IsLinux() || socket.AddressFamily != AddressFamily.Unix)
        {
            return new WorkloadApiCaller(null, null, null);
        }

        // struct ucred { pid_t pid; uid_t uid; gid_t gid; } from getsockopt(SOL_SOCKET = 1, SO_PEERCRED = 17).
        Span<byte> credentials = stackalloc byte[12];
        int length = socket.GetRawSocketOption(1, 17, credentials);
        if (length < 12)
        {
            return new WorkloadApiCaller(null, null, null);
        }

        var values = MemoryMarshal.Cast<byte, int>(credentials);
        return new WorkloadApiCaller(values[0], values[1], values[2]);
    }

    /// <summary>Sends the state, then again on every change, until the caller leaves or the server stops.</summary>
    private async Task StreamAsync<T>(Func<T> build, IServerStreamWriter<T> responseStream, ServerCallContext context, bool endAfterOneUpdate = false)
    {
        using var call = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, server.StoppingToken);
        try
        {
            while (!call.IsCancellationRequested)
            {
                // Taken before building, so a change made while this response is written is not missed.
                var changed = server.Changed;
                await responseStream.WriteAsync(build(), call.Token).ConfigureAwait(false);
                if (endAfterOneUpdate)
                {
                    throw new RpcException(new Status(StatusCode.Unavailable, "stream ended by the test after one update"));
                }

                await changed.WaitAsync(call.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "the agent is shutting down"));
        }
    }
}
