using System.Collections.Concurrent;

namespace Mtls.Telemetry;

/// <summary>
/// Bounds how often one kind of event is logged: at most <see cref="PermitsPerInterval"/> per reason in each
/// <see cref="Interval"/>; the rest are counted, and the first event logged after an interval with suppressed ones
/// carries that count so the log can say how many were left out. Used where a peer decides how often an event
/// happens (every refused handshake), so that a hostile or broken peer cannot flood the log. Reasons must come from a
/// small fixed set (outcome labels), never from peer-supplied text. Thread-safe.
/// </summary>
internal sealed class LogRateLimiter
{
    /// <summary>Refused handshakes logged per reason and interval: enough to diagnose, too few to flood.</summary>
    internal const int DefaultPermitsPerInterval = 10;

    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    internal LogRateLimiter(TimeProvider? time = null, int permitsPerInterval = DefaultPermitsPerInterval, TimeSpan? interval = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(permitsPerInterval, 1);
        _time = time ?? TimeProvider.System;
        PermitsPerInterval = permitsPerInterval;
        Interval = interval ?? DefaultInterval;
    }

    /// <summary>The length of one counting window: one minute by default.</summary>
    internal static TimeSpan DefaultInterval { get; } = TimeSpan.FromMinutes(1);

    internal int PermitsPerInterval { get; }

    internal TimeSpan Interval { get; }

    /// <summary>
    /// Whether an event of <paramref name="reason"/> may be logged now. When it may and events were suppressed in the
    /// window that just ended, <paramref name="suppressed"/> says how many (log a summary first); otherwise 0.
    /// </summary>
    internal bool TryAcquire(string reason, out long suppressed)
    {
        var window = _windows.GetOrAdd(reason, static (_, time) => new Window(time.GetTimestamp()), _time);
        long now = _time.GetTimestamp();
        lock (window)
        {
            suppressed = 0;
            if (_time.GetElapsedTime(window.Start, now) >= Interval)
            {
                suppressed = window.Suppressed;
                window.Start = now;
                window.Count = 0;
                window.Suppressed = 0;
            }

            if (window.Count < PermitsPerInterval)
            {
                window.Count++;
                return true;
            }

            window.Suppressed++;
            suppressed = 0;
            return false;
        }
    }

    private sealed class Window(long start)
    {
        internal long Start { get; set; } = start;

        internal int Count { get; set; }

        internal long Suppressed { get; set; }
    }
}
