using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using Mtls.Identity;

namespace Mtls.X509;

/// <summary>The X509-SVID rules for leaf and signing certificates, shared by loading and peer verification.</summary>
internal static class SvidCertificateRules
{
    private const string SubjectAltNameOid = "2.5.29.17";
    private static readonly Asn1Tag UriTag = new(TagClass.ContextSpecific, 6);

    /// <summary>Checks every leaf rule and returns the leaf's SPIFFE ID, or the first rule broken.</summary>
    internal static X509SvidException? CheckLeaf(X509Certificate2 leaf, out SpiffeId? id)
    {
        id = null;
        var uriError = ReadSingleUri(leaf, out string? uri, out bool sanCritical);
        if (uriError is not null)
        {
            return uriError;
        }

        if (!SpiffeId.TryParse(uri, out id))
        {
            return new X509SvidException(X509SvidRule.InvalidSpiffeId, $"leaf URI SAN '{uri}' is not a valid SPIFFE ID");
        }

        if (id.IsTrustDomainId)
        {
            var rootId = id;
            id = null;
            return new X509SvidException(X509SvidRule.RootPathId, $"leaf SPIFFE ID '{rootId}' has no path; a workload ID needs one");
        }

        if (leaf.SubjectName.RawData.Length <= 2 && !sanCritical)
        {
            id = null;
            return new X509SvidException(X509SvidRule.NonCriticalSanWithEmptySubject, "leaf has an empty Subject, so its URI SAN extension must be critical");
        }

        var basic = Find<X509BasicConstraintsExtension>(leaf);
        X509SvidException? error = null;
        if (basic is { CertificateAuthority: true })
        {
            error = new(X509SvidRule.LeafIsCa, "leaf certificate has cA=true; an X509-SVID leaf must not be a CA");
        }
        else
        {
            var keyUsage = Find<X509KeyUsageExtension>(leaf);
            var usages = keyUsage?.KeyUsages ?? X509KeyUsageFlags.None;
            if (keyUsage is null)
            {
                error = new(X509SvidRule.LeafMissingDigitalSignature, "leaf certificate has no key usage extension; an X509-SVID leaf needs one with digitalSignature");
            }
            else if (usages.HasFlag(X509KeyUsageFlags.KeyCertSign))
            {
                error = new(X509SvidRule.LeafHasKeyCertSign, "leaf certificate has the keyCertSign key usage");
            }
            else if (usages.HasFlag(X509KeyUsageFlags.CrlSign))
            {
                error = new(X509SvidRule.LeafHasCrlSign, "leaf certificate has the cRLSign key usage");
            }
            else if (!usages.HasFlag(X509KeyUsageFlags.DigitalSignature))
            {
                error = new(X509SvidRule.LeafMissingDigitalSignature, "leaf certificate lacks the digitalSignature key usage");
            }
        }

        if (error is not null)
        {
            id = null;
        }

        return error;
    }

    /// <summary>
    /// Checks a signing (CA) certificate: cA=true, keyCertSign, and a SPIFFE ID in its URI SAN, if it carries one,
    /// without a path.
    /// </summary>
    internal static X509SvidException? CheckSigning(X509Certificate2 certificate)
    {
        var basic = Find<X509BasicConstraintsExtension>(certificate);
        if (basic is not { CertificateAuthority: true })
        {
            return new(X509SvidRule.SigningCertificateNotCa, $"signing certificate '{certificate.Subject}' is not a CA (cA=false or no basic constraints)");
        }

        var usages = Find<X509KeyUsageExtension>(certificate)?.KeyUsages ?? X509KeyUsageFlags.None;
        if (!usages.HasFlag(X509KeyUsageFlags.KeyCertSign))
        {
            return new(X509SvidRule.SigningCertificateMissingKeyCertSign, $"signing certificate '{certificate.Subject}' lacks the keyCertSign key usage");
        }

        var uriError = ReadUris(certificate, out int count, out string? uri, out _);
        if (uriError is not null)
        {
            return uriError;
        }

        // Only a SPIFFE ID is constrained: a CA may carry other URIs, and an unparsable one is not an ID.
        return count == 1 && SpiffeId.TryParse(uri, out var id) && !id.IsTrustDomainId
            ? new(X509SvidRule.SigningCertificateIdHasPath, $"signing certificate '{certificate.Subject}' carries SPIFFE ID '{id}' with a path; a signing certificate's ID names its trust domain only")
            : null;
    }

    /// <summary>
    /// Checks an authority of <paramref name="trustDomain"/>'s bundle: the signing rules of <see cref="CheckSigning"/>,
    /// and a SPIFFE ID, if it carries one, naming that trust domain (a bundle fetched for one trust domain must not
    /// hold another's CA).
    /// </summary>
    internal static X509SvidException? CheckAuthority(X509Certificate2 certificate, TrustDomain trustDomain)
    {
        var error = CheckSigning(certificate);
        if (error is not null)
        {
            return error;
        }

        error = ReadUris(certificate, out int count, out string? uri, out _);
        return error ?? (count == 1 && SpiffeId.TryParse(uri, out var id) && id.TrustDomain != trustDomain
            ? new X509SvidException(X509SvidRule.UntrustedTrustDomain, $"authority '{certificate.Subject}' carries SPIFFE ID '{id}' of another trust domain than {trustDomain}")
            : null);
    }

    /// <summary>The first extension of type <typeparamref name="T"/>; a loop, because this runs on every handshake.</summary>
    private static T? Find<T>(X509Certificate2 certificate)
        where T : X509Extension
    {
        foreach (var extension in certificate.Extensions)
        {
            if (extension is T match)
            {
                return match;
            }
        }

        return null;
    }

    private static X509SvidException? ReadSingleUri(X509Certificate2 leaf, out string? uri, out bool critical)
    {
        var error = ReadUris(leaf, out int count, out uri, out critical);
        return error ?? count switch
        {
            0 => new X509SvidException(X509SvidRule.NoUriSan, "leaf certificate has no URI SAN; an X509-SVID has exactly one"),
            1 => null,
            _ => new X509SvidException(X509SvidRule.MultipleUriSans, $"leaf certificate has {count} URI SANs; an X509-SVID has exactly one"),
        };
    }

    /// <summary>Counts the URI SANs and returns the last one read, and whether the SAN extension is critical.</summary>
    private static X509SvidException? ReadUris(X509Certificate2 certificate, out int count, out string? uri, out bool critical)
    {
        uri = null;
        critical = false;
        count = 0;
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != SubjectAltNameOid)
            {
                continue;
            }

            critical = extension.Critical;
            try
            {
                var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
                while (reader.HasData)
                {
                    var tag = reader.PeekTag();
                    if (tag.HasSameClassAndValue(UriTag))
                    {
                        uri = reader.ReadCharacterString(UniversalTagNumber.IA5String, UriTag);
                        count++;
                    }
                    else
                    {
                        reader.ReadEncodedValue();
                    }
                }
            }
            catch (AsnContentException e)
            {
                return new X509SvidException(X509SvidRule.MalformedCertificate, $"subject alternative name extension of '{certificate.Subject}' is malformed", e);
            }
        }

        return null;
    }
}
