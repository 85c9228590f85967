using Mtls.Authorization;
using Mtls.Sources;
using Mtls.Tls;
using StackExchange.Redis;

namespace Mtls.DataStores.Tests;

/// <summary>
/// StackExchange.Redis against a real redis-server with <c>tls-auth-clients yes</c>: the client presents its SVID from
/// memory and checks the server's SPIFFE ID, never its host name.
/// </summary>
public sealed class RedisTests(RedisServer server) : IClassFixture<RedisServer>
{
    private static readonly Authorizer ServerAuthorizer = Authorizer.Id(DataStorePki.ServerId);

    private DataStorePki Pki => server.Pki;

    [Fact]
    public async Task Set_and_get_succeed_over_verified_mtls()
    {
        await using var redis = await ConnectAsync(Pki.Source(Pki.IssueClient()), ServerAuthorizer);

        var db = redis.GetDatabase();
        await db.StringSetAsync("greeting", "hello");
        Assert.Equal("hello", (string?)await db.StringGetAsync("greeting"));
    }

    [Fact]
    public async Task Server_with_a_spiffe_id_other_than_the_authorized_one_is_refused_naming_the_rule()
    {
        var authorizer = Authorizer.Id("spiffe://example.org/other-cache");

        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => ConnectAsync(Pki.Source(Pki.IssueClient()), authorizer));

        var refused = Refusals.Find(error);
        Assert.Equal(SpiffePeerRefusal.Unauthorized, refused.Reason);
        Assert.Equal(DataStorePki.ServerId, refused.PeerId?.ToString());
        Assert.Equal(authorizer.ToString(), refused.Rule);
        Assert.Contains("spiffe://example.org/other-cache", refused.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public async Task New_connections_present_the_rotated_client_svid_while_open_ones_keep_theirs()
    {
        var source = Pki.Source(Pki.IssueClient());
        await using var before = await ConnectAsync(source, ServerAuthorizer, allowAdmin: true);
        var admin = before.GetServer(before.GetEndPoints()[0]);
        await before.GetDatabase().PingAsync();

        // The new SVID comes from the second CA; the server then stops trusting the first for new connections, so a
        // connection it accepts now can only have presented the new SVID.
        source.Update(Pki.IssueClient(ca: server.NextCa), Pki.Bundles);
        await admin.ConfigSetAsync("tls-ca-cert-file", server.NextCaOnlyPath);
        try
        {
            await using var after = await ConnectAsync(source, ServerAuthorizer);
            await after.GetDatabase().StringSetAsync("rotated", "yes");
            Assert.Equal("yes", (string?)await after.GetDatabase().StringGetAsync("rotated"));

            // Control: a client still holding an SVID of the first CA is refused now.
            int logged = server.Log.Length;
            await Assert.ThrowsAsync<RedisConnectionException>(() => ConnectAsync(Pki.Source(Pki.IssueClient()), ServerAuthorizer));
            await server.WaitForLogAsync("certificate verify failed", logged);

            // TLS checks a client once, at its handshake: the connection made with the old SVID goes on.
            await before.GetDatabase().PingAsync();
        }
        finally
        {
            await admin.ConfigSetAsync("tls-ca-cert-file", server.BothCasPath);
        }
    }

    [Fact]
    public async Task Server_refuses_a_client_svid_from_a_ca_outside_its_bundle()
    {
        // Same trust domain and ID: only the issuing CA differs.
        var rogue = Pki.IssueClient(ca: Pki.Rogue);
        int logged = server.Log.Length;

        await Assert.ThrowsAsync<RedisConnectionException>(() => ConnectAsync(Pki.Source(rogue), ServerAuthorizer));

        await server.WaitForLogAsync("certificate verify failed", logged);
    }

    private async Task<ConnectionMultiplexer> ConnectAsync(IX509Source source, Authorizer authorizer, bool allowAdmin = false)
    {
        var spiffe = new SpiffeTlsClient(source, authorizer);
        var options = new ConfigurationOptions
        {
            EndPoints = { { "127.0.0.1", server.Port } },
            Ssl = true,
            SslClientAuthenticationOptions = spiffe.GetAuthenticationOptions,
            AllowAdmin = allowAdmin,
            ConnectTimeout = 10_000,
            ConnectRetry = 1,
            AbortOnConnectFail = true,
        };
        return await ConnectionMultiplexer.ConnectAsync(options);
    }
}
