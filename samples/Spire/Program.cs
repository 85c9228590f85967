using Mtls.Testing.Certificates;
using Mtls.Testing.WorkloadApi;
using Shop;

// In the cluster (k8s/): one role per pod, identity from the SPIRE agent's Workload API at SPIFFE_ENDPOINT_SOCKET
// (mounted by the SPIFFE CSI driver). --local: the test kit's Workload API plays one SPIRE agent per workload, rotating
// short-lived SVIDs, and both roles run here.
return await ShopProgram.RunAsync(args, RunLocalAsync);

static async Task<int> RunLocalAsync(ShopArguments arguments)
{
    Console.WriteLine("""
        DEMO ONLY: --local plays the SPIRE agents with the test kit's Workload API and certificate authority
        (Mtls.Testing). In a cluster, SPIRE issues the SVIDs (see README.md).
        """);
    using var ca = TestCertificateAuthority.Create(ShopIds.TrustDomain);
    var agentOptions = new WorkloadApiServerOptions { SvidTtl = TimeSpan.FromSeconds(10), RotationInterval = TimeSpan.FromSeconds(5) };
    await using var ordersAgent = new WorkloadApiServer(agentOptions);
    await using var frontendAgent = new WorkloadApiServer(agentOptions);
    foreach (var (agent, id) in new[] { (ordersAgent, ShopIds.Orders), (frontendAgent, ShopIds.Frontend) })
    {
        agent.AddTrustDomain(ca);
        agent.SetIdentities(id);
        await agent.StartAsync();
    }

    var local = new LocalShop(Console.Out);
    local.Log($"Workload API agents: orders {ordersAgent.Address}, frontend {frontendAgent.Address}; SVID TTL 10 s, rotated every 5 s");
    // Both roles share this process and so its environment: the address goes in through configuration, not
    // SPIFFE_ENDPOINT_SOCKET as in the cluster.
    return await local.RunAsync(Settings(ordersAgent), Settings(frontendAgent), TimeSpan.FromSeconds(arguments.Seconds));

    static Dictionary<string, string?> Settings(WorkloadApiServer agent) => new()
    {
        ["Spiffe:EndpointSocket"] = agent.Address,
        ["Spiffe:StartupTimeout"] = "00:00:10",
    };
}
