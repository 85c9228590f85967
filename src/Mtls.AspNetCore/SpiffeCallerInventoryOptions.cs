namespace Mtls.AspNetCore;

/// <summary>
/// Settings of the caller inventory (<c>Spiffe:CallerInventory</c>): while any endpoint is permissive or the rule set
/// holds an AUDIT rule, the server records each distinct (peer, method, route) it serves, with counts and first and
/// last seen, for <c>MapSpiffeCallerInventory</c> and the <c>mtls.inventory.calls</c> metric.
/// </summary>
public sealed class SpiffeCallerInventoryOptions
{
    /// <summary>The largest <see cref="MaxEntries"/> accepted: the inventory lives in memory.</summary>
    public const int MaxEntriesLimit = 100_000;

    /// <summary>
    /// How many distinct (peer, method, route) triples are kept (<c>Spiffe:CallerInventory:MaxEntries</c>, default
    /// 1,000, at most <see cref="MaxEntriesLimit"/>). Calls of triples beyond it are only counted as overflow.
    /// </summary>
    public int MaxEntries { get; set; } = 1000;
}
