namespace Mtls.Authorization;

/// <summary>
/// One value of a rule's path or method list: exact, prefix (<c>/api/*</c>), suffix (<c>*/health</c>) or any
/// (<c>*</c>), compared ignoring case because ASP.NET Core routes ignore case (a case-sensitive DENY could be
/// bypassed by changing the case of the path). Path values are matched against <see cref="RequestPath"/>-normalised
/// paths, so they are normalised or checked to be normal when parsed (<see cref="ParsePath"/>).
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

        /// <summary>
        /// A prefix ending in a slash (<c>/admin/*</c>), kept without it: matches the path itself too, because
        /// normalisation turns <c>/admin/</c>, which routing sends to <c>/admin</c> and Istio's <c>/admin/*</c>
        /// matches, into <c>/admin</c>.
        /// </summary>
        SegmentPrefix,
    }

    /// <summary>
    /// Parses a path value. An exact path is stored normalised (<c>/admin/</c> is <c>/admin</c>); the text of a
    /// prefix or suffix must already be normal, because normalising part of a path can change what it covers.
    /// Percent-encoding is refused: the server decodes the request path before rules see it, so an encoded value
    /// would never match.
    /// </summary>
    internal static PeerAccessPattern ParsePath(string value, string what)
    {
        var pattern = Parse(value, what);
        if (pattern._kind == Kind.Any)
        {
            return pattern;
        }

        if (pattern._text.Contains('%', StringComparison.Ordinal))
        {
            throw new ArgumentException($"{what} '{value}' must not be percent-encoded: write it decoded, as the route template is", nameof(value));
        }

        switch (pattern._kind)
        {
            case Kind.Exact:
                return RequestPath.TryNormalize(pattern._text, out string? exact)
                    ? new PeerAccessPattern(exact, Kind.Exact)
                    : throw NotNormal(value, what);
            case Kind.Prefix when pattern._text.EndsWith('/'):
                string segments = pattern._text.Length == 1 ? "/" : pattern._text[..^1];
                return IsNormal(segments) ? new PeerAccessPattern(segments, Kind.SegmentPrefix) : throw NotNormal(value, what);
            case Kind.Prefix:
                return IsNormal(pattern._text) ? pattern : throw NotNormal(value, what);
            default:
                return IsNormal(pattern._text.StartsWith('/') ? pattern._text : "/" + pattern._text) ? pattern : throw NotNormal(value, what);
        }
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
        Kind.SegmentPrefix => value.StartsWith(_text, StringComparison.OrdinalIgnoreCase)
            && (value.Length == _text.Length || _text.Length == 1 || value[_text.Length] == '/'),
        _ => value.EndsWith(_text, StringComparison.OrdinalIgnoreCase),
    };

    private static bool IsNormal(string path) =>
        RequestPath.TryNormalize(path, out string? normalized) && string.Equals(normalized, path, StringComparison.Ordinal);

    private static ArgumentException NotNormal(string value, string what) => new(
        $"{what} '{value}' is not a normal path (no '.' or '..' segment, repeated slash, backslash or encoded slash): requests are matched after normalisation",
        nameof(value));
}
