using Mtls.Identity;
using Mtls.Telemetry;

namespace Mtls.Http.Tests;

/// <summary>
/// Which connection carried a request is never guessed: a request is attributed to an identity only when every
/// connection that could have carried it (live at its start, or opened before its end) has that identity.
/// </summary>
public sealed class ConnectionAttributionTests
{
    private static readonly SpiffeConnectionIdentity Orders = Identity("spiffe://example.org/orders");
    private static readonly SpiffeConnectionIdentity Billing = Identity("spiffe://example.org/billing");

    [Fact]
    public void A_request_on_an_origin_whose_live_connections_share_one_identity_is_attributed_to_it()
    {
        var origin = new SpiffeOriginConnections();
        origin.Open(Orders);
        origin.Open(Identity("spiffe://example.org/orders"));

        var start = origin.Current;

        Assert.Equal(Orders, origin.Attribute(start));
    }

    [Fact]
    public void A_request_started_before_any_connection_is_attributed_to_the_one_opened_for_it()
    {
        var origin = new SpiffeOriginConnections();
        var start = origin.Current;

        origin.Open(Orders);

        Assert.Equal(Orders, origin.Attribute(start));
    }

    [Fact]
    public void A_request_while_connections_of_two_identities_are_live_is_not_attributed()
    {
        var origin = new SpiffeOriginConnections();
        origin.Open(Orders);
        origin.Open(Billing);

        Assert.Null(origin.Attribute(origin.Current));
    }

    [Fact]
    public void A_request_during_which_a_connection_of_another_identity_opened_is_not_attributed()
    {
        var origin = new SpiffeOriginConnections();
        origin.Open(Orders);
        var start = origin.Current;

        origin.Open(Billing);
        origin.Close(Orders);

        Assert.Null(origin.Attribute(start));
    }

    [Fact]
    public void A_request_during_which_two_connections_opened_is_not_attributed()
    {
        var origin = new SpiffeOriginConnections();
        var start = origin.Current;

        origin.Open(Orders);
        origin.Close(Orders);
        origin.Open(Billing);

        Assert.Null(origin.Attribute(start));
    }

    [Fact]
    public void Requests_are_attributed_again_once_the_other_identity_closed()
    {
        var origin = new SpiffeOriginConnections();
        origin.Open(Orders);
        origin.Open(Billing);
        origin.Close(Billing);

        Assert.Equal(Orders, origin.Attribute(origin.Current));
    }

    [Fact]
    public void Connections_with_the_same_server_but_another_own_id_are_another_identity()
    {
        var origin = new SpiffeOriginConnections();
        origin.Open(Identity("spiffe://example.org/orders", "spiffe://example.org/web"));
        origin.Open(Identity("spiffe://example.org/orders", "spiffe://example.org/batch"));

        Assert.Null(origin.Attribute(origin.Current));
    }

    private static SpiffeConnectionIdentity Identity(string server, string? local = null) =>
        new(SpiffeId.Parse(server), local is null ? null : SpiffeId.Parse(local), SpiffeIdLabels.Default);
}
