using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mtls.Federation;
using Mtls.Files;
using Mtls.Sources;
using Mtls.WorkloadApi;

namespace Mtls.Hosting;

/// <summary>Creates the <see cref="IX509Source"/> that <see cref="SpiffeX509SourceOptions"/> describes.</summary>
internal static class SpiffeX509SourceFactory
{
    internal static IX509Source Create(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<SpiffeX509SourceOptions>>().Value;
        return options.Source switch
        {
            SpiffeSourceKind.Custom => throw new OptionsValidationException(
                SpiffeX509SourceOptions.SectionName,
                typeof(SpiffeX509SourceOptions),
                [$"{SpiffeX509SourceOptions.SectionName}:Source is Custom but no source was given: call services.AddSpiffeX509Source(source) or register an IX509Source service"]),
            SpiffeSourceKind.Files => new FileX509Source(
                options.Files,
                services.GetRequiredService<ILoggerFactory>().CreateLogger<FileX509Source>(),
                services.GetRequiredService<TimeProvider>()),
            _ => CreateWorkloadApiSource(options, services),
        };
    }

    /// <summary>The container's source: the owned one, with the configured hint and trust domain applied.</summary>
    internal static IX509Source Choose(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<SpiffeX509SourceOptions>>().Value;
        var preference = new SvidPreference(
            string.IsNullOrEmpty(options.SvidHint) ? null : options.SvidHint,
            options.TrustDomain is null ? null : Identity.TrustDomain.Parse(options.TrustDomain));
        var owned = services.GetRequiredService<OwnedSource<IX509Source>>().Source;
        var federation = services.GetRequiredService<SpiffeFederationHost>();
        return X509SourceChoice.Apply(
            federation.Source ?? owned,
            preference,
            services.GetRequiredService<ILoggerFactory>().CreateLogger("Mtls.Sources"));
    }

    /// <summary>What <paramref name="source"/> decorates, if anything: the source whose state and errors tell its health.</summary>
    internal static IX509Source Undecorated(IX509Source source)
    {
        var inner = source is X509SourceChoice.Chosen chosen ? chosen.Inner : source;
        return inner is FederatedX509Source federated ? federated.Inner : inner;
    }

    /// <summary>The value of <c>mtls.source</c> for the kind.</summary>
    internal static string TelemetryName(SpiffeSourceKind kind) => kind switch
    {
        SpiffeSourceKind.WorkloadApi => "workload-api",
        SpiffeSourceKind.Files => "files",
        _ => "custom",
    };

    /// <summary>Null when <paramref name="value"/> is a Workload API address, else why not.</summary>
    internal static string? CheckEndpointSocket(string value)
    {
        try
        {
            WorkloadApiAddress.Parse(value);
            return null;
        }
        catch (InvalidWorkloadApiAddressException e)
        {
            return e.Message;
        }
    }

    private static WorkloadApiX509Source CreateWorkloadApiSource(SpiffeX509SourceOptions options, IServiceProvider services)
    {
        WorkloadApiAddress address;
        try
        {
            address = WorkloadApiAddress.Resolve(options.EndpointSocket);
        }
        catch (InvalidWorkloadApiAddressException e)
        {
            throw new OptionsValidationException(
                SpiffeX509SourceOptions.SectionName,
                typeof(SpiffeX509SourceOptions),
                [$"{SpiffeX509SourceOptions.SectionName}:EndpointSocket (or {SpiffeX509SourceOptions.EndpointSocketVariable}) is required for Source WorkloadApi and must be a Workload API address: {e.Message}"]);
        }

        return new WorkloadApiX509Source(
            new WorkloadApiX509SourceOptions
            {
                Address = address.Value,
                SvidHint = string.IsNullOrEmpty(options.SvidHint) ? null : options.SvidHint,
                InitialFetchTimeout = options.StartupTimeout,
                TimeProvider = services.GetRequiredService<TimeProvider>(),
            },
            services.GetRequiredService<ILoggerFactory>());
    }
}
