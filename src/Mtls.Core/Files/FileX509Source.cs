using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Primitives;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.Sources;
using Mtls.Telemetry;
using Mtls.X509;

namespace Mtls.Files;

/// <summary>
/// An <see cref="IX509Source"/> reading the SVID, key and trust bundle from files, as cert-manager's
/// csi-driver-spiffe (<c>tls.crt</c>, <c>tls.key</c>, <c>ca.crt</c>) or spiffe-helper write them. Watches the
/// directory and polls it, because Kubernetes replaces such volumes by swapping a <c>..data</c> symlink. A reload
/// is all or nothing: the key must match the certificate and the certificate must chain to the bundle, otherwise
/// (a half-written file, a key from another rotation) the last good state stays and the reason is logged and counted
/// once per change of the files (not on every poll). The expiry of the served SVID is checked on every poll too: an
/// SVID that expires on disk without being renewed is withdrawn (no SVID is served, <see cref="LastError"/> says
/// why) until valid files appear. Change callbacks run isolated: one that throws is logged once and stops neither
/// the polling nor the other callbacks, and never reaches the timer or file-system threads.
/// An SVID handed out stays usable while the caller holds it, across rotations, until the source is disposed.
/// </summary>
public sealed class FileX509Source : IX509Source, IX509SelectionSource, IDisposable
{
    private readonly FileX509SourceOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly X509ContextStore _store;
    private readonly Lock _reloadGate = new();
    private readonly FileWatch _watch;
    private FileFingerprint[] _loaded = [];
    private FileFingerprint[] _rejected = [];
    private string? _expired;
    private string? _lastReported;
    private bool _disposed;

    /// <summary>Creates the source and tries a first load at once; further loads follow file changes.</summary>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public FileX509Source(FileX509SourceOptions options, ILogger<FileX509Source>? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = new FileX509SourceOptions
        {
            Directory = Path.GetFullPath(options.Directory),
            CertificateFileName = options.CertificateFileName,
            KeyFileName = options.KeyFileName,
            BundleFileName = options.BundleFileName,
            PollInterval = options.PollInterval,
        };
        _logger = logger ?? NullLogger<FileX509Source>.Instance;
        _time = time ?? TimeProvider.System;
        _store = new X509ContextStore(ownsSnapshots: true, SvidPreference.Default, _logger, "files");
        _watch = new FileWatch([_options.Directory], _time, Reload, ReloadFailed);
        Reload();
        _watch.StartPolling(_options.PollInterval);
    }

    /// <summary>The directory the files are read from (absolute).</summary>
    public string Directory => _options.Directory;

    /// <summary>Why the last load attempt failed, or null when the files currently on disk are loaded.</summary>
    public string? LastError { get; private set; }

    /// <inheritdoc />
    public X509Context? Current => _store.Current;

    /// <inheritdoc />
    X509Selection? IX509SelectionSource.Selection => _store.Selection;

    /// <inheritdoc />
    public X509Svid? GetX509Svid() => _store.Svid;

    /// <inheritdoc />
    public X509Bundle? GetX509Bundle(TrustDomain trustDomain) => _store.GetBundle(trustDomain);

    /// <inheritdoc />
    public IChangeToken GetChangeToken() => _store.GetChangeToken();

    /// <summary>Completes once a valid SVID and bundle were loaded.</summary>
    /// <exception cref="TimeoutException">Nothing valid appeared within <paramref name="timeout"/>; the message says why.</exception>
    public Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        _watch.WaitUntilReadyAsync(
            timeout,
            () => $"no valid X509-SVID in {_options.Directory} after {timeout.TotalSeconds:0.#} s: {LastError ?? "files not found"}",
            cancellationToken);

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_reloadGate)
        {
            _disposed = true;
            _watch.Dispose();
        }

        _store.Dispose();
    }

    /// <summary>What a reload on the timer or a file-system event threw.</summary>
    private void ReloadFailed(Exception e)
    {
        // Not expected; the next poll tries again, and the state served is whatever was last published.
        LastError = e.Message;
        FileX509SourceLog.ReloadFailed(_logger, _options.Directory, e);
    }

    private void Reload()
    {
        lock (_reloadGate)
        {
            if (_disposed)
            {
                return;
            }

            _watch.EnsureWatching();
            if (!System.IO.Directory.Exists(_options.Directory))
            {
                string missing = $"directory {_options.Directory} does not exist";
                LastError = WithExpiry(missing);
                _loaded = [];
                Report(missing, () => FileX509SourceLog.DirectoryMissing(_logger, _options.Directory));
                CheckExpiry();
                return;
            }

            var before = Fingerprints();
            if (before.SequenceEqual(_loaded))
            {
                CheckExpiry();
                return;
            }

            var result = TryLoad(out string? error);
            bool stable = before.SequenceEqual(Fingerprints());
            if (result is null || !stable)
            {
                // Not switched to. A file that changed while it was being read is a torn view: wait for the next event or
                // poll. Broken files are read again on every poll (a certificate not yet valid becomes valid without a
                // change), but reported and counted once per change of the files.
                result?.Release();
                if (error is not null)
                {
                    LastError = WithExpiry(error);
                    if (stable && !before.SequenceEqual(_rejected))
                    {
                        _rejected = before;
                        _lastReported = error;
                        FileX509SourceLog.Rejected(_logger, _options.Directory, error);
                        MtlsTelemetry.RejectedUpdates.Add(1, new KeyValuePair<string, object?>(MtlsTelemetry.SourceTag, "files"));
                    }
                }

                // The last good SVID is kept while the files are unusable, but never past its expiry.
                CheckExpiry();
                return;
            }

            _loaded = before;
            _rejected = [];
            _expired = null;
            LastError = null;
            _lastReported = null;
            var svid = result.Svids[0];
            FileX509SourceLog.Loaded(_logger, svid.Id, _options.Directory, svid.NotAfter);
            bool rotation = _store.Current is not null;
            _store.Publish(result);
            if (rotation)
            {
                MtlsTelemetry.Rotations.Add(1, new KeyValuePair<string, object?>(MtlsTelemetry.SourceTag, "files"));
            }

            _watch.MarkReady();
        }
    }

    /// <summary>
    /// No new SVID was loaded (the files did not change, or are unusable): withdraw the served one once it has expired,
    /// since nothing else will (a peer would refuse it, and health and metrics must not report a dead identity as served).
    /// </summary>
    private void CheckExpiry()
    {
        var current = _store.Current;
        var svid = _store.Svid;
        if (current is null || svid is null || _time.GetUtcNow() < svid.NotAfter)
        {
            return;
        }

        _expired = $"X509-SVID {svid.Id} in {_options.Directory} expired at {svid.NotAfter:u} and the files were not renewed";
        LastError = WithExpiry(LastError);
        FileX509SourceLog.Expired(_logger, svid.Id, _options.Directory, svid.NotAfter);
        _store.Publish(new X509Context([], current.Bundles));
    }

    /// <summary>The error to report, led by the expiry of the last SVID while that is why nothing is served.</summary>
    private string? WithExpiry(string? error) =>
        _expired is null ? error : error is null ? _expired : $"{_expired}; {error}";

    private X509Context? TryLoad(out string? error)
    {
        X509Svid? svid = null;
        X509Bundle? bundle = null;
        try
        {
            string certificates = File.ReadAllText(_options.PathOf(_options.CertificateFileName));
            string key = File.ReadAllText(_options.PathOf(_options.KeyFileName));
            string bundlePem = File.ReadAllText(_options.PathOf(_options.BundleFileName));
            svid = X509Svid.ParsePem(certificates, key);
            bundle = X509Bundle.FromPem(svid.Id.TrustDomain, bundlePem);
            if (bundle.IsEmpty)
            {
                throw new CryptographicException($"bundle file {_options.BundleFileName} holds no certificate");
            }

            // The pair alone is not enough: a certificate from a CA the bundle does not (yet) hold would be refused
            // by every peer, so such a state is not worth switching to.
            new X509SvidVerifier(new X509BundleSet([bundle]), _time).Verify(svid.Certificate, svid.Intermediates);
            error = null;
            return new X509Context([svid], new X509BundleSet([bundle]));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            svid?.Dispose();
            if (bundle is not null)
            {
                CertificateEncoding.DisposeAll(bundle.Authorities);
            }

            error = e.Message;
            return null;
        }
    }

    private FileFingerprint[] Fingerprints() =>
    [
        FileFingerprint.Take(_options.PathOf(_options.CertificateFileName)),
        FileFingerprint.Take(_options.PathOf(_options.KeyFileName)),
        FileFingerprint.Take(_options.PathOf(_options.BundleFileName)),
    ];

    private void Report(string reason, Action log)
    {
        if (!string.Equals(_lastReported, reason, StringComparison.Ordinal))
        {
            _lastReported = reason;
            log();
        }
    }
}
