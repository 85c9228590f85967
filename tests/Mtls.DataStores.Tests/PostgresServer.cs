using System.Diagnostics;
using System.Globalization;
using Mtls.Testing.Files;
using Mtls.Testing.Processes;
using Npgsql;

namespace Mtls.DataStores.Tests;

/// <summary>
/// A real PostgreSQL 15 for one test class, in a temporary directory on a free loopback port: <c>ssl = on</c> with the
/// server's SVID (<see cref="SvidFiles"/>), <c>ssl_ca_file</c> = example.org's bundle, and <c>hostssl ... cert</c>
/// as the only TCP rule, so every TCP client needs a certificate from that bundle whose CN names its database user.
/// The test's own setup uses the Unix socket in the same directory. Killed and deleted on dispose.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    /// <summary>The database users the tests log in as (the CNs of their client SVIDs).</summary>
    public const string User = "orders";
    public const string OtherUser = "billing";

    private const string BinDirectory = "/usr/lib/postgresql/15/bin";
    private const int MaxStartAttempts = 3;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private SvidFiles? _files;
    private ExternalProcess? _process;

    public DataStorePki Pki { get; } = new();

    public int Port { get; private set; }

    /// <summary>Everything the server logged so far.</summary>
    public string Log => _process?.Output ?? string.Empty;

    /// <summary>Waits until the server logs a line holding <paramref name="text"/> after the first <paramref name="skip"/> characters of <see cref="Log"/>.</summary>
    public Task WaitForLogAsync(string text, int skip) => ServerLog.WaitForAsync(_process, text, skip);

    /// <summary>A connection string for TCP with TLS to this server as <paramref name="user"/>.</summary>
    public string ConnectionString(string user = User) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = user,
        Database = "postgres",
        SslMode = SslMode.Require,
        Timeout = 15,
    }.ConnectionString;

    public async Task InitializeAsync()
    {
        _files = new SvidFiles(Pki.Server, Pki.Ca.CreateBundle());
        string dir = _files.Directory;
        string data = Path.Combine(dir, "data");
        File.WriteAllText(Path.Combine(dir, "pg_hba.conf"), """
            local all postgres trust
            hostssl all all 127.0.0.1/32 cert
            """);

        // PostgreSQL refuses to run as root, and wants its key owned by the user it runs as.
        bool asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await RunAsync("chown", ["-R", "postgres:postgres", dir]);
        }

        await RunAsync(Bin("initdb", asRoot), [.. Args(asRoot, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]);

        string output = string.Empty;
        for (int attempt = 0; attempt < MaxStartAttempts; attempt++)
        {
            // postgres cannot listen on port 0; another process may take this port first, hence the retry.
            Port = FreePort.Next();
            string[] settings =
            [
                "-D", data,
                "-c", "listen_addresses=127.0.0.1",
                "-c", $"port={Port.ToString(CultureInfo.InvariantCulture)}",
                "-c", $"unix_socket_directories={dir}",
                "-c", $"hba_file={Path.Combine(dir, "pg_hba.conf")}",
                "-c", "ssl=on",
                "-c", $"ssl_cert_file={_files.ChainPath}",
                "-c", $"ssl_key_file={_files.KeyPath}",
                "-c", $"ssl_ca_file={_files.ClientCaPath}",
                "-c", "fsync=off",
                "-c", "logging_collector=off",
                "-c", "log_connections=on",
            ];
            var process = ExternalProcess.Start(Bin("postgres", asRoot), [.. Args(asRoot, "postgres"), .. settings], dir);
            string? ready = await process.WaitForLineAsync(line => line.Contains("ready to accept connections", StringComparison.Ordinal), StartTimeout);
            if (ready is not null)
            {
                _process = process;
                await SetUpAsync(dir);
                return;
            }

            output = process.Output;
            process.Dispose();
            if (!output.Contains("could not bind", StringComparison.Ordinal))
            {
                break;
            }
        }

        throw new InvalidOperationException($"postgres did not start:\n{output}");
    }

    public Task DisposeAsync()
    {
        _process?.Dispose();
        _files?.Dispose();
        Pki.Dispose();
        return Task.CompletedTask;
    }

    private async Task SetUpAsync(string socketDirectory)
    {
        var admin = new NpgsqlConnectionStringBuilder
        {
            Host = socketDirectory,
            Port = Port,
            Username = "postgres",
            Database = "postgres",
            SslMode = SslMode.Disable,
            Pooling = false,
        };
        await using var connection = new NpgsqlConnection(admin.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE ROLE {User} LOGIN; CREATE ROLE {OtherUser} LOGIN;", connection);
        await command.ExecuteNonQueryAsync();
    }

    private static string Bin(string tool, bool asRoot) => asRoot ? "runuser" : Path.Combine(BinDirectory, tool);

    private static string[] Args(bool asRoot, string tool) => asRoot ? ["-u", "postgres", "--", Path.Combine(BinDirectory, tool)] : [];

    private static async Task RunAsync(string fileName, string[] arguments)
    {
        var info = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(StartTimeout);
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{await stdout}\n{await stderr}");
        }
    }
}
