namespace Mtls.Authorization;

/// <summary>
/// The method list of a rule. The nine standard HTTP methods become bits, so a request's method is classified once
/// per decision and each rule tests it with one AND; any other value (a custom method, <c>*</c>, a prefix or suffix)
/// keeps a pattern compare. Case is ignored, as for paths.
/// </summary>
internal readonly struct MethodCondition
{
    private static readonly string[] Standard = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT"];

    private readonly int _mask;
    private readonly PeerAccessPattern[] _others;

    private MethodCondition(int mask, PeerAccessPattern[] others)
    {
        _mask = mask;
        _others = others;
    }

    /// <summary>True when the list is empty (no condition).</summary>
    internal bool IsEmpty => _mask == 0 && (_others is null || _others.Length == 0);

    internal static MethodCondition Parse(IEnumerable<string>? values, string what)
    {
        int mask = 0;
        var others = new List<PeerAccessPattern>();
        foreach (string value in values ?? [])
        {
            int bit = BitOf(value);
            if (bit != 0)
            {
                mask |= bit;
            }
            else
            {
                others.Add(PeerAccessPattern.Parse(value, what));
            }
        }

        return new MethodCondition(mask, [.. others]);
    }

    /// <summary>The bit of a standard method, or 0 for any other value.</summary>
    internal static int BitOf(ReadOnlySpan<char> method)
    {
        for (int i = 0; i < Standard.Length; i++)
        {
            if (method.Length == Standard[i].Length && method.Equals(Standard[i], StringComparison.OrdinalIgnoreCase))
            {
                return 1 << i;
            }
        }

        return 0;
    }

    /// <summary>True when the request's method (with its precomputed <paramref name="bit"/>) is in the list.</summary>
    internal bool IsMatch(int bit, ReadOnlySpan<char> method)
    {
        if ((_mask & bit) != 0)
        {
            return true;
        }

        foreach (var pattern in _others ?? [])
        {
            if (pattern.IsMatch(method))
            {
                return true;
            }
        }

        return false;
    }
}
