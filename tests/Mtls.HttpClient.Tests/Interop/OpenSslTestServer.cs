using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Mtls.Bundles;
using Mtls.Testing.Certificates;
using Mtls.Testing.Files;
using Mtls.Testing.Processes;

namespace Mtls.Http.Tests.Interop;

/// <summary>
/// <c>openssl s_server -Verify 2 -verify_return_error -www</c> on 127.0.0.1: requires a client certificate that
/// chains to the client CA, and answers <c>GET /</c> with a status page that includes the client certificate it
/// received. Each connection is closed after its response.
/// </summary>
public sealed partial class OpenSslTestServer : IDisposable
{
    private readonly SvidFiles _files;
    private readonly ExternalProcess _process;

    private OpenSslTestServer(SvidFiles files, ExternalProcess process, int port)
    {
        _files = files;
        _process = process;
        BaseAddress = new Uri($"https://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/");
    }

    public Uri BaseAddress { get; }

    public static async Task<OpenSslTestServer> StartAsync(IssuedSvid server, X509Bundle clientTrust)
    {
        var files = new SvidFiles(server, clientTrust);
        var process = ExternalProcess.Start(
            "openssl",
            ["s_server", "-accept", "127.0.0.1:0", "-cert", files.LeafPath, "-cert_chain", files.IntermediatesPath, "-key", files.KeyPath,
             "-CAfile", files.ClientCaPath, "-Verify", "2", "-verify_return_error", "-www"],
            files.Directory);
        try
        {
            string? accept = await process.WaitForLineAsync(line => line.StartsWith("ACCEPT ", StringComparison.Ordinal), TimeSpan.FromSeconds(15));
            var match = accept is null ? null : AcceptLine().Match(accept);
            if (match is not { Success: true })
            {
                throw new InvalidOperationException($"openssl s_server did not start:\n{process.Output}");
            }

            return new OpenSslTestServer(files, process, int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
        }
        catch
        {
            process.Dispose();
            files.Dispose();
            throw;
        }
    }

    /// <summary>The client certificate s_server printed on its status page.</summary>
    public static X509Certificate2 ClientCertificateFrom(string statusPage)
    {
        var pem = PemCertificate().Match(statusPage);
        Assert.True(pem.Success, $"no client certificate on the status page:\n{statusPage}");
        return X509Certificate2.CreateFromPem(pem.Value);
    }

    public void Dispose()
    {
        _process.Dispose();
        _files.Dispose();
    }

    [GeneratedRegex(@"^ACCEPT .*:(\d+)$")]
    private static partial Regex AcceptLine();

    [GeneratedRegex("-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----")]
    private static partial Regex PemCertificate();
}
