namespace Mtls.Identity;

/// <summary>
/// The SPIFFE-ID grammar, checked without allocating. Every check returns a <see cref="ParseError"/> rather than
/// throwing so that <c>TryParse</c> never pays for an exception.
/// </summary>
internal static class SpiffeIdParser
{
    internal const string Scheme = "spiffe://";
    internal const int MaxTrustDomainLength = 255;
    internal const int MaxIdLength = 2048;

    internal readonly record struct ParseError(SpiffeIdRule Rule, int Index, char Character)
    {
        public bool IsError => Rule != NoError;

        public InvalidSpiffeIdException ToException() => new(Rule, Index, Describe());

        private string Describe() => Rule switch
        {
            SpiffeIdRule.Empty => "SPIFFE ID is empty",
            SpiffeIdRule.WrongScheme => "SPIFFE ID must start with the scheme 'spiffe://' (lower case)",
            SpiffeIdRule.MissingTrustDomain => "trust domain is missing",
            SpiffeIdRule.TrustDomainCharacter => char.IsAsciiLetterUpper(Character)
                ? $"trust domain contains invalid character '{Character}' at index {Index}; trust domains are lower case"
                : $"trust domain contains invalid character {Show(Character)} at index {Index}; allowed are a-z, 0-9, '.', '-' and '_'",
            SpiffeIdRule.TrustDomainTooLong => $"trust domain is longer than {MaxTrustDomainLength} bytes",
            SpiffeIdRule.Port => $"SPIFFE ID must not have a port (':' at index {Index})",
            SpiffeIdRule.UserInfo => $"SPIFFE ID must not have user information ('@' at index {Index})",
            SpiffeIdRule.Query => $"SPIFFE ID must not have a query ('?' at index {Index})",
            SpiffeIdRule.Fragment => $"SPIFFE ID must not have a fragment ('#' at index {Index})",
            SpiffeIdRule.PercentEncoding => $"SPIFFE ID must not use percent-encoding ('%' at index {Index})",
            SpiffeIdRule.EmptySegment => $"path has an empty segment at index {Index}",
            SpiffeIdRule.DotSegment => $"path has a '.' or '..' segment at index {Index}",
            SpiffeIdRule.TrailingSlash => $"path must not end with '/' (index {Index})",
            SpiffeIdRule.PathCharacter => $"path contains invalid character {Show(Character)} at index {Index}; allowed are a-z, A-Z, 0-9, '.', '-' and '_'",
            SpiffeIdRule.PathNotAbsolute => "path must start with '/'",
            SpiffeIdRule.TooLong => $"SPIFFE ID is longer than {MaxIdLength} bytes",
            _ => "invalid SPIFFE ID",
        };

        private static string Show(char c) => char.IsControl(c) || char.IsWhiteSpace(c) || char.IsSurrogate(c)
            ? $"U+{(int)c:X4}"
            : $"'{c}'";
    }

    private const SpiffeIdRule NoError = (SpiffeIdRule)(-1);

    internal static readonly ParseError Ok = new(NoError, -1, '\0');

    /// <summary>Checks a whole ID; on success <paramref name="pathStart"/> is the index of the path (or the length).</summary>
    internal static ParseError CheckId(ReadOnlySpan<char> id, out int pathStart)
    {
        pathStart = 0;
        if (id.IsEmpty)
        {
            return new(SpiffeIdRule.Empty, -1, '\0');
        }

        if (!id.StartsWith(Scheme, StringComparison.Ordinal))
        {
            return new(SpiffeIdRule.WrongScheme, 0, '\0');
        }

        // A string longer than the limit in chars is longer in UTF-8 bytes too, so it can be rejected before
        // scanning; shorter strings are all-ASCII once valid, so chars equal bytes.
        if (id.Length > MaxIdLength)
        {
            return new(SpiffeIdRule.TooLong, MaxIdLength, '\0');
        }

        int slash = id[Scheme.Length..].IndexOf('/');
        pathStart = slash < 0 ? id.Length : Scheme.Length + slash;
        var domainError = CheckTrustDomain(id[Scheme.Length..pathStart], Scheme.Length);
        if (domainError.IsError)
        {
            return domainError;
        }

        return CheckPath(id[pathStart..], pathStart);
    }

    /// <summary>Checks a bare trust domain name; <paramref name="offset"/> shifts reported indexes.</summary>
    internal static ParseError CheckTrustDomain(ReadOnlySpan<char> name, int offset)
    {
        if (name.IsEmpty)
        {
            return new(SpiffeIdRule.MissingTrustDomain, offset, '\0');
        }

        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '-' or '_')
            {
                continue;
            }

            // "user:pass@host" holds a ':' before the '@': it is user information, not a port.
            int at = c == ':' ? name[i..].IndexOf('@') : -1;
            return at >= 0 ? new(SpiffeIdRule.UserInfo, offset + i + at, '@') : new(AuthorityRule(c), offset + i, c);
        }

        return name.Length > MaxTrustDomainLength ? new(SpiffeIdRule.TrustDomainTooLong, offset + MaxTrustDomainLength, '\0') : Ok;
    }

    /// <summary>Checks a path: empty, or '/'-separated non-empty segments of the allowed characters.</summary>
    internal static ParseError CheckPath(ReadOnlySpan<char> path, int offset)
    {
        if (path.IsEmpty)
        {
            return Ok;
        }

        if (path[0] != '/')
        {
            return new(SpiffeIdRule.PathNotAbsolute, offset, path[0]);
        }

        int segmentStart = 1;
        for (int i = 1; i <= path.Length; i++)
        {
            if (i < path.Length && path[i] != '/')
            {
                char c = path[i];
                if (!IsPathChar(c))
                {
                    return new(PathRule(c), offset + i, c);
                }

                continue;
            }

            var segment = path[segmentStart..i];
            if (segment.IsEmpty)
            {
                return i == path.Length
                    ? new(SpiffeIdRule.TrailingSlash, offset + i - 1, '/')
                    : new(SpiffeIdRule.EmptySegment, offset + i, '/');
            }

            if (segment is "." or "..")
            {
                return new(SpiffeIdRule.DotSegment, offset + segmentStart, '.');
            }

            segmentStart = i + 1;
        }

        return Ok;
    }

    /// <summary>Checks one segment given on its own (no '/').</summary>
    internal static ParseError CheckSegment(ReadOnlySpan<char> segment, int offset)
    {
        if (segment.IsEmpty)
        {
            return new(SpiffeIdRule.EmptySegment, offset, '\0');
        }

        if (segment is "." or "..")
        {
            return new(SpiffeIdRule.DotSegment, offset, '.');
        }

        for (int i = 0; i < segment.Length; i++)
        {
            if (!IsPathChar(segment[i]))
            {
                return new(PathRule(segment[i]), offset + i, segment[i]);
            }
        }

        return Ok;
    }

    private static bool IsPathChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_';

    private static SpiffeIdRule AuthorityRule(char c) => c switch
    {
        ':' => SpiffeIdRule.Port,
        '@' => SpiffeIdRule.UserInfo,
        '?' => SpiffeIdRule.Query,
        '#' => SpiffeIdRule.Fragment,
        '%' => SpiffeIdRule.PercentEncoding,
        _ => SpiffeIdRule.TrustDomainCharacter,
    };

    private static SpiffeIdRule PathRule(char c) => c switch
    {
        '?' => SpiffeIdRule.Query,
        '#' => SpiffeIdRule.Fragment,
        '%' => SpiffeIdRule.PercentEncoding,
        _ => SpiffeIdRule.PathCharacter,
    };
}
