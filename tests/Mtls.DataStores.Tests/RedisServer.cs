using System.Globalization;
using Mtls.Testing.Certificates;
using Mtls.Testing.Files;
using Mtls.Testing.Processes;

namespace Mtls.DataStores.Tests;

/// <summary>
/// A real redis-server for one test class, in a temporary directory on a free loopback port, TLS only (<c>port 0</c>,
/// <c>tls-port</c>) with the server's SVID and <c>tls-auth-clients yes</c>. Its client CA file starts with two CAs of
/// example.org: <see cref="DataStorePki.Ca"/> and <see cref="NextCa"/> (a CA rotation in progress); a test can narrow
/// it to <see cref="NextCa"/> alone at run time to see which certificate a new connection presented. Killed and
/// deleted on dispose.
/// </summary>
public sealed class RedisServer : IAsyncLifetime
{
    private const int MaxStartAttempts = 3;

    private SvidFiles? _files;
    private ExternalProcess? _process;

    public DataStorePki Pki { get; } = new();

    /// <summary>A second CA of example.org, trusted by the server next to <see cref="DataStorePki.Ca"/>.</summary>
    public TestCertificateAuthority NextCa { get; } = TestCertificateAuthority.Create("example.org");

    public int Port { get; private set; }

    /// <summary>The client CA file holding both CAs (the server's initial <c>tls-ca-cert-file</c>).</summary>
    public string BothCasPath => _files!.ClientCaPath;

    /// <summary>A client CA file holding only <see cref="NextCa"/>.</summary>
    public string NextCaOnlyPath => Path.Combine(_files!.Directory, "next-ca.crt");

    /// <summary>Everything the server logged so far.</summary>
    public string Log => _process?.Output ?? string.Empty;

    public async Task InitializeAsync()
    {
        try
        {
            await StartAsync();
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    private async Task StartAsync()
    {
        var next = NextCa.CreateBundle();
        var both = Pki.Ca.CreateBundle().WithAuthority(next.Authorities[0]);
        _files = new SvidFiles(Pki.Server, both);
        File.WriteAllText(NextCaOnlyPath, next.ToPem());

        string output = string.Empty;
        for (int attempt = 0; attempt < MaxStartAttempts; attempt++)
        {
            // redis-server cannot listen on tls-port 0; another process may take this port first, hence the retry.
            Port = FreePort.Next();
            string[] arguments =
            [
                "--port", "0",
                "--bind", "127.0.0.1",
                "--tls-port", Port.ToString(CultureInfo.InvariantCulture),
                "--tls-cert-file", _files.ChainPath,
                "--tls-key-file", _files.KeyPath,
                "--tls-ca-cert-file", _files.ClientCaPath,
                "--tls-auth-clients", "yes",
                "--dir", _files.Directory,
                "--save", string.Empty,
                "--appendonly", "no",
                "--loglevel", "verbose",
            ];
            var process = _process = ExternalProcess.Start("redis-server", arguments, _files.Directory);
            string? ready = await process.WaitForLineAsync(line => line.Contains("Ready to accept connections", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
            if (ready is not null)
            {
                return;
            }

            output = process.Output;
            process.Dispose();
            _process = null;
            if (!output.Contains("Address already in use", StringComparison.Ordinal))
            {
                break;
            }
        }

        throw new InvalidOperationException($"redis-server did not start:\n{output}");
    }

    /// <summary>Waits until the server logs a line holding <paramref name="text"/> after the first <paramref name="skip"/> characters of <see cref="Log"/>.</summary>
    public Task WaitForLogAsync(string text, int skip) => ServerLog.WaitForAsync(_process, text, skip);

    public Task DisposeAsync()
    {
        _process?.Dispose();
        _process = null;
        _files?.Dispose();
        _files = null;
        NextCa.Dispose();
        Pki.Dispose();
        return Task.CompletedTask;
    }
}
