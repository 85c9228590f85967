using YamlDotNet.RepresentationModel;

namespace Mtls.Samples.Tests;

public sealed class ManifestTests
{
    // Resource kinds of Kubernetes, cert-manager, approver-policy, trust-manager, SPIRE and the CSI drivers that the
    // samples may use, by apiVersion. A typo in either is caught here before anyone applies the manifests.
    private static readonly Dictionary<string, string[]> KnownKinds = new()
    {
        ["v1"] = ["Namespace", "ServiceAccount", "Service", "ConfigMap"],
        ["apps/v1"] = ["Deployment", "StatefulSet", "DaemonSet"],
        ["rbac.authorization.k8s.io/v1"] = ["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"],
        ["storage.k8s.io/v1"] = ["CSIDriver"],
        ["cert-manager.io/v1"] = ["Issuer", "ClusterIssuer", "Certificate"],
        ["policy.cert-manager.io/v1alpha1"] = ["CertificateRequestPolicy"],
        ["trust.cert-manager.io/v1alpha1"] = ["Bundle"],
        ["spire.spiffe.io/v1alpha1"] = ["ClusterSPIFFEID", "ClusterFederatedTrustDomain", "ClusterStaticEntry"],
    };

    public static TheoryData<string> Manifests()
    {
        var data = new TheoryData<string>();
        foreach (string file in Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, "samples"), "*.yaml", SearchOption.AllDirectories).Order())
        {
            data.Add(Path.GetRelativePath(RepositoryPaths.Root, file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Manifests))]
    public void Every_document_parses_and_names_a_known_kind(string file)
    {
        var documents = Load(file);

        Assert.NotEmpty(documents);
        foreach (var document in documents)
        {
            string apiVersion = Scalar(document, "apiVersion");
            string kind = Scalar(document, "kind");
            Assert.True(KnownKinds.TryGetValue(apiVersion, out var kinds), $"{file}: unknown apiVersion {apiVersion}");
            Assert.Contains(kind, kinds!);
            Assert.False(string.IsNullOrEmpty(Scalar(document, "metadata", "name")), $"{file}: {kind} without metadata.name");
        }
    }

    [Fact]
    public void Cert_manager_sample_mounts_csi_driver_spiffe_and_the_trust_manager_bundle()
    {
        var documents = LoadAll("samples/CertManager/k8s");

        var deployments = OfKind(documents, "Deployment").ToList();
        Assert.Equal(2, deployments.Count);
        foreach (var deployment in deployments)
        {
            var volumes = Sequence(deployment, "spec", "template", "spec", "volumes");
            Assert.Contains(volumes, v => TryScalar(v, "csi", "driver") == "spiffe.csi.cert-manager.io");
            Assert.Contains(volumes, v => TryScalar(v, "configMap", "name") == "spiffe-trust-bundle");
        }

        var bundle = Assert.Single(OfKind(documents, "Bundle"));
        Assert.Equal("csi-driver-spiffe-ca", Scalar(Sequence(bundle, "spec", "sources")[0], "secret", "name"));
        Assert.Equal("ca.crt", Scalar(bundle, "spec", "target", "configMap", "key"));
        var issuer = OfKind(documents, "ClusterIssuer").Single(i => Scalar(i, "metadata", "name") == "csi-driver-spiffe-ca");
        Assert.Equal("csi-driver-spiffe-ca", Scalar(issuer, "spec", "ca", "secretName"));
        var root = Assert.Single(OfKind(documents, "Certificate"));
        Assert.Equal("true", Scalar(root, "spec", "isCA"));
    }

    [Fact]
    public void Spire_sample_registers_workloads_and_mounts_the_workload_api_socket()
    {
        var documents = LoadAll("samples/Spire/k8s");

        var entry = Assert.Single(OfKind(documents, "ClusterSPIFFEID"));
        Assert.StartsWith("spiffe://{{ .TrustDomain }}/ns/", Scalar(entry, "spec", "spiffeIDTemplate"), StringComparison.Ordinal);
        Assert.Single(OfKind(documents, "CSIDriver"), d => Scalar(d, "metadata", "name") == "csi.spiffe.io");
        Assert.Single(OfKind(documents, "StatefulSet"), s => Scalar(s, "metadata", "name") == "spire-server");
        Assert.Single(OfKind(documents, "DaemonSet"), s => Scalar(s, "metadata", "name") == "spire-agent");
        foreach (var deployment in OfKind(documents, "Deployment"))
        {
            var volumes = Sequence(deployment, "spec", "template", "spec", "volumes");
            Assert.Contains(volumes, v => TryScalar(v, "csi", "driver") == "csi.spiffe.io");
            var container = Sequence(deployment, "spec", "template", "spec", "containers")[0];
            var env = Sequence(container, "env");
            Assert.Contains(env, e => TryScalar(e, "name") == "SPIFFE_ENDPOINT_SOCKET" && TryScalar(e, "value")!.StartsWith("unix:///", StringComparison.Ordinal));
        }
    }

    private static List<YamlMappingNode> LoadAll(string relativeDirectory) =>
        Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, relativeDirectory), "*.yaml")
            .SelectMany(f => Load(Path.GetRelativePath(RepositoryPaths.Root, f)))
            .ToList();

    private static List<YamlMappingNode> Load(string relativeFile)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(Path.Combine(RepositoryPaths.Root, relativeFile));
        stream.Load(reader);
        return stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>().ToList();
    }

    private static IEnumerable<YamlMappingNode> OfKind(IEnumerable<YamlMappingNode> documents, string kind) =>
        documents.Where(d => TryScalar(d, "kind") == kind);

    private static string Scalar(YamlNode node, params string[] path) =>
        TryScalar(node, path) ?? throw new Xunit.Sdk.XunitException($"missing {string.Join('.', path)}");

    private static string? TryScalar(YamlNode node, params string[] path) => Walk(node, path) is YamlScalarNode scalar ? scalar.Value : null;

    private static List<YamlNode> Sequence(YamlNode node, params string[] path) =>
        Walk(node, path) is YamlSequenceNode sequence ? [.. sequence.Children] : throw new Xunit.Sdk.XunitException($"missing list {string.Join('.', path)}");

    private static YamlNode? Walk(YamlNode node, string[] path)
    {
        YamlNode? current = node;
        foreach (string key in path)
        {
            if (current is not YamlMappingNode mapping || !mapping.Children.TryGetValue(new YamlScalarNode(key), out current))
            {
                return null;
            }
        }

        return current;
    }
}
