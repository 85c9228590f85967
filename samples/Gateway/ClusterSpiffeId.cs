using Mtls.Authorization;
using Mtls.Identity;
using Yarp.ReverseProxy.Configuration;

namespace Gateway;

/// <summary>
/// The SPIFFE ID a cluster's backends must prove, from the cluster's <c>Metadata:SpiffeId</c>. There is no default:
/// a cluster without one could only be reached by host-name TLS or plain HTTP, which is what the gateway exists to
/// replace, so it is an error naming the cluster.
/// </summary>
internal static class ClusterSpiffeId
{
    /// <summary>The metadata key, e.g. <c>"Metadata": { "SpiffeId": "spiffe://example.org/orders" }</c>.</summary>
    internal const string MetadataKey = "SpiffeId";

    /// <summary>The authorizer for the cluster's backends.</summary>
    /// <exception cref="InvalidOperationException">The cluster has no SPIFFE ID, or not a valid one.</exception>
    internal static Authorizer AuthorizerFor(string clusterId, IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is null || !metadata.TryGetValue(MetadataKey, out string? value) || string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidOperationException(
                $"cluster '{clusterId}' has no Metadata:{MetadataKey}: every cluster must name the SPIFFE ID its backends prove (e.g. spiffe://example.org/orders); the gateway never forwards over plain HTTP or host-name TLS");
        }

        return SpiffeId.TryParse(value, out var id)
            ? Authorizer.Id(id)
            : throw new InvalidOperationException($"cluster '{clusterId}' has Metadata:{MetadataKey} '{value}', which is not a SPIFFE ID (spiffe://trust-domain/path)");
    }

    /// <summary>Checks what the gateway needs of a cluster before it takes the configuration.</summary>
    /// <exception cref="InvalidOperationException">No valid SPIFFE ID, a destination that is not https, or TLS settings the gateway does not honour.</exception>
    internal static void Validate(ClusterConfig cluster)
    {
        AuthorizerFor(cluster.ClusterId, cluster.Metadata);
        foreach (var (name, destination) in cluster.Destinations ?? new Dictionary<string, DestinationConfig>())
        {
            if (!Uri.TryCreate(destination.Address, UriKind.Absolute, out var address) || address.Scheme != Uri.UriSchemeHttps)
            {
                throw new InvalidOperationException(
                    $"cluster '{cluster.ClusterId}' destination '{name}' has address '{destination.Address}': destinations must be https (the gateway speaks SPIFFE mTLS to every backend)");
            }
        }

        // The SVID, the bundle and the cluster's SPIFFE ID decide trust; a switch to turn that off is refused rather than ignored.
        if (cluster.HttpClient?.DangerousAcceptAnyServerCertificate == true)
        {
            throw new InvalidOperationException(
                $"cluster '{cluster.ClusterId}' sets HttpClient:DangerousAcceptAnyServerCertificate: backends are verified by their SPIFFE ID, never accepted blindly");
        }
    }
}
