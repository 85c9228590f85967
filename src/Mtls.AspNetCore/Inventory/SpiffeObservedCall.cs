namespace Mtls.AspNetCore.Inventory;

/// <summary>A recorded call: who (a SPIFFE ID, or <c>plaintext</c>), what, how often, and when first and last.</summary>
internal sealed record SpiffeObservedCall(string Peer, string Method, string Route, long Count, DateTimeOffset FirstSeen, DateTimeOffset LastSeen);
