using CertManager;
using Mtls.Testing.Certificates;
using Shop;

// In the cluster (k8s/): one role per pod, identity from the files csi-driver-spiffe mounts, configured by the
// Deployment's environment: Spiffe__Source=Files, Spiffe__Files__Directory, Spiffe__Files__BundleFileName.
// --local: this process plays csi-driver-spiffe (issues, writes with the ..data swap, renews on a short TTL) and runs
// both roles, calling through them across renewals.
return await ShopProgram.RunAsync(args, RunLocalAsync);

static async Task<int> RunLocalAsync(ShopArguments arguments)
{
    Console.WriteLine("""
        DEMO ONLY: --local plays csi-driver-spiffe with the test kit's certificate authority (Mtls.Testing).
        In a cluster, cert-manager signs the SVIDs and csi-driver-spiffe mounts them (see README.md).
        """);
    var root = Directory.CreateTempSubdirectory("mtls-certmanager-");
    var local = new LocalShop(Console.Out);
    using var ca = TestCertificateAuthority.Create(ShopIds.TrustDomain);
    var driver = new SimulatedCsiDriver(ca, root.FullName, local);
    using var stop = new CancellationTokenSource();
    var renewals = driver.RunAsync(stop.Token);
    try
    {
        return await local.RunAsync(driver.Settings(ShopIds.Orders), driver.Settings(ShopIds.Frontend), TimeSpan.FromSeconds(arguments.Seconds));
    }
    finally
    {
        await stop.CancelAsync();
        await renewals;
        root.Delete(recursive: true);
    }
}
