using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Mtls.Authorization;
using Mtls.Bundles;
using Mtls.Sources;
using Mtls.Testing.Certificates;
using Mtls.Testing.Files;
using Mtls.Testing.Processes;
using Mtls.Tls;

namespace Mtls.Core.Tests.Tls;

/// <summary>
/// The public TLS API against TLS peers we did not write: <c>openssl s_server</c> (requiring a client certificate) and
/// <c>openssl s_client</c> (presenting one), over raw TCP on 127.0.0.1.
/// </summary>
public sealed partial class OpenSslRawTlsInteropTests : IDisposable
{
    private const string ServerId = "spiffe://example.org/server";
    private const string ClientId = "spiffe://example.org/client";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create("example.org");
    private readonly X509Bundle _bundle;
    private readonly InMemoryX509Source _source;

    public OpenSslRawTlsInteropTests()
    {
        _bundle = _ca.CreateBundle();
        _source = new InMemoryX509Source(_ca.IssueSvid(ClientId), new X509BundleSet([_bundle]));
    }

    [Fact]
    public async Task Client_echoes_through_openssl_s_server_that_requires_our_svid()
    {
        using var files = new SvidFiles(_ca.Issue(ServerId), _bundle);
        using var server = await StartServerAsync(files);
        var client = new SpiffeTlsClient(_source, Authorizer.Id(ServerId));

        await using var connection = await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, server.Port)).WaitAsync(Timeout);
        await connection.Stream.WriteAsync(Encoding.ASCII.GetBytes("spiffe\n"));
        var reply = new byte[7];
        await connection.Stream.ReadExactlyAsync(reply).AsTask().WaitAsync(Timeout);

        Assert.Equal(ServerId, connection.PeerId.ToString());
        Assert.Equal("effips\n", Encoding.ASCII.GetString(reply));
    }

    [Fact]
    public async Task Client_refuses_openssl_s_server_with_another_id()
    {
        using var files = new SvidFiles(_ca.Issue("spiffe://example.org/impostor"), _bundle);
        using var server = await StartServerAsync(files);
        var client = new SpiffeTlsClient(_source, Authorizer.Id(ServerId));

        var refused = await Assert.ThrowsAsync<SpiffePeerRefusedException>(() => client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, server.Port)).WaitAsync(Timeout));

        Assert.Equal(SpiffePeerRefusal.Unauthorized, refused.Reason);
        Assert.Equal("spiffe://example.org/impostor", refused.PeerId?.ToString());
    }

    [Fact]
    public async Task Listener_accepts_openssl_s_client_presenting_an_svid_and_echoes()
    {
        using var serverSource = new InMemoryX509Source(_ca.IssueSvid(ServerId), new X509BundleSet([_bundle]));
        using var tls = new SpiffeTlsServer(serverSource, Authorizer.Id(ClientId));
        await using var listener = SpiffeTlsListener.Start(new IPEndPoint(IPAddress.Loopback, 0), tls);
        using var files = new SvidFiles(_ca.Issue(ClientId), _bundle);
        int port = ((IPEndPoint)listener.LocalEndPoint).Port;

        using var client = ExternalProcess.Start(
            "openssl",
            ["s_client", "-connect", $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}", "-cert", files.LeafPath, "-cert_chain", files.IntermediatesPath,
             "-key", files.KeyPath, "-CAfile", files.ClientCaPath, "-verify_return_error", "-quiet"],
            files.Directory);
        await using var connection = await listener.AcceptAsync().AsTask().WaitAsync(Timeout);
        await client.WriteLineAsync("ping");
        var line = new byte[5];
        await connection.Stream.ReadExactlyAsync(line).AsTask().WaitAsync(Timeout);
        await connection.Stream.WriteAsync(Encoding.ASCII.GetBytes("pong\n"));

        Assert.Equal(ClientId, connection.PeerId.ToString());
        Assert.Equal("ping\n", Encoding.ASCII.GetString(line));
        Assert.Equal("pong", await client.WaitForLineAsync(l => l == "pong", Timeout));
    }

    [Fact]
    public async Task Listener_refuses_openssl_s_client_with_an_unauthorized_id()
    {
        using var serverSource = new InMemoryX509Source(_ca.IssueSvid(ServerId), new X509BundleSet([_bundle]));
        using var tls = new SpiffeTlsServer(serverSource, Authorizer.Id(ClientId));
        await using var listener = SpiffeTlsListener.Start(new IPEndPoint(IPAddress.Loopback, 0), tls);
        using var files = new SvidFiles(_ca.Issue("spiffe://example.org/intruder"), _bundle);
        int port = ((IPEndPoint)listener.LocalEndPoint).Port;

        using var intruder = ExternalProcess.Start(
            "openssl",
            ["s_client", "-connect", $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}", "-cert", files.LeafPath, "-cert_chain", files.IntermediatesPath,
             "-key", files.KeyPath, "-CAfile", files.ClientCaPath, "-verify_return_error", "-quiet"],
            files.Directory);

        // The server closes the connection, which ends s_client with an error; the listener never hands it out, so the
        // next connection it hands out is the good client's.
        Assert.Null(await intruder.WaitForLineAsync(_ => false, Timeout));
        var good = new SpiffeTlsClient(_source, Authorizer.Id(ServerId));
        await using var outbound = await good.ConnectAsync(listener.LocalEndPoint).WaitAsync(Timeout);
        await using var accepted = await listener.AcceptAsync().AsTask().WaitAsync(Timeout);

        Assert.Equal(ClientId, accepted.PeerId.ToString());
        Assert.Contains(":error:", intruder.Output, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _source.Dispose();
        _ca.Dispose();
    }

    private static async Task<OpenSslServer> StartServerAsync(SvidFiles files)
    {
        var process = ExternalProcess.Start(
            "openssl",
            ["s_server", "-accept", "127.0.0.1:0", "-cert", files.LeafPath, "-cert_chain", files.IntermediatesPath, "-key", files.KeyPath,
             "-CAfile", files.ClientCaPath, "-Verify", "2", "-verify_return_error", "-rev"],
            files.Directory);
        string? accept = await process.WaitForLineAsync(line => line.StartsWith("ACCEPT ", StringComparison.Ordinal), Timeout);
        var match = accept is null ? null : AcceptLine().Match(accept);
        if (match is not { Success: true })
        {
            process.Dispose();
            throw new InvalidOperationException($"openssl s_server did not start:\n{process.Output}");
        }

        return new OpenSslServer(process, int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"^ACCEPT .*:(\d+)$")]
    private static partial Regex AcceptLine();

    private sealed record OpenSslServer(ExternalProcess Process, int Port) : IDisposable
    {
        public void Dispose() => Process.Dispose();
    }
}
