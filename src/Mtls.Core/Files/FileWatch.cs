namespace Mtls.Files;

/// <summary>
/// What the file sources share: their reload runs on a poll timer and on file-system events in the files'
/// directories, with nothing escaping onto those threads, and a signal for the first complete load. Kubernetes
/// replaces such volumes by swapping a <c>..data</c> symlink, which watchers can miss, so polling is what finds every
/// change; the watchers only make it quicker, and are dropped (polling goes on) when they fail.
/// </summary>
internal sealed class FileWatch : IDisposable
{
    private readonly string[] _directories;
    private readonly TimeProvider _time;
    private readonly Action _reload;
    private readonly Action<Exception> _failed;
    private readonly Lock _gate = new();
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ITimer? _timer;
    private bool _disposed;

    /// <summary>Watches nothing until <see cref="EnsureWatching"/> and polls nothing until <see cref="StartPolling"/>.</summary>
    /// <param name="directories">The directories holding the files (absolute).</param>
    /// <param name="time">The clock of the poll timer and of <see cref="WaitUntilReadyAsync"/>.</param>
    /// <param name="reload">The owner's reload: thread-safe, and cheap when nothing changed.</param>
    /// <param name="failed">Told what <paramref name="reload"/> threw on a timer or watcher thread.</param>
    internal FileWatch(IEnumerable<string> directories, TimeProvider time, Action reload, Action<Exception> failed)
    {
        _directories = [.. directories.Distinct(StringComparer.Ordinal)];
        _time = time;
        _reload = reload;
        _failed = failed;
    }

    /// <summary>Reloads every <paramref name="interval"/> from now on.</summary>
    internal void StartPolling(TimeSpan interval)
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _timer ??= _time.CreateTimer(_ => SafeReload(), null, interval, interval);
            }
        }
    }

    /// <summary>Watches the directories that exist, unless some are watched already; called on every reload.</summary>
    internal void EnsureWatching()
    {
        lock (_gate)
        {
            if (_disposed || _watchers.Count > 0)
            {
                return;
            }

            try
            {
                foreach (string directory in _directories.Where(Directory.Exists))
                {
                    var watcher = new FileSystemWatcher(directory)
                    {
                        NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
                        IncludeSubdirectories = false,
                    };
                    FileSystemEventHandler changed = (_, _) => ThreadPool.QueueUserWorkItem(_ => SafeReload());
                    watcher.Changed += changed;
                    watcher.Created += changed;
                    watcher.Deleted += changed;
                    watcher.Renamed += (_, _) => ThreadPool.QueueUserWorkItem(_ => SafeReload());
                    watcher.Error += (_, _) => ThreadPool.QueueUserWorkItem(_ => DropWatchers());
                    _watchers.Add(watcher);
                    watcher.EnableRaisingEvents = true;
                }
            }
            catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException)
            {
                // Polling alone still finds every change; the watchers only make it quicker.
                DisposeWatchers();
            }
        }
    }

    /// <summary>Completes <see cref="WaitUntilReadyAsync"/>: everything the owner needs was loaded once.</summary>
    internal void MarkReady() => _ready.TrySetResult();

    /// <summary>Completes once <see cref="MarkReady"/> was called.</summary>
    /// <exception cref="TimeoutException">Not within <paramref name="timeout"/>; the message is <paramref name="why"/>'s.</exception>
    internal async Task WaitUntilReadyAsync(TimeSpan timeout, Func<string> why, CancellationToken cancellationToken)
    {
        try
        {
            await _ready.Task.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(why(), e);
        }
    }

    /// <summary>Stops the polling and the watchers.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _timer?.Dispose();
            DisposeWatchers();
        }
    }

    /// <summary>Reload for the timer and file-system events: nothing may escape onto those threads and end the process.</summary>
    private void SafeReload()
    {
        try
        {
            _reload();
        }
        catch (Exception e)
        {
            _failed(e);
        }
    }

    private void DropWatchers()
    {
        lock (_gate)
        {
            DisposeWatchers();
        }
    }

    private void DisposeWatchers()
    {
        foreach (var watcher in _watchers)
        {
            watcher.Dispose();
        }

        _watchers.Clear();
    }
}
