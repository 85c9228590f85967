using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Mtls.AspNetCore.Inventory;

/// <summary>
/// The distinct (peer, method, route) triples this server has served while migrating, with counts and first and last
/// seen. Bounded: once <see cref="SpiffeCallerInventoryOptions.MaxEntries"/> triples are known, calls of new ones are
/// only counted in <see cref="Overflow"/>. Thread-safe; a call of a known triple takes no lock.
/// </summary>
internal sealed class SpiffeCallerInventory(IOptions<SpiffeMtlsOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<SpiffeObservedCallKey, Entry> _entries = new();
    private readonly Lock _insert = new();
    private readonly int _maxEntries = options.Value.CallerInventory.MaxEntries;
    private long _overflow;

    /// <summary>How many triples are kept at most.</summary>
    internal int MaxEntries => _maxEntries;

    /// <summary>Calls of triples not recorded because the inventory was full.</summary>
    internal long Overflow => Interlocked.Read(ref _overflow);

    /// <summary>Records one call; false when the inventory was full and it was only counted as overflow.</summary>
    internal bool Record(string peer, string method, string route)
    {
        var key = new SpiffeObservedCallKey(peer, method, route);
        long now = time.GetUtcNow().UtcTicks;
        if (!_entries.TryGetValue(key, out var entry))
        {
            lock (_insert)
            {
                if (!_entries.TryGetValue(key, out entry))
                {
                    if (_entries.Count >= _maxEntries)
                    {
                        Interlocked.Increment(ref _overflow);
                        return false;
                    }

                    entry = new Entry(now);
                    _entries[key] = entry;
                }
            }
        }

        entry.Seen(now);
        return true;
    }

    /// <summary>The recorded calls, ordered by peer, route and method.</summary>
    internal IReadOnlyList<SpiffeObservedCall> Snapshot() =>
    [
        .. _entries
            .Select(kv => new SpiffeObservedCall(kv.Key.Peer, kv.Key.Method, kv.Key.Route, kv.Value.Count, new DateTimeOffset(kv.Value.FirstSeen, TimeSpan.Zero), new DateTimeOffset(kv.Value.LastSeen, TimeSpan.Zero)))
            .OrderBy(c => c.Peer, StringComparer.Ordinal)
            .ThenBy(c => c.Route, StringComparer.Ordinal)
            .ThenBy(c => c.Method, StringComparer.Ordinal),
    ];

    private sealed class Entry(long firstSeen)
    {
        private long _count;
        private long _lastSeen = firstSeen;

        internal long FirstSeen { get; } = firstSeen;

        internal long Count => Interlocked.Read(ref _count);

        internal long LastSeen => Interlocked.Read(ref _lastSeen);

        internal void Seen(long now)
        {
            Interlocked.Increment(ref _count);

            // Concurrent calls may finish out of order: last seen only moves forward.
            long last = Interlocked.Read(ref _lastSeen);
            while (now > last)
            {
                long found = Interlocked.CompareExchange(ref _lastSeen, now, last);
                if (found == last)
                {
                    break;
                }

                last = found;
            }
        }
    }
}
