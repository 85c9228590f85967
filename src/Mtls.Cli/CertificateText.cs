using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Mtls.X509;

namespace Mtls.Cli;

/// <summary>How certificates are shown, in text and JSON, by every command.</summary>
internal static class CertificateText
{
    /// <summary>A point in time, UTC, to the second.</summary>
    internal static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>How long until <paramref name="notAfter"/>: <c>in 59m 58s</c>, or <c>expired 3m ago</c>.</summary>
    internal static string Remaining(DateTimeOffset notAfter, DateTimeOffset now)
    {
        var left = notAfter - now;
        return left >= TimeSpan.Zero ? $"in {Duration(left)}" : $"expired {Duration(-left)} ago";
    }

    /// <summary>A duration to the second, largest units first.</summary>
    internal static string Duration(TimeSpan span)
    {
        if (span.TotalDays >= 1)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalDays}d {span.Hours}h");
        }

        if (span.TotalHours >= 1)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours}h {span.Minutes}m");
        }

        return span.TotalMinutes >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalMinutes}m {span.Seconds}s")
            : string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, (int)span.TotalSeconds)}s");
    }

    /// <summary>The SPIFFE ID of an X509-SVID leaf; null for anything that is not one (a CA, a broken leaf).</summary>
    internal static string? LeafId(X509Certificate2 certificate) =>
        SvidCertificateRules.CheckLeaf(certificate, out var id) is null ? id?.ToString() : null;

    /// <summary>Whether the certificate says it is a CA.</summary>
    internal static bool IsCa(X509Certificate2 certificate)
    {
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509BasicConstraintsExtension basic)
            {
                return basic.CertificateAuthority;
            }
        }

        return false;
    }

    /// <summary>One line: subject, serial, expiry.</summary>
    internal static string Line(X509Certificate2 certificate) =>
        $"{Subject(certificate)}  serial {certificate.SerialNumber}  expires {Time(certificate.NotAfter.ToUniversalTime())}";

    /// <summary>The subject, or the URI SAN when the subject is empty.</summary>
    internal static string Subject(X509Certificate2 certificate) =>
        string.IsNullOrEmpty(certificate.Subject) ? LeafId(certificate) ?? "(empty subject)" : certificate.Subject;

    /// <summary>Writes the certificate as a JSON object.</summary>
    internal static void Write(Utf8JsonWriter writer, X509Certificate2 certificate)
    {
        writer.WriteStartObject();
        writer.WriteString("subject", certificate.Subject);
        writer.WriteString("issuer", certificate.Issuer);
        writer.WriteString("serial", certificate.SerialNumber);
        writer.WriteString("notBefore", Time(certificate.NotBefore.ToUniversalTime()));
        writer.WriteString("notAfter", Time(certificate.NotAfter.ToUniversalTime()));
        writer.WriteBoolean("isCa", IsCa(certificate));
        writer.WriteString("spiffeId", LeafId(certificate));
        writer.WriteString("sha256", certificate.GetCertHashString(HashAlgorithmName.SHA256));
        writer.WriteEndObject();
    }
}
