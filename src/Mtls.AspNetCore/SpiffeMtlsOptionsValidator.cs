using Microsoft.Extensions.Options;
using Mtls.Hosting;
using Mtls.Identity;

using Mtls.Tls;

namespace Mtls.AspNetCore;

/// <summary>Checks <see cref="SpiffeMtlsOptions"/> at startup; every message starts with the configuration key.</summary>
internal sealed class SpiffeMtlsOptionsValidator : IValidateOptions<SpiffeMtlsOptions>
{
    private const string Section = SpiffeMtlsOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, SpiffeMtlsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        for (int i = 0; i < options.AuthorizedTrustDomains.Count; i++)
        {
            string? value = options.AuthorizedTrustDomains[i];
            if (!TrustDomain.TryParse(value, out _))
            {
                failures.Add($"{Section}:AuthorizedTrustDomains:{i} '{value}' is not a valid trust domain name (e.g. example.org)");
            }
        }

        if (options.HandshakeTimeout <= TimeSpan.Zero || options.HandshakeTimeout > SpiffeTlsOptions.MaxHandshakeTimeout)
        {
            failures.Add($"{Section}:HandshakeTimeout must be positive and at most {SpiffeTlsOptions.MaxHandshakeTimeout}, not {options.HandshakeTimeout}");
        }

        if (options.MaxConnectionAge <= TimeSpan.Zero && options.MaxConnectionAge != Timeout.InfiniteTimeSpan)
        {
            failures.Add($"{Section}:MaxConnectionAge must be positive (or {Timeout.InfiniteTimeSpan} for no bound), not {options.MaxConnectionAge}");
        }

        for (int i = 0; i < options.PermissivePorts.Count; i++)
        {
            int port = options.PermissivePorts[i];
            if (port is < 1 or > 65535)
            {
                failures.Add($"{Section}:PermissivePorts:{i} must be a fixed port (1-65535), not {port}");
            }
            else if (options.Exemptions.Any(e => e.Port == port))
            {
                failures.Add($"{Section}:PermissivePorts:{i} {port} is also exempt from mTLS (ExemptPort): choose one");
            }
        }

        if (options.CallerInventory.MaxEntries is < 1 or > SpiffeCallerInventoryOptions.MaxEntriesLimit)
        {
            failures.Add($"{Section}:CallerInventory:MaxEntries must be between 1 and {SpiffeCallerInventoryOptions.MaxEntriesLimit}, not {options.CallerInventory.MaxEntries}");
        }

        for (int i = 0; i < options.Authorization.Rules.Count; i++)
        {
            try
            {
                options.Authorization.Rules[i].ToRule(i);
            }
            catch (ArgumentException e)
            {
                failures.Add($"{Section}:Authorization:Rules:{i}: {SpiffeX509SourceOptionsValidator.StripParameter(e)}");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
