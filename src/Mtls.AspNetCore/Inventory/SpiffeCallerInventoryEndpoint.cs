namespace Mtls.AspNetCore.Inventory;

/// <summary>Endpoint metadata marking the inventory's own endpoint, whose calls the inventory does not record.</summary>
internal sealed class SpiffeCallerInventoryEndpoint;
