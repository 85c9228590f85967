using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Mtls.AspNetCore;
using Mtls.Http;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;

namespace Gateway;

/// <summary>Makes a YARP reverse proxy forward over SPIFFE mTLS.</summary>
public static class SpiffeReverseProxyBuilderExtensions
{
    /// <summary>The name of the <see cref="SpiffeHttpClientOptions"/> the gateway's backend connections use.</summary>
    public const string ConnectionOptionsName = "Gateway";

    /// <summary>
    /// Every cluster forwards over SPIFFE mTLS with the gateway's SVID (the identity source of <c>AddSpiffeMtls</c> or
    /// <c>AddSpiffeX509Source</c>) and accepts only backends that prove the cluster's <c>Metadata:SpiffeId</c>; a
    /// cluster without one, or with a destination that is not https, stops startup (or, on a reload, is refused while
    /// the last good configuration stays). Each forwarded request carries the caller's verified SPIFFE ID in
    /// <see cref="ForwardedCaller.HeaderName"/>, replacing anything the client sent there.
    /// </summary>
    public static IReverseProxyBuilder AddSpiffeForwarding(this IReverseProxyBuilder builder, Action<SpiffeHttpClientOptions>? connection = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<SpiffeHttpClientOptions>(ConnectionOptionsName);
        if (connection is not null)
        {
            services.Configure(ConnectionOptionsName, connection);
        }

        services.Replace(ServiceDescriptor.Singleton<IForwarderHttpClientFactory, SpiffeForwarderHttpClientFactory>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IProxyConfigFilter, SpiffeClusterValidator>());
        builder.AddTransforms(context => context.AddRequestTransform(transform =>
        {
            // Headers were copied from the client before this runs: whatever it wrote here is dropped.
            var headers = transform.ProxyRequest.Headers;
            headers.Remove(ForwardedCaller.HeaderName);
            if (transform.HttpContext.GetPeerSpiffeId() is { } caller)
            {
                headers.TryAddWithoutValidation(ForwardedCaller.HeaderName, caller.ToString());
            }

            return ValueTask.CompletedTask;
        }));
        return builder;
    }
}
