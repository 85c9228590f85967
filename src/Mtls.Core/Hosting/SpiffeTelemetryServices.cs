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

        services.AddOptions<SpiffeTelemetryOptions>().BindConfiguration(SpiffeTelemetryOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SpiffeTelemetryOptions>, SpiffeTelemetryOptionsValidator>());
        services.AddSingleton(static provider => new SpiffeIdLabels(provider.GetRequiredService<IOptions<SpiffeTelemetryOptions>>().Value));
        return services;
    }
}
