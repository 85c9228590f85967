using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace Mtls.Core.Tests.WorkloadApi;

/// <summary>
/// A fake clock that tells the test when code under test arms a reconnect timer and when it is due, so the test can
/// advance exactly to it. Timers of ten minutes or more (the source's SVID expiry watch) are not reported.
/// </summary>
public sealed class TimerSignallingTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
{
    private readonly Channel<TimeSpan> _armed = Channel.CreateUnbounded<TimeSpan>();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        if (dueTime != Timeout.InfiniteTimeSpan && dueTime < TimeSpan.FromMinutes(10))
        {
            _armed.Writer.TryWrite(dueTime);
        }

        return timer;
    }

    /// <summary>The due time of the next timer armed (from when it was armed).</summary>
    public async Task<TimeSpan> NextTimerAsync() => await _armed.Reader.ReadAsync();
}
