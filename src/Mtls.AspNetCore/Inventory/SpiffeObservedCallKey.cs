namespace Mtls.AspNetCore.Inventory;

/// <summary>One distinct call of the inventory: who (a SPIFFE ID, or <c>plaintext</c>), which method, which route.</summary>
internal readonly record struct SpiffeObservedCallKey(string Peer, string Method, string Route);
