using System.Security.Cryptography;

namespace Mtls.X509;

/// <summary>
/// A certificate chain is not a valid X.509-SVID, or does not verify against the trust bundle.
/// <see cref="Rule"/> names the rule broken.
/// </summary>
public sealed class X509SvidException : CryptographicException
{
    /// <summary>Creates the exception for a broken rule.</summary>
    public X509SvidException(X509SvidRule rule, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Rule = rule;
    }

    /// <summary>The rule broken.</summary>
    public X509SvidRule Rule { get; }
}
