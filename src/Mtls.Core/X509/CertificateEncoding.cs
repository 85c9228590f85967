using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Mtls.X509;

/// <summary>Decoding of the certificate encodings SPIFFE uses: concatenated DER and PEM.</summary>
internal static class CertificateEncoding
{
    /// <summary>
    /// Counts concatenated DER values by their headers alone, without decoding any certificate: what lets a limit be
    /// checked before the expensive part. Malformed input counts up to the first bad value plus one (the parse that
    /// follows reports it).
    /// </summary>
    internal static int CountConcatenatedDer(ReadOnlySpan<byte> der)
    {
        int count = 0;
        while (!der.IsEmpty)
        {
            count++;
            try
            {
                AsnDecoder.ReadEncodedValue(der, AsnEncodingRules.DER, out _, out _, out int consumed);
                der = der[consumed..];
            }
            catch (AsnContentException)
            {
                break;
            }
        }

        return count;
    }

    /// <summary>Counts PEM <c>CERTIFICATE</c> blocks without decoding them.</summary>
    internal static int CountPemCertificates(ReadOnlySpan<char> pem)
    {
        int count = 0;
        while (PemEncoding.TryFind(pem, out var fields))
        {
            if (pem[fields.Label].SequenceEqual("CERTIFICATE"))
            {
                count++;
            }

            pem = pem[fields.Location.End.Value..];
        }

        return count;
    }

    /// <summary>Splits concatenated DER certificates (leaf first, as the Workload API sends them).</summary>
    internal static List<X509Certificate2> ParseConcatenatedDer(ReadOnlySpan<byte> der, string what)
    {
        var result = new List<X509Certificate2>();
        try
        {
            while (!der.IsEmpty)
            {
                AsnDecoder.ReadEncodedValue(der, AsnEncodingRules.DER, out _, out _, out int consumed);
                result.Add(X509CertificateLoader.LoadCertificate(der[..consumed]));
                der = der[consumed..];
            }
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException)
        {
            DisposeAll(result);
            throw new CryptographicException($"{what}: certificate {result.Count + 1} is not valid DER: {e.Message}", e);
        }

        return result;
    }

    /// <summary>Reads every PEM <c>CERTIFICATE</c> block, in order; other labels are skipped.</summary>
    internal static List<X509Certificate2> ParsePemCertificates(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        var result = new List<X509Certificate2>();
        var rest = pem.AsSpan();
        try
        {
            while (PemEncoding.TryFind(rest, out var fields))
            {
                if (rest[fields.Label].SequenceEqual("CERTIFICATE"))
                {
                    byte[] der = Convert.FromBase64String(rest[fields.Base64Data].ToString());
                    result.Add(X509CertificateLoader.LoadCertificate(der));
                }

                rest = rest[fields.Location.End.Value..];
            }
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            DisposeAll(result);
            throw new CryptographicException($"PEM certificate {result.Count + 1} does not decode: {e.Message}", e);
        }

        return result;
    }

    internal static void DisposeAll(IEnumerable<X509Certificate2> certificates)
    {
        foreach (var certificate in certificates)
        {
            certificate.Dispose();
        }
    }
}
