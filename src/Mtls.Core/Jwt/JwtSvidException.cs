using System.Security.Cryptography;

namespace Mtls.Jwt;

/// <summary>
/// A token is not a valid JWT-SVID, or does not validate against the bundle of its trust domain.
/// <see cref="Rule"/> names the rule broken. The message never contains the token.
/// </summary>
public sealed class JwtSvidException : CryptographicException
{
    /// <summary>Creates the exception for a broken rule.</summary>
    public JwtSvidException(JwtSvidRule rule, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Rule = rule;
    }

    /// <summary>The rule broken.</summary>
    public JwtSvidRule Rule { get; }
}
