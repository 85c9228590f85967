using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Microsoft.Extensions.Time.Testing;
using Mtls.Core.Tests.WorkloadApi;
using Mtls.Files;
using Mtls.Testing.Certificates;

namespace Mtls.Core.Tests.Files;

/// <summary>
/// Issue 11: the file source never fails open. In the same class as the other file tests so that no other file
/// source runs in parallel while the rejected-update counter is read.
/// </summary>
public sealed partial class FileX509SourceTests
{
    [Fact]
    public async Task Throwing_change_callback_does_not_stop_file_rotation()
    {
        WriteSvid("spiffe://cluster.local/web");
        using var log = new RecordingLogger();
        using var source = new FileX509Source(
            new FileX509SourceOptions { Directory = _dir, PollInterval = TimeSpan.FromMilliseconds(100) },
            log.Factory.CreateLogger<FileX509Source>());
        using var throwing = ChangeToken.OnChange(source.GetChangeToken, () => throw new InvalidOperationException("a consumer's bug"));
        var seen = new List<string>();
        var changed = new SemaphoreSlim(0);
        using var watching = ChangeToken.OnChange(source.GetChangeToken, () =>
        {
            lock (seen)
            {
                seen.Add(source.GetX509Svid()!.Certificate.SerialNumber);
            }

            changed.Release();
        });

        var first = WriteSvid("spiffe://cluster.local/web");
        await WaitForSerialAsync(Serial(first));
        var second = WriteSvid("spiffe://cluster.local/web");
        await WaitForSerialAsync(Serial(second));

        Assert.Equal(Serial(second), source.GetX509Svid()!.Certificate.SerialNumber);
        Assert.Single(log.Entries, e => e.EventName == "ChangeCallbackFailed");

        async Task WaitForSerialAsync(string serial)
        {
            using var cts = new CancellationTokenSource(Wait);
            while (true)
            {
                lock (seen)
                {
                    if (seen.Contains(serial))
                    {
                        return;
                    }
                }

                await changed.WaitAsync(cts.Token);
            }
        }
    }

    [Fact]
    public void Broken_files_are_counted_and_logged_once_per_change()
    {
        WriteSvid("spiffe://cluster.local/web");
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var log = new RecordingLogger();
        using var rejections = new RejectionCounter();
        using var source = new FileX509Source(
            new FileX509SourceOptions { Directory = _dir, PollInterval = TimeSpan.FromSeconds(1) },
            log.Factory.CreateLogger<FileX509Source>(),
            time);
        var next = _ca.Issue("spiffe://cluster.local/web");

        // A key from another rotation: broken the same way on every read until the files change again.
        var good = _ca.Issue("spiffe://cluster.local/web");
        _writer.Write(Files(next.CertificatesPem, good.PrivateKeyPem));
        for (int poll = 0; poll < 10; poll++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.NotNull(source.LastError);
        Assert.Equal(1, rejections.Files);
        Assert.Single(log.Entries, e => e.EventName == "Rejected");
    }

    [Fact]
    public void Svid_that_expires_on_disk_without_a_file_change_stops_being_served()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var issued = _ca.Issue("spiffe://cluster.local/web", new SvidSpec { Ttl = TimeSpan.FromHours(1) });
        _writer.Write(Files(issued.CertificatesPem, issued.PrivateKeyPem));
        using var source = new FileX509Source(new FileX509SourceOptions { Directory = _dir, PollInterval = TimeSpan.FromSeconds(1) }, time: time);
        Assert.NotNull(source.GetX509Svid());
        var changed = Changed(source);

        time.Advance(TimeSpan.FromHours(2));

        Assert.True(changed.IsCompleted, "the change token should fire when the SVID is withdrawn");
        Assert.Null(source.GetX509Svid());
        Assert.Empty(source.Current!.Svids);
        Assert.Contains("expired", source.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public void Svid_that_expires_while_the_directory_is_gone_stops_being_served()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var issued = _ca.Issue("spiffe://cluster.local/web", new SvidSpec { Ttl = TimeSpan.FromHours(1) });
        _writer.Write(Files(issued.CertificatesPem, issued.PrivateKeyPem));
        using var source = new FileX509Source(new FileX509SourceOptions { Directory = _dir, PollInterval = TimeSpan.FromSeconds(1) }, time: time);
        Directory.Delete(_dir, recursive: true);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.NotNull(source.GetX509Svid());

        time.Advance(TimeSpan.FromHours(2));

        Assert.Null(source.GetX509Svid());
        Assert.Contains("expired", source.LastError, StringComparison.Ordinal);
    }

    /// <summary>Counts <c>mtls.source.rejected_updates</c> tagged <c>files</c>.</summary>
    private sealed class RejectionCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private int _files;

        public RejectionCounter()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "Mtls" && instrument.Name == "mtls.source.rejected_updates")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "mtls.source" && Equals(tag.Value, "files"))
                    {
                        Interlocked.Add(ref _files, (int)value);
                    }
                }
            });
            _listener.Start();
        }

        public int Files => Volatile.Read(ref _files);

        public void Dispose() => _listener.Dispose();
    }
}
