using Mtls.Sources;

namespace Mtls.Hosting;

/// <summary>
/// The source <c>AddSpiffeX509Source</c> created or was given, owned by the container: disposed with it. The
/// container's <see cref="IX509Source"/> is this source with the configured hint and trust domain applied.
/// </summary>
internal sealed class OwnedX509Source(IX509Source source) : IAsyncDisposable, IDisposable
{
    internal IX509Source Source { get; } = source;

    public void Dispose()
    {
        switch (Source)
        {
            case IDisposable disposable:
                disposable.Dispose();
                break;
            case IAsyncDisposable asyncDisposable:
                // A container disposed synchronously: the source has no synchronous way to stop.
                asyncDisposable.DisposeAsync().AsTask().GetAwaiter().GetResult();
                break;
        }
    }

    public async ValueTask DisposeAsync()
    {
        switch (Source)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }
}
