namespace Mtls.Authorization;

/// <summary>
/// One value of a rule's path or method list: exact, prefix (<c>/api/*</c>), suffix (<c>*/health</c>) or any
/// (<c>*</c>), compared ignoring case because ASP.NET Core routes ignore case (a case-sensitive DENY could be
/// bypassed by changing the case of the path).
/// </summary>
internal readonly struct PeerAccessPattern
{
    private readonly string _text;
    private readonly Kind _kind;

    private PeerAccessPattern(string text, Kind kind)
    {
        _text = text;
        _kind = kind;
    }

    private enum Kind
    {
        Any,
        Exact,
        Prefix,
        Suffix,
    }

    internal static PeerAccessPattern Parse(string value, string what)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ArgumentException($"{what} must not be empty", nameof(value));
        }

        if (value == "*")
        {
            return new PeerAccessPattern(string.Empty, Kind.Any);
        }

        int star = value.IndexOf('*', StringComparison.Ordinal);
        if (star < 0)
        {
            return new PeerAccessPattern(value, Kind.Exact);
        }

        if (star != value.LastIndexOf('*'))
        {
            throw new ArgumentException($"{what} '{value}' may contain '*' only once, at its start or its end", nameof(value));
        }

        return star == value.Length - 1
            ? new PeerAccessPattern(value[..^1], Kind.Prefix)
            : star == 0
                ? new PeerAccessPattern(value[1..], Kind.Suffix)
                : throw new ArgumentException($"{what} '{value}' may contain '*' only at its start or its end", nameof(value));
    }

    internal bool IsMatch(ReadOnlySpan<char> value) => _kind switch
    {
        Kind.Any => true,
        Kind.Exact => value.Equals(_text, StringComparison.OrdinalIgnoreCase),
        Kind.Prefix => value.StartsWith(_text, StringComparison.OrdinalIgnoreCase),
        _ => value.EndsWith(_text, StringComparison.OrdinalIgnoreCase),
    };
}
