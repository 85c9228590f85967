namespace Mtls.Identity;

/// <summary>
/// A string is not a valid SPIFFE ID, trust domain or path. <see cref="Rule"/> names the rule broken and
/// <see cref="Index"/> where in the input it was found.
/// </summary>
public sealed class InvalidSpiffeIdException : FormatException
{
    /// <summary>Creates the exception for a broken rule.</summary>
    /// <param name="rule">The rule broken.</param>
    /// <param name="index">Where in the input, or -1 when the rule concerns the input as a whole.</param>
    /// <param name="message">The human-readable explanation.</param>
    public InvalidSpiffeIdException(SpiffeIdRule rule, int index, string message)
        : base(message)
    {
        Rule = rule;
        Index = index;
    }

    /// <summary>The rule of the SPIFFE-ID specification that the input broke.</summary>
    public SpiffeIdRule Rule { get; }

    /// <summary>The index in the input where the rule was broken, or -1 for the input as a whole.</summary>
    public int Index { get; }
}
