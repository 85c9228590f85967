using Yarp.ReverseProxy.Configuration;

namespace Gateway;

/// <summary>
/// Runs on every load of the proxy configuration: a cluster the gateway cannot reach over SPIFFE mTLS stops startup,
/// and on a reload YARP logs the error and keeps the last good configuration.
/// </summary>
internal sealed class SpiffeClusterValidator : IProxyConfigFilter
{
    public ValueTask<ClusterConfig> ConfigureClusterAsync(ClusterConfig cluster, CancellationToken cancel)
    {
        ClusterSpiffeId.Validate(cluster);
        return ValueTask.FromResult(cluster);
    }

    public ValueTask<RouteConfig> ConfigureRouteAsync(RouteConfig route, ClusterConfig? cluster, CancellationToken cancel) =>
        ValueTask.FromResult(route);
}
