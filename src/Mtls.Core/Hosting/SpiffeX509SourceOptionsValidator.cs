using Microsoft.Extensions.Options;
using Mtls.Federation;
using Mtls.Files;
using Mtls.Identity;

namespace Mtls.Hosting;

/// <summary>Checks <see cref="SpiffeX509SourceOptions"/> at startup; every message starts with the configuration key.</summary>
internal sealed class SpiffeX509SourceOptionsValidator : IValidateOptions<SpiffeX509SourceOptions>
{
    private const string Section = SpiffeX509SourceOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, SpiffeX509SourceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        SpiffeSourceOptionsChecks.CheckSource(Section, options.Source, options.EndpointSocket, failures);

        if (options.Source == SpiffeSourceKind.Files)
        {
            ValidateFiles(options.Files, failures);
        }

        TrustDomain? local = null;
        if (options.TrustDomain is not null && !TrustDomain.TryParse(options.TrustDomain, out local))
        {
            failures.Add($"{Section}:TrustDomain '{options.TrustDomain}' is not a valid trust domain name (e.g. example.org)");
        }

        if (options.TrustDomain is null || local is not null)
        {
            FederatedTrustDomain.Validate(options.Federation, local, failures);
        }

        return SpiffeSourceOptionsChecks.Finish(Section, options.StartupTimeout, failures);
    }

    /// <summary>The message of <paramref name="e"/> without the " (Parameter 'x')" suffix: the key is named instead.</summary>
    internal static string StripParameter(ArgumentException e) =>
        e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", string.Empty, StringComparison.Ordinal);

    private static void ValidateFiles(FileX509SourceOptions files, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(files.Directory))
        {
            failures.Add($"{Section}:Files:Directory is required when {Section}:Source is Files: the directory holding the SVID files (e.g. /var/run/secrets/spiffe.io)");
            return;
        }

        try
        {
            files.Validate();
        }
        catch (ArgumentException e)
        {
            // The source's own check names the property; the key is what the operator sets.
            failures.Add($"{Section}:Files:{e.ParamName}: {StripParameter(e)}");
        }
    }
}
