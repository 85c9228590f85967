namespace Shop;

/// <summary>
/// The workloads' SPIFFE IDs: what csi-driver-spiffe and the ClusterSPIFFEID of the Kubernetes manifests give the
/// service accounts of the shop namespace (spiffe://cluster.local/ns/shop/sa/...).
/// </summary>
public static class ShopIds
{
    public const string TrustDomain = "cluster.local";
    public const string Orders = "spiffe://cluster.local/ns/shop/sa/orders";
    public const string Frontend = "spiffe://cluster.local/ns/shop/sa/frontend";
}
