using Mtls.Authorization;
using Mtls.Sources;
using Mtls.Tls;
using Npgsql;

namespace Mtls.DataStores.Tests;

/// <summary>
/// Npgsql against a real PostgreSQL that presents an SVID and requires client certificates (<c>cert</c>
/// authentication): the client presents its SVID from memory and checks the server's SPIFFE ID, never its host name.
/// </summary>
public sealed class PostgresTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    private DataStorePki Pki => server.Pki;

    [Fact]
    public async Task Query_runs_as_the_database_user_named_by_the_svid_cn_over_verified_mtls()
    {
        var svid = Pki.IssueClient(PostgresServer.User);
        await using var dataSource = DataSource(Pki.Source(svid), Authorizer.Id(DataStorePki.ServerId));

        await using var connection = await dataSource.OpenConnectionAsync();
        var (user, serial) = await WhoAmIAsync(connection);

        Assert.Equal(PostgresServer.User, user);
        Assert.Equal(Serials.Decimal(svid), serial);
    }

    [Fact]
    public async Task Server_with_a_spiffe_id_other_than_the_authorized_one_is_refused_naming_the_rule()
    {
        var authorizer = Authorizer.Id("spiffe://example.org/other-db");
        await using var dataSource = DataSource(Pki.Source(Pki.IssueClient(PostgresServer.User)), authorizer);

        var error = await Assert.ThrowsAsync<NpgsqlException>(async () => await dataSource.OpenConnectionAsync());

        var refused = Refusals.Find(error);
        Assert.Equal(SpiffePeerRefusal.Unauthorized, refused.Reason);
        Assert.Equal(DataStorePki.ServerId, refused.PeerId?.ToString());
        Assert.Equal(authorizer.ToString(), refused.Rule);
        Assert.Contains("spiffe://example.org/other-db", refused.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public async Task New_connections_present_the_rotated_client_svid_while_open_ones_keep_theirs()
    {
        var first = Pki.IssueClient(PostgresServer.User);
        var source = Pki.Source(first);
        await using var dataSource = DataSource(source, Authorizer.Id(DataStorePki.ServerId));
        await using var before = await dataSource.OpenConnectionAsync();
        Assert.Equal(Serials.Decimal(first), (await WhoAmIAsync(before)).Serial);

        var second = Pki.IssueClient(PostgresServer.User);
        source.Update(second, Pki.Bundles);

        // The first connection is still open, so the pool must open a new physical connection: the server sees the
        // new certificate on it.
        await using var after = await dataSource.OpenConnectionAsync();
        Assert.Equal(Serials.Decimal(second), (await WhoAmIAsync(after)).Serial);
        Assert.Equal(Serials.Decimal(first), (await WhoAmIAsync(before)).Serial);
    }

    [Fact]
    public async Task Server_refuses_a_client_svid_from_a_ca_outside_its_bundle()
    {
        // Same trust domain, same ID, same CN: only the issuing CA differs.
        var rogue = Pki.IssueClient(PostgresServer.User, Pki.Rogue);
        await using var dataSource = DataSource(Pki.Source(rogue), Authorizer.Id(DataStorePki.ServerId));

        int logged = server.Log.Length;

        await Assert.ThrowsAnyAsync<NpgsqlException>(async () => await dataSource.OpenConnectionAsync());
        await server.WaitForLogAsync("certificate verify failed", logged);
    }

    [Theory]
    [InlineData(PostgresServer.OtherUser)]
    [InlineData(null)]
    public async Task Server_refuses_a_trusted_svid_whose_cn_is_not_the_requested_user(string? commonName)
    {
        await using var dataSource = DataSource(Pki.Source(Pki.IssueClient(commonName)), Authorizer.Id(DataStorePki.ServerId));

        var error = await Assert.ThrowsAsync<PostgresException>(async () => await dataSource.OpenConnectionAsync());

        Assert.Equal("28000", error.SqlState);
        Assert.Contains("certificate authentication failed", error.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_ident_map_turns_the_svid_cn_into_the_database_user()
    {
        var svid = Pki.IssueClient($"{PostgresServer.User}.shop.svc");
        await using var dataSource = DataSource(Pki.Source(svid), Authorizer.Id(DataStorePki.ServerId), database: PostgresServer.MappedDatabase);

        await using var connection = await dataSource.OpenConnectionAsync();

        Assert.Equal(PostgresServer.User, (await WhoAmIAsync(connection)).User);
    }

    [Theory]
    [InlineData("orders.shop.svc", PostgresServer.OtherUser)]
    [InlineData("orders", PostgresServer.User)]
    [InlineData("orders.shop.svc.evil", PostgresServer.User)]
    public async Task An_ident_map_refuses_a_cn_that_does_not_map_to_the_requested_user(string commonName, string user)
    {
        var svid = Pki.IssueClient(commonName);
        await using var dataSource = DataSource(Pki.Source(svid), Authorizer.Id(DataStorePki.ServerId), user, PostgresServer.MappedDatabase);

        var error = await Assert.ThrowsAsync<PostgresException>(async () => await dataSource.OpenConnectionAsync());

        Assert.Equal("28000", error.SqlState);
    }

    private NpgsqlDataSource DataSource(IX509Source source, Authorizer authorizer, string user = PostgresServer.User, string database = "postgres")
    {
        var spiffe = new SpiffeTlsClient(source, authorizer);
        var builder = new NpgsqlDataSourceBuilder(server.ConnectionString(user, database));
        builder.UseSslClientAuthenticationOptionsCallback(spiffe.ConfigureAuthenticationOptions);
        return builder.Build();
    }

    private static async Task<(string User, string Serial)> WhoAmIAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("SELECT current_user, client_serial::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()", connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetString(0), reader.GetString(1));
    }
}
