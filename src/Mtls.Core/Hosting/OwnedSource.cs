using Mtls.Sources;

namespace Mtls.Hosting;

/// <summary>
/// A source the container owns and disposes with itself: the <see cref="IX509Source"/> <c>AddSpiffeX509Source</c>
/// created or was given (the container's <see cref="IX509Source"/> is it with the configured hint and trust domain
/// applied), or the <see cref="IJwtBundleSource"/> <c>AddSpiffeJwtSource</c> created (shared by the container's
/// <see cref="IJwtBundleSource"/> and <see cref="IJwtSvidSource"/>).
/// </summary>
/// <typeparam name="TSource">The source's service type; one registration per type.</typeparam>
internal sealed class OwnedSource<TSource>(TSource source) : IAsyncDisposable, IDisposable
    where TSource : class
{
    internal TSource Source { get; } = source;

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
