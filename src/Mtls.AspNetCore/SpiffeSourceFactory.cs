using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mtls.Sources;

namespace Mtls.AspNetCore;

/// <summary>Creates the <see cref="IX509Source"/> that <see cref="SpiffeMtlsOptions"/> describes.</summary>
internal static class SpiffeSourceFactory
{
    internal static IX509Source Create(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<SpiffeMtlsOptions>>().Value;
        if (options.CustomSource is not null)
        {
            return options.CustomSource;
        }

        return options.Source switch
        {
            SpiffeSourceKind.Custom => throw new OptionsValidationException(
                SpiffeMtlsOptions.SectionName,
                typeof(SpiffeMtlsOptions),
                [$"{SpiffeMtlsOptions.SectionName}:Source is Custom but no source was given: call options.UseSource(...) or register an IX509Source service"]),
            _ => throw new OptionsValidationException(
                SpiffeMtlsOptions.SectionName,
                typeof(SpiffeMtlsOptions),
                [$"{SpiffeMtlsOptions.SectionName}:Source WorkloadApi is not available in this build"]),
        };
    }

    /// <summary>Null when <paramref name="value"/> is a Workload API address, else why not.</summary>
    internal static string? CheckEndpointSocket(string value) =>
        value.StartsWith("unix:", StringComparison.Ordinal) || value.StartsWith("tcp:", StringComparison.Ordinal)
            ? null
            : "is not a Workload API address (unix:///path or tcp://IP:port)";
}
