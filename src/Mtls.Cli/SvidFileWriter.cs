using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mtls.Bundles;
using Mtls.X509;

namespace Mtls.Cli;

/// <summary>
/// <c>mtls svid --write DIR</c>: the files spiffe-helper writes (<c>svid.pem</c>: leaf then intermediates;
/// <c>svid_key.pem</c>: PKCS#8, created with mode 0600; <c>svid_bundle.pem</c>: the authorities of the SVID's trust
/// domain), each replaced atomically (written beside, then renamed) so a reader never sees half a file or a key from
/// another rotation than the certificate it reads next. Writing the key is what the user asked for here; the library
/// never writes one.
/// </summary>
internal static class SvidFileWriter
{
    internal const string CertificateFile = "svid.pem";
    internal const string KeyFile = "svid_key.pem";
    internal const string BundleFile = "svid_bundle.pem";

    /// <summary>Writes the files; returns their names.</summary>
    internal static IReadOnlyList<string> Write(string directory, X509Svid svid, X509Bundle? bundle)
    {
        try
        {
            return WriteFiles(directory, svid, bundle);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.Usage, $"cannot write the SVID files into {directory}: {e.Message}", e);
        }
    }

    private static List<string> WriteFiles(string directory, X509Svid svid, X509Bundle? bundle)
    {
        Directory.CreateDirectory(directory);
        string key = ExportKey(svid);

        // The key first: a reader that sees the new certificate must find its key already in place.
        Replace(directory, KeyFile, key, secret: true);
        Replace(directory, CertificateFile, svid.ChainToPem(), secret: false);
        var written = new List<string> { CertificateFile, KeyFile };
        if (bundle is not null)
        {
            Replace(directory, BundleFile, bundle.ToPem(), secret: false);
            written.Add(BundleFile);
        }

        return written;
    }

    private static string ExportKey(X509Svid svid)
    {
        using AsymmetricAlgorithm? key = (AsymmetricAlgorithm?)svid.Certificate.GetECDsaPrivateKey() ?? svid.Certificate.GetRSAPrivateKey();
        if (key is null)
        {
            throw new CliException(ExitCodes.NoIdentity, "the SVID's private key cannot be exported");
        }

        try
        {
            return key.ExportPkcs8PrivateKeyPem() + "\n";
        }
        catch (CryptographicException e)
        {
            throw new CliException(ExitCodes.NoIdentity, $"the SVID's private key cannot be exported: {e.Message}", e);
        }
    }

    private static void Replace(string directory, string name, string content, bool secret)
    {
        string target = Path.Combine(directory, name);
        string temporary = Path.Combine(directory, $".{name}.{Environment.ProcessId}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            // Created with these permissions, never widened afterwards: no moment where another user could open the key.
            options.UnixCreateMode = secret ? UnixFileMode.UserRead | UnixFileMode.UserWrite
                : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        }

        // A leftover from an interrupted run is removed; CreateNew (O_EXCL) then refuses anything put in its place.
        File.Delete(temporary);
        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(content);
        }

        File.Move(temporary, target, overwrite: true);
    }
}
