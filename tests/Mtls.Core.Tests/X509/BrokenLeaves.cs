using System.Security.Cryptography.X509Certificates;
using Mtls.Testing.Certificates;
using Mtls.X509;

namespace Mtls.Core.Tests.X509;

/// <summary>One leaf specification per X509-SVID leaf rule broken, shared by the loading and verification tests.</summary>
internal static class BrokenLeaves
{
    internal const string Id = "spiffe://example.org/web";

    private static readonly Dictionary<string, (SvidSpec Spec, X509SvidRule Rule)> Cases = new()
    {
        ["ca_true_leaf"] = (new SvidSpec { IsCa = true }, X509SvidRule.LeafIsCa),
        ["key_cert_sign_leaf"] = (new SvidSpec { KeyUsage = X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign }, X509SvidRule.LeafHasKeyCertSign),
        ["crl_sign_leaf"] = (new SvidSpec { KeyUsage = X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.CrlSign }, X509SvidRule.LeafHasCrlSign),
        ["no_digital_signature"] = (new SvidSpec { KeyUsage = X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.KeyAgreement }, X509SvidRule.LeafMissingDigitalSignature),
        ["no_key_usage_extension"] = (new SvidSpec { IncludeKeyUsage = false }, X509SvidRule.LeafMissingDigitalSignature),
        ["zero_uri_sans"] = (new SvidSpec { UriSans = [], DnsNames = ["web.example.org"] }, X509SvidRule.NoUriSan),
        ["two_uri_sans"] = (new SvidSpec { UriSans = [Id, "spiffe://example.org/api"] }, X509SvidRule.MultipleUriSans),
        ["non_spiffe_uri"] = (new SvidSpec { UriSans = ["https://example.org/web"] }, X509SvidRule.InvalidSpiffeId),
        ["invalid_spiffe_id"] = (new SvidSpec { UriSans = ["spiffe://Example.org/web"] }, X509SvidRule.InvalidSpiffeId),
        ["root_path_id"] = (new SvidSpec { UriSans = ["spiffe://example.org"] }, X509SvidRule.RootPathId),
        ["empty_subject_non_critical_san"] = (new SvidSpec { Subject = "", SanCritical = false }, X509SvidRule.NonCriticalSanWithEmptySubject),
    };

    /// <summary>The case names, for <c>[MemberData]</c>.</summary>
    public static TheoryData<string> Names => [.. Cases.Keys];

    internal static IssuedSvid Issue(TestCertificateAuthority ca, string name) => ca.Issue(Id, Cases[name].Spec);

    internal static X509SvidRule ExpectedRule(string name) => Cases[name].Rule;
}
