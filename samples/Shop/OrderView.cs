namespace Shop;

/// <summary>An order as orders returns it, with the caller it saw (SPIFFE ID and client certificate serial).</summary>
public sealed record OrderView(string Id, string Status, string Caller, string CallerSerial);
