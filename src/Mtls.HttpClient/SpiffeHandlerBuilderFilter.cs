using System.Collections.Frozen;
using Microsoft.Extensions.Http;

namespace Mtls.Http;

/// <summary>
/// Appends <see cref="SpiffeFailureHandler"/> (and <see cref="SpiffeTelemetryHandler"/>, so that each attempt is
/// attributed) after every handler configured for an mTLS client, so they are the innermost ones whatever order the
/// application added its handlers (resilience included) in.
/// </summary>
internal sealed class SpiffeHandlerBuilderFilter(IEnumerable<SpiffeClientRegistration> registrations) : IHttpMessageHandlerBuilderFilter
{
    private readonly FrozenSet<string> _names = registrations.Select(r => r.Name).ToFrozenSet(StringComparer.Ordinal);

    public Action<HttpMessageHandlerBuilder> Configure(Action<HttpMessageHandlerBuilder> next)
    {
        ArgumentNullException.ThrowIfNull(next);
        return builder =>
        {
            next(builder);
            if (builder.Name is { } name && _names.Contains(name))
            {
                builder.AdditionalHandlers.Add(new SpiffeFailureHandler());
                if (SpiffeConnectionIdentities.Of(builder.PrimaryHandler) is { } identities)
                {
                    builder.AdditionalHandlers.Add(new SpiffeTelemetryHandler(identities));
                }
            }
        };
    }
}
