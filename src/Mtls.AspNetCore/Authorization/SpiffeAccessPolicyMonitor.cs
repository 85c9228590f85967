using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Mtls.Authorization;

namespace Mtls.AspNetCore.Authorization;

/// <summary>
/// The compiled rule set of <c>Spiffe:Authorization:Rules</c>, rebuilt once per configuration change (never per
/// request) and swapped atomically. A change whose options fail validation is logged with the failing keys and
/// ignored: the last good rule set keeps deciding.
/// </summary>
/// <remarks>
/// Changes are taken from the options' change token sources and built with the options factory rather than through
/// <see cref="IOptionsMonitor{TOptions}.OnChange"/>: the monitor calls its listeners only for options that validate
/// (an invalid reload throws out of the monitor's own callback before any listener runs), so a listener could never
/// report a rejected reload.
/// </remarks>
internal sealed partial class SpiffeAccessPolicyMonitor : IDisposable
{
    private const string RulesKey = SpiffeMtlsOptions.SectionName + ":Authorization:Rules";

    private readonly IOptionsFactory<SpiffeMtlsOptions> _factory;
    private readonly ILogger _logger;
    private readonly IDisposable[] _subscriptions;
    private readonly Lock _reload = new();
    private readonly IConfiguration? _configuration;
    private volatile PeerAccessPolicy _current;
    private string? _lastSeen;

    public SpiffeAccessPolicyMonitor(
        IOptionsMonitor<SpiffeMtlsOptions> monitor,
        IOptionsFactory<SpiffeMtlsOptions> factory,
        IEnumerable<IOptionsChangeTokenSource<SpiffeMtlsOptions>> changes,
        ILogger<SpiffeAccessPolicyMonitor> logger,
        IConfiguration? configuration = null)
    {
        _factory = factory;
        _logger = logger;
        _configuration = configuration;
        _lastSeen = RulesAsConfigured();

        // Startup validation has already checked these options; an error here stops the pipeline from being built.
        _current = monitor.CurrentValue.Authorization.ToPolicy();
        _subscriptions =
        [
            .. changes
                .Where(source => string.Equals(source.Name ?? Options.DefaultName, Options.DefaultName, StringComparison.Ordinal))
                .Select(source => ChangeToken.OnChange(source.GetChangeToken, Reload)),
        ];
    }

    /// <summary>The rule set deciding requests now.</summary>
    public PeerAccessPolicy Current => _current;

    public void Dispose()
    {
        foreach (var subscription in _subscriptions)
        {
            subscription.Dispose();
        }
    }

    private void Reload()
    {
        // One configuration change can fire several sources; building under a lock keeps the last build the one that
        // stays, and the rule set is compiled here, once, for every request that follows.
        lock (_reload)
        {
            // One configuration change fires several change sources: only a change of the rules' keys is a reload.
            string? seen = RulesAsConfigured();
            if (seen is not null && seen == _lastSeen)
            {
                return;
            }

            _lastSeen = seen;
            PeerAccessPolicy policy;
            try
            {
                policy = _factory.Create(Options.DefaultName).Authorization.ToPolicy();
            }
            catch (OptionsValidationException e)
            {
                LogReloadRejected(_logger, e.Message);
                return;
            }
            catch (ArgumentException e)
            {
                // Only reachable when the options validator is not registered: the rule compiler's own message,
                // prefixed with the key, as the validator would have reported it.
                LogReloadRejected(_logger, $"{RulesKey}: {e.Message}");
                return;
            }

            _current = policy;
            LogReloaded(_logger, policy.Rules.Count);
        }
    }

    /// <summary>The configured keys and values under the rules' section, or null without configuration.</summary>
    private string? RulesAsConfigured() => _configuration is null
        ? null
        : string.Join('\n', _configuration.GetSection(RulesKey).AsEnumerable().OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"));

    [LoggerMessage(10, LogLevel.Error, "SPIFFE access rules not reloaded, the last good rule set stays in force: {Failure}", EventName = "SpiffeRulesReloadRejected")]
    private static partial void LogReloadRejected(ILogger logger, string failure);

    [LoggerMessage(11, LogLevel.Information, "SPIFFE access rules reloaded: {RuleCount} rules", EventName = "SpiffeRulesReloaded")]
    private static partial void LogReloaded(ILogger logger, int ruleCount);
}
