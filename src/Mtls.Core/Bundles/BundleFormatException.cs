namespace Mtls.Bundles;

/// <summary>
/// A SPIFFE bundle or JWKS document cannot be used. <see cref="Rule"/> names the rule broken; the message says
/// where (e.g. which key).
/// </summary>
public sealed class BundleFormatException : FormatException
{
    /// <summary>Creates the exception for a broken rule.</summary>
    public BundleFormatException(BundleFormatRule rule, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Rule = rule;
    }

    /// <summary>The rule broken.</summary>
    public BundleFormatRule Rule { get; }
}
