using Mtls.Testing.Certificates;
using Mtls.Testing.Files;
using Shop;

namespace CertManager;

/// <summary>
/// FOR THE LOCAL MODE ONLY: what csi-driver-spiffe and trust-manager do in the cluster. One volume per workload
/// (<c>tls.crt</c>, <c>tls.key</c>, <c>ca.crt</c>, written with Kubernetes' <c>..data</c> symlink swap), renewed at
/// half of a short TTL, and the trust bundle in a volume of its own, as trust-manager's ConfigMap is mounted.
/// </summary>
internal sealed class SimulatedCsiDriver(TestCertificateAuthority ca, string root, LocalShop log)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RenewEvery = Ttl / 2;
    private readonly Dictionary<string, AtomicDirectoryWriter> _volumes = new()
    {
        [ShopIds.Orders] = new AtomicDirectoryWriter(Path.Combine(root, "orders", "spiffe.io")),
        [ShopIds.Frontend] = new AtomicDirectoryWriter(Path.Combine(root, "frontend", "spiffe.io")),
    };

    private readonly AtomicDirectoryWriter _bundle = new(Path.Combine(root, "spiffe-bundle"));

    /// <summary>The settings the Deployments of k8s/30-services.yaml give the workload, pointing at its volumes here.</summary>
    public Dictionary<string, string?> Settings(string spiffeId) => new()
    {
        ["Spiffe:Source"] = "Files",
        ["Spiffe:Files:Directory"] = _volumes[spiffeId].Directory,
        ["Spiffe:Files:BundleFileName"] = Path.Combine(_bundle.Directory, "ca.crt"),
        ["Spiffe:StartupTimeout"] = "00:00:10",
    };

    /// <summary>Writes the bundle and first SVIDs now, then renews the SVIDs until <paramref name="stop"/>.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        string root = ca.Root.ExportCertificatePem();
        _bundle.Write(new Dictionary<string, string> { ["ca.crt"] = root });
        Renew(root);
        using var pace = new PeriodicTimer(RenewEvery);
        try
        {
            while (await pace.WaitForNextTickAsync(stop))
            {
                Renew(root);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The run is over; the volumes are removed by the caller.
        }
    }

    private void Renew(string bundle)
    {
        var serials = new List<string>();
        foreach (var (id, volume) in _volumes)
        {
            var issued = ca.Issue(id, new SvidSpec { Ttl = Ttl });
            volume.Write(new Dictionary<string, string>
            {
                ["tls.crt"] = issued.CertificatesPem,
                ["tls.key"] = issued.PrivateKeyPem,
                ["ca.crt"] = bundle,
            });
            using var leaf = issued.LoadLeaf();
            serials.Add($"{id[(id.LastIndexOf('/') + 1)..]} {LocalShop.Abbreviate(leaf.SerialNumber)}");
        }

        log.Log($"csi-driver-spiffe (simulated): wrote new SVIDs (TTL {Ttl.TotalSeconds:0} s) by ..data swap: {string.Join(", ", serials)}");
    }
}
