using Mtls.Sources;

namespace Mtls.Hosting;

/// <summary>
/// The JWT source <c>AddSpiffeJwtSource</c> created, shared by the container's <see cref="IJwtBundleSource"/> and
/// <see cref="IJwtSvidSource"/>, and disposed with the container.
/// </summary>
internal sealed class SpiffeJwtSourceHolder(IJwtBundleSource source) : IAsyncDisposable, IDisposable
{
    internal IJwtBundleSource Source { get; } = source;

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
