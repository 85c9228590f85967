using Demo;
using Federation;
using Mtls.Bundles;
using Mtls.Http;
using Mtls.Identity;
using Mtls.Testing.Certificates;

// Two trust domains ("clusters") on one machine, each with its own CA and its own bundle endpoint, federated by
// configuration only: a.example fetches b.example's bundle over https_web, b.example fetches a.example's over
// https_spiffe from a.example's mTLS port. Exit code 0 when every step behaved as expected.
const string Orders = "spiffe://a.example/ns/shop/sa/orders";
const string Inventory = "spiffe://b.example/ns/stock/sa/inventory";

Console.WriteLine("""
    ================================================================================
     Mtls federation demo: two trust domains, each publishing its bundle at a SPIFFE
     bundle endpoint and fetching the other's. DEMO ONLY: the CAs are the embedded
     test kit (Mtls.Testing) and the Web PKI is a throwaway root trusted explicitly;
     in production identities come from SPIRE or cert-manager.
    ================================================================================
    """);

var transcript = new Transcript(Console.Out);
var a = TrustDomain.Parse("a.example");
var b = TrustDomain.Parse("b.example");
using var web = new WebPki();
using var caA = TestCertificateAuthority.Create(a);
using var caB = TestCertificateAuthority.Create(b);
using var nextCaB = TestCertificateAuthority.Create(b);
int aWebPort = Cluster.FreePort();
int bWebPort = Cluster.FreePort();

// What an operator hands over out of band for https_spiffe: a.example's bundle, as its endpoint serves it.
string aInitialBundle = web.FilePath("a.example.bundle.json");
await File.WriteAllTextAsync(aInitialBundle, new SpiffeBundle(a, [caA.Root], []).ToJson());

await using var clusterA = await Cluster.StartAsync(caA, Orders, web.ServerCertificate, aWebPort, new()
{
    ["Spiffe:TrustDomain"] = "a.example",
    ["Spiffe:Federation:MinRefreshInterval"] = "00:00:01",
    ["Spiffe:Federation:RetryDelay"] = "00:00:00.200",
    ["Spiffe:Federation:TrustDomains:0:TrustDomain"] = "b.example",
    ["Spiffe:Federation:TrustDomains:0:BundleEndpointUrl"] = $"https://127.0.0.1:{bWebPort}/bundle",
    ["Spiffe:Federation:TrustDomains:0:Profile"] = "HttpsWeb",
    ["Spiffe:Federation:TrustDomains:0:WebRootsFile"] = web.RootFile,
}, callerTrustDomain: "b.example");
await using var clusterB = await Cluster.StartAsync(caB, Inventory, web.ServerCertificate, bWebPort, new()
{
    ["Spiffe:TrustDomain"] = "b.example",
    ["Spiffe:Federation:MinRefreshInterval"] = "00:00:01",
    ["Spiffe:Federation:RetryDelay"] = "00:00:00.200",
    ["Spiffe:Federation:TrustDomains:0:TrustDomain"] = "a.example",
    ["Spiffe:Federation:TrustDomains:0:BundleEndpointUrl"] = clusterA.SpiffeBundleUrl.ToString(),
    ["Spiffe:Federation:TrustDomains:0:Profile"] = "HttpsSpiffe",
    ["Spiffe:Federation:TrustDomains:0:EndpointSpiffeId"] = Orders,
    ["Spiffe:Federation:TrustDomains:0:InitialBundleFile"] = aInitialBundle,
}, callerTrustDomain: "a.example");
transcript.Note($"a.example: {Orders} at {clusterA.Address}; bundle endpoints {clusterA.SpiffeBundleUrl} (https_spiffe) and {clusterA.WebBundleUrl} (https_web)");
transcript.Note($"b.example: {Inventory} at {clusterB.Address}; bundle endpoints {clusterB.SpiffeBundleUrl} (https_spiffe) and {clusterB.WebBundleUrl} (https_web)");
Console.WriteLine();

await transcript.StepAsync("a.example fetches b.example's bundle (https_web) and its orders service calls b.example's inventory over mTLS", async cancel =>
{
    await clusterA.WaitForBundleAsync(b, bundle => bundle.Contains(caB.Root), cancel);
    string answer = await clusterA.CallAsync(new Uri(clusterB.Address, "/hello"), Inventory, cancel);
    return (answer == $"{Inventory} answers {Orders}", $"inventory said: \"{answer}\" (verified against b.example's fetched bundle only)");
});

await transcript.StepAsync("b.example fetches a.example's bundle (https_spiffe, endpoint ID checked) and calls back", async cancel =>
{
    // The initial bundle trusts a.example already; health turns Healthy once a fetch has confirmed it.
    string health = await clusterB.WaitForFederationHealthyAsync(cancel);
    string answer = await clusterB.CallAsync(new Uri(clusterA.Address, "/hello"), Orders, cancel);
    return (answer == $"{Orders} answers {Inventory}", $"b.example's federation health: {health}; orders said: \"{answer}\"");
});

await transcript.StepAsync("b.example rotates its CA: new root published beside the old, services move, calls keep working", async cancel =>
{
    var svid = caB.IssueSvid(Inventory);
    clusterB.Identity.Update(svid, new X509BundleSet([caB.CreateBundle().WithAuthority(nextCaB.Root)]));
    await clusterA.WaitForBundleAsync(b, bundle => bundle.Contains(nextCaB.Root), cancel);
    clusterB.Identity.Update(nextCaB.IssueSvid(Inventory), new X509BundleSet([caB.CreateBundle().WithAuthority(nextCaB.Root)]));
    string answer = await clusterA.CallAsync(new Uri(clusterB.Address, "/hello"), Inventory, cancel);
    return (answer.StartsWith(Inventory, StringComparison.Ordinal), $"a.example now trusts both roots of b.example; inventory, on its new-CA SVID, said: \"{answer}\"; nothing restarted");
});

await transcript.StepAsync("b.example withdraws the old root: a.example stops accepting SVIDs of the old CA", async cancel =>
{
    var current = clusterB.Identity.GetX509Svid();
    clusterB.Identity.Update(current, new X509BundleSet([nextCaB.CreateBundle()]));
    await clusterA.WaitForBundleAsync(b, bundle => !bundle.Contains(caB.Root), cancel);
    clusterB.Identity.Update(caB.IssueSvid(Inventory), new X509BundleSet([nextCaB.CreateBundle()]));
    try
    {
        await clusterA.CallAsync(new Uri(clusterB.Address, "/hello"), Inventory, cancel);
        return (false, "a server on an SVID of the withdrawn CA was accepted");
    }
    catch (SpiffeAuthorizationException e)
    {
        return (true, $"refused at the handshake: {e.Message}");
    }
});

Console.WriteLine();
Console.WriteLine(transcript.Failures == 0
    ? "All steps behaved as expected."
    : $"{transcript.Failures} step(s) did not behave as expected.");
return transcript.Failures == 0 ? 0 : 1;
