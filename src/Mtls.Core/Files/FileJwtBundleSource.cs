using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Primitives;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.Sources;
using Mtls.Telemetry;

namespace Mtls.Files;

/// <summary>
/// An <see cref="IJwtBundleSource"/> reading each trusted trust domain's JWT bundle from a file (a SPIFFE bundle or a
/// JWK Set), for deployments without a Workload API: cert-manager and trust-manager, or a bundle endpoint mirrored to
/// disk. Watches the files' directories and polls them (Kubernetes swaps a <c>..data</c> symlink), and reloads a file
/// when it changes, so key rotation needs no restart. A reload is per file and all or nothing: a file that is missing,
/// larger than <see cref="SpiffeLimits.MaxJwtBundleFileBytes"/> or not a valid bundle keeps that trust domain's last
/// good bundle, and the reason is logged and counted once per change of the file. Change callbacks run isolated.
/// </summary>
public sealed class FileJwtBundleSource : IJwtBundleSource, IDisposable
{
    private readonly Entry[] _entries;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly FileWatch _watch;
    private readonly ChangeSignal _changed;
    private JwtBundleSet _bundles = JwtBundleSet.Empty;
    private bool _disposed;

    /// <summary>Creates the source and loads the files at once; further loads follow file changes.</summary>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public FileJwtBundleSource(FileJwtBundleSourceOptions options, ILogger<FileJwtBundleSource>? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _entries = [.. options.BundleFiles.Select(f => new Entry(TrustDomain.Parse(f.Key), Path.GetFullPath(f.Value)))];
        _logger = logger ?? NullLogger<FileJwtBundleSource>.Instance;
        _watch = new FileWatch(_entries.Select(e => Path.GetDirectoryName(e.Path)!), time ?? TimeProvider.System, Reload, ReloadFailed);
        _changed = new ChangeSignal("JWT bundle files", _logger);
        Reload();
        _watch.StartPolling(options.PollInterval);
    }

    /// <summary>The bundles loaded so far (a trust domain whose file never loaded has none).</summary>
    public JwtBundleSet Bundles => Volatile.Read(ref _bundles);

    /// <summary>Why the files on disk are not all loaded, or null when they are.</summary>
    public string? LastError { get; private set; }

    /// <inheritdoc />
    public JwtBundle? GetJwtBundle(TrustDomain trustDomain) => Bundles.GetJwtBundle(trustDomain);

    /// <summary>A token that fires on the next change of <see cref="Bundles"/>.</summary>
    public IChangeToken GetChangeToken() => _changed.GetToken();

    /// <summary>Completes once every configured file has been loaded.</summary>
    /// <exception cref="TimeoutException">Not every file loaded within <paramref name="timeout"/>; the message says why.</exception>
    public Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        _watch.WaitUntilReadyAsync(
            timeout,
            () => $"the JWT bundle files did not all load within {timeout.TotalSeconds:0.#} s: {LastError ?? "not read yet"}",
            cancellationToken);

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _watch.Dispose();
        }

        _changed.Dispose();
    }

    /// <summary>What a reload on the timer or a file-system event threw.</summary>
    private void ReloadFailed(Exception e)
    {
        LastError = e.Message;
        FileJwtBundleSourceLog.ReloadFailed(_logger, e);
    }

    private void Reload()
    {
        bool changed = false;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _watch.EnsureWatching();
            foreach (var entry in _entries)
            {
                changed |= Reload(entry);
            }

            var errors = _entries.Where(e => e.Error is not null).Select(e => e.Error).ToArray();
            LastError = errors.Length == 0 ? null : string.Join("; ", errors);
            if (changed)
            {
                Volatile.Write(ref _bundles, new JwtBundleSet(_entries.Where(e => e.Bundle is not null).Select(e => e.Bundle!)));
            }

            if (_entries.All(e => e.Bundle is not null))
            {
                _watch.MarkReady();
            }
        }

        if (changed)
        {
            _changed.Fire();
        }
    }

    /// <summary>Loads one file if it changed; true when its bundle was replaced.</summary>
    private bool Reload(Entry entry)
    {
        var before = FileFingerprint.Take(entry.Path);
        if (entry.Bundle is not null && before == entry.Loaded)
        {
            return false;
        }

        if (before == default)
        {
            entry.Error = $"JWT bundle file {entry.Path} of {entry.TrustDomain} does not exist";
            if (entry.Reported != before)
            {
                entry.Reported = before;
                FileJwtBundleSourceLog.Missing(_logger, entry.TrustDomain.Name, entry.Path);
            }

            return false;
        }

        if (entry.Reported == before)
        {
            // Already read and refused in this very state; reported once, not on every poll.
            return false;
        }

        var bundle = TryRead(entry, out string? error);
        if (FileFingerprint.Take(entry.Path) != before)
        {
            // Changed while it was being read: a torn view. The next event or poll reads it again.
            return false;
        }

        if (bundle is null)
        {
            entry.Error = error;
            entry.Reported = before;
            FileJwtBundleSourceLog.Rejected(_logger, entry.TrustDomain.Name, entry.Path, LogText.Sanitize(error));
            MtlsTelemetry.RejectedUpdates.Add(1, new KeyValuePair<string, object?>(MtlsTelemetry.SourceTag, "jwt-files"));
            return false;
        }

        entry.Loaded = before;
        entry.Reported = null;
        entry.Error = null;
        entry.Bundle = bundle;
        FileJwtBundleSourceLog.Loaded(_logger, entry.TrustDomain.Name, entry.Path, bundle.Authorities.Count);
        return true;
    }

    private static JwtBundle? TryRead(Entry entry, out string? error)
    {
        try
        {
            using var stream = new FileStream(entry.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            long length = stream.Length;
            if (length > SpiffeLimits.MaxJwtBundleFileBytes)
            {
                error = $"JWT bundle file {entry.Path} is {length} bytes, over the limit of {SpiffeLimits.MaxJwtBundleFileBytes} ({nameof(SpiffeLimits.MaxJwtBundleFileBytes)})";
                return null;
            }

            // One byte of room tells a file that grew while being read from one that is complete.
            var buffer = new byte[length + 1];
            int total = 0;
            int read;
            while (total < buffer.Length && (read = stream.Read(buffer, total, buffer.Length - total)) > 0)
            {
                total += read;
            }

            if (total > length)
            {
                error = $"JWT bundle file {entry.Path} grew while it was read";
                return null;
            }

            error = null;
            return JwtBundle.Parse(entry.TrustDomain, buffer.AsSpan(0, total));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or BundleFormatException or ArgumentException)
        {
            error = $"JWT bundle file {entry.Path} of {entry.TrustDomain}: {e.Message}";
            return null;
        }
    }

    /// <summary>One trust domain's file and what was last loaded or refused from it (guarded by the gate).</summary>
    private sealed class Entry(TrustDomain trustDomain, string path)
    {
        internal TrustDomain TrustDomain { get; } = trustDomain;

        internal string Path { get; } = path;

        internal FileFingerprint Loaded { get; set; }

        /// <summary>The state last refused or found missing, reported once.</summary>
        internal FileFingerprint? Reported { get; set; }

        internal string? Error { get; set; }

        internal JwtBundle? Bundle { get; set; }
    }
}
