using Microsoft.Extensions.Options;

namespace Mtls.Http;

/// <summary>Rejects settings that would leave connections unbounded or make every connect fail.</summary>
internal sealed class SpiffeHttpClientOptionsValidator : IValidateOptions<SpiffeHttpClientOptions>
{
    public ValidateOptionsResult Validate(string? name, SpiffeHttpClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.PooledConnectionLifetime < TimeSpan.Zero || options.PooledConnectionLifetime == Timeout.InfiniteTimeSpan)
        {
            errors.Add($"{nameof(SpiffeHttpClientOptions.PooledConnectionLifetime)} must be zero or positive and finite: connections must not outlive a rotation unboundedly");
        }

        if (options.ConnectTimeout <= TimeSpan.Zero && options.ConnectTimeout != Timeout.InfiniteTimeSpan)
        {
            errors.Add($"{nameof(SpiffeHttpClientOptions.ConnectTimeout)} must be positive");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    internal static void ThrowIfInvalid(SpiffeHttpClientOptions options)
    {
        var result = new SpiffeHttpClientOptionsValidator().Validate(null, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(SpiffeHttpClientOptions), result.Failures);
        }
    }
}
