using System.Diagnostics;
using System.Globalization;
using Mtls.Testing.Files;
using Mtls.Testing.Processes;
using Npgsql;

namespace Mtls.DataStores.Tests;

/// <summary>
/// A real PostgreSQL (Debian's package) for one test class, in a temporary directory on a free loopback port: <c>ssl = on</c> with the
/// server's SVID (<see cref="SvidFiles"/>), <c>ssl_ca_file</c> = example.org's bundle, and <c>hostssl ... cert</c>
/// as the only TCP rules, so every TCP client needs a certificate from that bundle whose CN names its database user
/// (directly, or through the ident map of <see cref="MappedDatabase"/>).
/// The test's own setup uses the Unix socket in the same directory. Stopped and deleted on dispose.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    /// <summary>The database users the tests log in as (the CNs of their client SVIDs).</summary>
    public const string User = "orders";
    public const string OtherUser = "billing";

    /// <summary>
    /// The database whose <c>cert</c> rule goes through the ident map <c>spiffe</c>: a CN <c>NAME.shop.svc</c> (e.g. the
    /// first DNS name of a SPIRE entry) logs in as the database user NAME.
    /// </summary>
    public const string MappedDatabase = "mapped";

    private const int MaxStartAttempts = 3;

    /// <summary>Where Debian's postgresql package puts the server binaries (the newest major version installed).</summary>
    private static readonly string BinDirectory = FindBinDirectory();
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private SvidFiles? _files;
    private ExternalProcess? _process;
    private string? _data;
    private bool _asRoot;

    public DataStorePki Pki { get; } = new();

    public int Port { get; private set; }

    /// <summary>Everything the server logged so far.</summary>
    public string Log => _process?.Output ?? string.Empty;

    /// <summary>Waits until the server logs a line holding <paramref name="text"/> after the first <paramref name="skip"/> characters of <see cref="Log"/>.</summary>
    public Task WaitForLogAsync(string text, int skip) => ServerLog.WaitForAsync(_process, text, skip);

    /// <summary>A connection string for TCP with TLS to this server as <paramref name="user"/>.</summary>
    public string ConnectionString(string user = User, string database = "postgres") => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = user,
        Database = database,
        SslMode = SslMode.Require,
        Timeout = 15,
    }.ConnectionString;

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
        _files = new SvidFiles(Pki.Server, Pki.Ca.CreateBundle());
        string dir = _files.Directory;
        string data = _data = Path.Combine(dir, "data");
        File.WriteAllText(Path.Combine(dir, "pg_hba.conf"), $"""
            local all postgres trust
            hostssl {MappedDatabase} all 127.0.0.1/32 cert map=spiffe
            hostssl all all 127.0.0.1/32 cert
            """);
        File.WriteAllText(Path.Combine(dir, "pg_ident.conf"), """
            spiffe /^([a-z]+)\.shop\.svc$ \1
            """);

        // PostgreSQL refuses to run as root, and wants its key owned by the user it runs as.
        bool asRoot = _asRoot = Environment.UserName == "root";
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
                "-c", $"ident_file={Path.Combine(dir, "pg_ident.conf")}",
                "-c", "ssl=on",
                "-c", $"ssl_cert_file={_files.ChainPath}",
                "-c", $"ssl_key_file={_files.KeyPath}",
                "-c", $"ssl_ca_file={_files.ClientCaPath}",
                "-c", "fsync=off",
                "-c", "logging_collector=off",
                "-c", "log_connections=on",
            ];
            var process = _process = ExternalProcess.Start(Bin("postgres", asRoot), [.. Args(asRoot, "postgres"), .. settings], dir);
            string? ready = await process.WaitForLineAsync(line => line.Contains("ready to accept connections", StringComparison.Ordinal), StartTimeout);
            if (ready is not null)
            {
                await SetUpAsync(dir);
                return;
            }

            output = process.Output;
            process.Dispose();
            _process = null;
            if (!output.Contains("could not bind", StringComparison.Ordinal))
            {
                break;
            }
        }

        throw new InvalidOperationException($"postgres did not start:\n{output}");
    }

    public async Task DisposeAsync()
    {
        if (_process is not null && _data is not null)
        {
            // A fast shutdown rather than a kill: a killed postmaster leaves its System V shared memory segment behind.
            try
            {
                await RunAsync(Bin("pg_ctl", _asRoot), [.. Args(_asRoot, "pg_ctl"), "stop", "-D", _data, "-m", "fast", "-w", "-t", "15"]);
            }
            catch (InvalidOperationException)
            {
                // Already stopped or refusing to: the kill below ends it.
            }
        }

        _process?.Dispose();
        _process = null;
        _files?.Dispose();
        _files = null;
        Pki.Dispose();
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
        foreach (string statement in (string[])[$"CREATE ROLE {User} LOGIN", $"CREATE ROLE {OtherUser} LOGIN", $"CREATE DATABASE {MappedDatabase}"])
        {
            await using var command = new NpgsqlCommand(statement, connection);
            await command.ExecuteNonQueryAsync();
        }
    }

    private static string FindBinDirectory()
    {
        const string Root = "/usr/lib/postgresql";
        var versions = Directory.Exists(Root)
            ? Directory.GetDirectories(Root).Where(d => File.Exists(Path.Combine(d, "bin", "postgres")))
            : [];
        string newest = versions.MaxBy(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out int major) ? major : -1)
            ?? throw new InvalidOperationException($"no PostgreSQL server under {Root}: install Debian's postgresql package (.ci/run does)");
        return Path.Combine(newest, "bin");
    }

    private static string Bin(string tool, bool asRoot) =>
        !asRoot ? Path.Combine(BinDirectory, tool) : File.Exists("/usr/sbin/runuser") ? "/usr/sbin/runuser" : "runuser";

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
