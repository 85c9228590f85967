using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.X509;

namespace Mtls.Cli.Commands;

/// <summary>
/// <c>mtls inspect FILE</c>: what a file is (an X509-SVID chain, a set of CA certificates, a SPIFFE bundle) and whether
/// it is valid; when it is not, the rule it breaks, as Mtls itself would report it (<see cref="X509SvidRule"/>,
/// <see cref="BundleFormatRule"/>). An SVID's chain is verified with <c>--bundle</c>, its key checked with <c>--key</c>.
/// </summary>
internal static class InspectCommand
{
    /// <summary>Files larger than this are not read: no certificate chain or bundle comes near it.</summary>
    internal const int MaxFileBytes = 16 * 1024 * 1024;

    internal static Command Create(CliEnvironment environment)
    {
        var file = new Argument<string>("file") { Description = "a certificate chain (PEM or DER), CA certificates, or a SPIFFE bundle (JSON)" };
        var key = new Option<string?>("--key") { Description = "the SVID's private key (PEM): checked against the leaf" };
        var bundle = new Option<string?>("--bundle") { Description = "CA certificates (PEM) or a SPIFFE bundle of the SVID's trust domain: verify the chain" };
        var trustDomain = new Option<string?>("--trust-domain") { Description = "for a SPIFFE bundle file: the trust domain it belongs to" };
        var command = new Command("inspect", "Is this file a valid X509-SVID or bundle? If not, which rule does it break (exit 1)?") { file, key, bundle, trustDomain };
        environment.SetAction(command, CliEnvironment.JsonOption(), (parse, output, _) =>
        {
            string path = parse.GetValue(file)!;
            byte[] content = Read(path);
            var report = new InspectReport(path);
            if (LooksLikeJson(content))
            {
                InspectSpiffeBundle(report, content, parse.GetValue(trustDomain));
            }
            else
            {
                var certificates = LoadCertificates(content);
                if (certificates.Count == 0)
                {
                    report.Fail("not a certificate or bundle", X509SvidRule.MalformedCertificate.ToString(), "no PEM or DER certificate, and not JSON");
                }
                else if (IsAuthority(certificates[0]))
                {
                    InspectAuthorities(report, certificates, environment.Time.GetUtcNow());
                }
                else
                {
                    InspectSvid(report, path, certificates, parse.GetValue(key), parse.GetValue(bundle), environment.Time);
                }
            }

            report.Print(output);
            return Task.FromResult(report.IsValid ? ExitCodes.Ok : ExitCodes.Invalid);
        });
        return command;
    }

    /// <summary>
    /// A CA certificate that carries no workload ID: read as a bundle. A CA with a workload ID (a path) is read as a
    /// broken SVID, so that the rule it breaks (<see cref="X509SvidRule.LeafIsCa"/>) is the one reported.
    /// </summary>
    private static bool IsAuthority(X509Certificate2 first) =>
        CertificateText.IsCa(first)
        && SvidCertificateRules.CheckLeaf(first, out _)?.Rule is X509SvidRule.NoUriSan or X509SvidRule.MultipleUriSans or X509SvidRule.InvalidSpiffeId or X509SvidRule.RootPathId;

    private static void InspectSvid(InspectReport report, string path, X509Certificate2Collection certificates, string? keyPath, string? bundlePath, TimeProvider time)
    {
        var leaf = certificates[0];
        var intermediates = certificates.Skip(1).ToList();
        report.Kind = "X509-SVID";
        report.Certificates.AddRange(certificates);

        var leafError = SvidCertificateRules.CheckLeaf(leaf, out var id);
        if (leafError is not null)
        {
            report.Fail("not a valid X509-SVID", leafError.Rule.ToString(), leafError.Message);
            return;
        }

        report.Id = id!.ToString();
        foreach (var intermediate in intermediates)
        {
            if (SvidCertificateRules.CheckSigning(intermediate) is { } signingError)
            {
                report.Fail("not a valid X509-SVID", signingError.Rule.ToString(), signingError.Message);
                return;
            }
        }

        var now = time.GetUtcNow();
        foreach (var certificate in certificates)
        {
            if (now >= certificate.NotAfter.ToUniversalTime())
            {
                report.Fail("not a valid X509-SVID", X509SvidRule.Expired.ToString(), $"'{CertificateText.Subject(certificate)}' expired at {CertificateText.Time(certificate.NotAfter.ToUniversalTime())}");
                return;
            }

            if (now < certificate.NotBefore.ToUniversalTime())
            {
                report.Fail("not a valid X509-SVID", X509SvidRule.NotYetValid.ToString(), $"'{CertificateText.Subject(certificate)}' is valid only from {CertificateText.Time(certificate.NotBefore.ToUniversalTime())}");
                return;
            }
        }

        if (keyPath is not null)
        {
            try
            {
                using var svid = X509Svid.LoadPemFiles(path, keyPath);
                report.Checks.Add("private key matches the leaf");
            }
            catch (X509SvidException e)
            {
                report.Fail("not a valid X509-SVID", e.Rule.ToString(), e.Message);
                return;
            }
        }
        else
        {
            report.Checks.Add("private key not checked (pass --key)");
        }

        if (bundlePath is null)
        {
            report.Checks.Add("chain not verified (pass --bundle with the CAs of " + id.TrustDomain + ")");
            return;
        }

        var bundle = LoadBundle(bundlePath, id.TrustDomain);
        if (!new X509SvidVerifier(new X509BundleSet([bundle]), time).TryVerify(leaf, intermediates, out _, out var chainError))
        {
            report.Fail("not a valid X509-SVID", chainError.Rule.ToString(), chainError.Message);
            return;
        }

        report.Checks.Add($"chain verified against {bundle.Authorities.Count} authorit{(bundle.Authorities.Count == 1 ? "y" : "ies")} of {id.TrustDomain}");
    }

    private static void InspectAuthorities(InspectReport report, X509Certificate2Collection certificates, DateTimeOffset now)
    {
        report.Kind = "X.509 bundle (CA certificates)";
        report.Certificates.AddRange(certificates);
        foreach (var certificate in certificates)
        {
            if (SvidCertificateRules.CheckSigning(certificate) is { } error)
            {
                report.Fail("not a valid X.509 bundle", error.Rule.ToString(), error.Message);
                return;
            }

            if (now >= certificate.NotAfter.ToUniversalTime())
            {
                report.Fail("not a valid X.509 bundle", X509SvidRule.Expired.ToString(), $"'{CertificateText.Subject(certificate)}' expired at {CertificateText.Time(certificate.NotAfter.ToUniversalTime())}");
                return;
            }
        }

        report.Checks.Add($"{certificates.Count} CA certificate{(certificates.Count == 1 ? string.Empty : "s")}, each a CA with keyCertSign, none expired");
    }

    private static void InspectSpiffeBundle(InspectReport report, byte[] content, string? trustDomainText)
    {
        report.Kind = "SPIFFE bundle";
        var trustDomain = trustDomainText is null ? TrustDomain.Parse("unnamed.invalid")
            : TrustDomain.TryParse(trustDomainText, out var parsed) ? parsed
            : throw new CliException(ExitCodes.Usage, $"--trust-domain '{trustDomainText}' is not a trust domain name");
        try
        {
            var bundle = SpiffeBundle.Parse(trustDomain, content);
            report.Certificates.AddRange(bundle.X509Authorities);
            report.Checks.Add($"{bundle.X509Authorities.Count} X.509 authorit{(bundle.X509Authorities.Count == 1 ? "y" : "ies")}, {bundle.JwtBundle.Authorities.Count} JWT key{(bundle.JwtBundle.Authorities.Count == 1 ? string.Empty : "s")}"
                + (bundle.SequenceNumber is { } sequence ? $", sequence {sequence}" : string.Empty)
                + (bundle.RefreshHint is { } hint ? $", refresh hint {CertificateText.Duration(hint)}" : string.Empty));
            foreach (var key in bundle.JwtBundle.Authorities)
            {
                report.Checks.Add($"JWT key {key.KeyId} ({key.KeyType}{(key.Curve is null ? string.Empty : " " + key.Curve)})");
            }
        }
        catch (BundleFormatException e)
        {
            report.Fail("not a valid SPIFFE bundle", e.Rule.ToString(), e.Message);
        }
    }

    /// <summary>The authorities for <paramref name="trustDomain"/> from a PEM file or a SPIFFE bundle.</summary>
    internal static X509Bundle LoadBundle(string path, TrustDomain trustDomain)
    {
        byte[] content = Read(path);
        try
        {
            return LooksLikeJson(content)
                ? SpiffeBundle.Parse(trustDomain, content).ToX509Bundle()
                : new X509Bundle(trustDomain, LoadCertificates(content));
        }
        catch (Exception e) when (e is BundleFormatException or CryptographicException or ArgumentException)
        {
            throw new CliException(ExitCodes.Usage, $"{path} is not a bundle: {e.Message}", e);
        }
    }

    private static byte[] Read(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (info.Exists && info.Length > MaxFileBytes)
            {
                throw new CliException(ExitCodes.Usage, $"{path} is larger than {MaxFileBytes / (1024 * 1024)} MiB: not a certificate or bundle");
            }

            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.Usage, $"cannot read {path}: {e.Message}", e);
        }
    }

    private static bool LooksLikeJson(byte[] content)
    {
        foreach (byte b in content)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or 0xEF or 0xBB or 0xBF))
            {
                return b == (byte)'{';
            }
        }

        return false;
    }

    /// <summary>
    /// PEM certificates in order, or concatenated DER; empty when there are none. More than
    /// <see cref="SpiffeLimits.MaxBundleAuthorities"/> (counted before decoding) is refused, as Mtls refuses such a bundle.
    /// </summary>
    internal static X509Certificate2Collection LoadCertificates(byte[] content)
    {
        string text = Encoding.ASCII.GetString(content);
        bool pem = text.Contains("-----BEGIN", StringComparison.Ordinal);
        int count = pem ? CertificateEncoding.CountPemCertificates(text) : CertificateEncoding.CountConcatenatedDer(content);
        if (count > SpiffeLimits.MaxBundleAuthorities)
        {
            throw new CliException(ExitCodes.Invalid, $"the file holds {count} certificates, over the limit of {SpiffeLimits.MaxBundleAuthorities} ({nameof(SpiffeLimits.MaxBundleAuthorities)})");
        }

        try
        {
            return [.. pem ? CertificateEncoding.ParsePemCertificates(text) : CertificateEncoding.ParseConcatenatedDer(content, "file")];
        }
        catch (CryptographicException)
        {
            return [];
        }
    }
}
