using Microsoft.Extensions.Options;
using Mtls.Identity;

namespace Mtls.Telemetry;

/// <summary>Checks <see cref="SpiffeTelemetryOptions"/> at startup; every message starts with the configuration key.</summary>
internal sealed class SpiffeTelemetryOptionsValidator : IValidateOptions<SpiffeTelemetryOptions>
{
    private const string Section = SpiffeTelemetryOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, SpiffeTelemetryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (!Enum.IsDefined(options.RequestIdentities))
        {
            failures.Add($"{Section}:RequestIdentities '{options.RequestIdentities}' is not Id, TrustDomain or None");
        }

        if (options.IdPatterns.Count > SpiffeTelemetryOptions.MaxIdPatterns)
        {
            failures.Add($"{Section}:IdPatterns has {options.IdPatterns.Count} patterns, more than MaxIdPatterns ({SpiffeTelemetryOptions.MaxIdPatterns})");
        }

        for (int i = 0; i < options.IdPatterns.Count && i < SpiffeTelemetryOptions.MaxIdPatterns; i++)
        {
            if (!SpiffeIdPattern.TryParse(options.IdPatterns[i], out _))
            {
                failures.Add($"{Section}:IdPatterns:{i} '{LogText.Sanitize(options.IdPatterns[i])}' is not a SPIFFE ID pattern");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
