using Grpc.Core;
using Mtls.Sources;

namespace Mtls.Http;

/// <summary>
/// gRPC call credentials carrying this workload's JWT-SVID (<c>authorization: Bearer</c> metadata), for channels built
/// without IHttpClientFactory; with it, <c>AddGrpcClient&lt;T&gt;().AddSpiffeJwt(audience)</c> does the same.
/// </summary>
public static class SpiffeJwtCallCredentials
{
    /// <summary>
    /// Credentials that attach a JWT-SVID for <paramref name="audience"/> from <paramref name="source"/>, reused until
    /// part of its lifetime has passed. Only over TLS: a call to an <c>http://</c> service is refused before it is sent
    /// (<see cref="SpiffeJwtPlaintextException"/> as the <see cref="RpcException"/>'s debug exception) unless its host
    /// is named in <see cref="SpiffeJwtClientOptions.PlaintextHosts"/>; grpc-dotnet itself sends call credentials over
    /// an insecure channel only when <c>UnsafeUseInsecureChannelCallCredentials</c> is set as well.
    /// </summary>
    /// <example><c>GrpcChannel.ForAddress(url, new() { HttpHandler = ..., Credentials = ChannelCredentials.Create(ChannelCredentials.SecureSsl, SpiffeJwtCallCredentials.Create(jwtSource, "orders")) })</c></example>
    public static CallCredentials Create(IJwtSvidSource source, string audience, SpiffeJwtClientOptions? options = null, TimeProvider? time = null)
    {
        var cache = new JwtSvidCache(source, audience, options ?? new SpiffeJwtClientOptions(), time);
        return CallCredentials.FromInterceptor(async (context, metadata) =>
        {
            cache.CheckDestination(Uri.TryCreate(context.ServiceUrl, UriKind.Absolute, out var url) ? url : null);
            metadata.Add("authorization", "Bearer " + await cache.GetTokenAsync(context.CancellationToken).ConfigureAwait(false));
        });
    }
}
