using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Mtls.Telemetry;

namespace Mtls.Hosting;

/// <summary>Registers <see cref="SpiffeTelemetryOptions"/> (bound from <c>Spiffe:Telemetry</c>) and the labels built from them, once.</summary>
internal static class SpiffeTelemetryServices
{
    internal static IServiceCollection AddSpiffeTelemetryOptions(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(SpiffeIdLabels)))
        {
            return services;
        }

        // Bound when the container has configuration: a client-only container without one gets the defaults.
        services.AddOptions<SpiffeTelemetryOptions>()
            .Configure<IServiceProvider>(static (options, provider) => provider.GetService<IConfiguration>()?.GetSection(SpiffeTelemetryOptions.SectionName).Bind(options))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SpiffeTelemetryOptions>, SpiffeTelemetryOptionsValidator>());
        services.AddSingleton(static provider => new SpiffeIdLabels(provider.GetRequiredService<IOptions<SpiffeTelemetryOptions>>().Value));
        return services;
    }
}
