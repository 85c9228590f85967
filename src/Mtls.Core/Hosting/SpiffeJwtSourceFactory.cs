using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mtls.Files;
using Mtls.Sources;
using Mtls.WorkloadApi;

namespace Mtls.Hosting;

/// <summary>Creates the JWT source that <see cref="SpiffeJwtSourceOptions"/> describes, and validates those options.</summary>
internal sealed class SpiffeJwtSourceFactory : IValidateOptions<SpiffeJwtSourceOptions>
{
    private const string Section = SpiffeJwtSourceOptions.SectionName;

    /// <summary>The source object: a <see cref="WorkloadApiJwtSource"/> or a <see cref="FileJwtBundleSource"/>.</summary>
    internal static IJwtBundleSource Create(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<SpiffeJwtSourceOptions>>().Value;
        var time = services.GetRequiredService<TimeProvider>();
        var loggers = services.GetRequiredService<ILoggerFactory>();
        switch (options.Source)
        {
            case SpiffeSourceKind.Files:
                return new FileJwtBundleSource(FilesOptions(options), loggers.CreateLogger<FileJwtBundleSource>(), time);
            case SpiffeSourceKind.WorkloadApi:
                return new WorkloadApiJwtSource(
                    new WorkloadApiJwtSourceOptions
                    {
                        Address = ResolveAddress(options.EndpointSocket),
                        InitialFetchTimeout = options.StartupTimeout,
                        TimeProvider = time,
                    },
                    loggers);
            default:
                throw new OptionsValidationException(Section, typeof(SpiffeJwtSourceOptions), [$"{Section}:Source is Custom but no JWT source was given: register an IJwtBundleSource (and an IJwtSvidSource for clients)"]);
        }
    }

    /// <summary>The container's <see cref="IJwtSvidSource"/>: only the Workload API issues this workload's JWT-SVIDs.</summary>
    internal static IJwtSvidSource CreateSvidSource(IServiceProvider services) =>
        services.GetRequiredService<OwnedSource<IJwtBundleSource>>().Source as IJwtSvidSource
        ?? throw new InvalidOperationException($"{Section}:Source is {services.GetRequiredService<IOptions<SpiffeJwtSourceOptions>>().Value.Source}: it holds JWT bundles but no JWT-SVIDs of this workload; a client sending JWT-SVIDs needs the Workload API (or an IJwtSvidSource of your own).");

    public ValidateOptionsResult Validate(string? name, SpiffeJwtSourceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        SpiffeSourceOptionsChecks.CheckSource(Section, options.Source, options.EndpointSocket, failures);

        if (options.Source == SpiffeSourceKind.Files)
        {
            try
            {
                FilesOptions(options).Validate();
            }
            catch (ArgumentException e)
            {
                failures.Add($"{Section}:BundleFiles / PollInterval: {e.Message}");
            }
        }

        return SpiffeSourceOptionsChecks.Finish(Section, options.StartupTimeout, failures);
    }

    /// <summary>The options of the file source that <paramref name="options"/> describes.</summary>
    private static FileJwtBundleSourceOptions FilesOptions(SpiffeJwtSourceOptions options)
    {
        var files = new FileJwtBundleSourceOptions { PollInterval = options.PollInterval };
        foreach (var (trustDomain, path) in options.BundleFiles)
        {
            files.BundleFiles[trustDomain] = path;
        }

        return files;
    }

    private static string ResolveAddress(string? endpointSocket)
    {
        try
        {
            return WorkloadApiAddress.Resolve(endpointSocket).Value;
        }
        catch (InvalidWorkloadApiAddressException e)
        {
            throw new OptionsValidationException(
                Section,
                typeof(SpiffeJwtSourceOptions),
                [$"{Section}:EndpointSocket (or Spiffe:EndpointSocket, or {SpiffeX509SourceOptions.EndpointSocketVariable}) is required for Source WorkloadApi and must be a Workload API address: {e.Message}"]);
        }
    }
}
