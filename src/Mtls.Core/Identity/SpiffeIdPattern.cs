using System.Diagnostics.CodeAnalysis;

namespace Mtls.Identity;

/// <summary>
/// A SPIFFE ID with segment wildcards, e.g. <c>spiffe://prod.example/ns/*/sa/web</c>. <c>*</c> stands for exactly
/// one path segment; a final <c>**</c> stands for any number of further segments (including none). The trust
/// domain is always literal. Matching is ordinal and does not allocate.
/// </summary>
public sealed class SpiffeIdPattern : IEquatable<SpiffeIdPattern>
{
    private readonly string _pattern;
    private readonly string _literalPrefix;
    private readonly string?[] _rest;
    private readonly bool _anySuffix;

    private SpiffeIdPattern(string pattern, TrustDomain trustDomain, string[] segments, bool anySuffix)
    {
        _pattern = pattern;
        TrustDomain = trustDomain;
        _anySuffix = anySuffix;

        // The scheme, trust domain and leading literal segments are one ordinal prefix check; the segments from the
        // first '*' on (null) are matched one by one.
        int literal = Array.IndexOf(segments, "*");
        literal = literal < 0 ? segments.Length : literal;
        _literalPrefix = SpiffeIdParser.Scheme + trustDomain.Name + string.Concat(segments[..literal].Select(s => "/" + s));
        _rest = [.. segments[literal..].Select(s => s == "*" ? null : s)];
    }

    /// <summary>The trust domain every matching ID belongs to.</summary>
    public TrustDomain TrustDomain { get; }

    /// <summary>Parses a pattern.</summary>
    /// <exception cref="InvalidSpiffeIdException">The pattern, with wildcards taken as segments, is not a SPIFFE ID, or <c>**</c> is not last.</exception>
    public static SpiffeIdPattern Parse(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        return TryCreate(pattern, out var result, out var error) ? result : throw error;
    }

    /// <summary>Like <see cref="Parse"/>, but returns false instead of throwing.</summary>
    public static bool TryParse([NotNullWhen(true)] string? pattern, [NotNullWhen(true)] out SpiffeIdPattern? result)
    {
        result = null;
        return pattern is not null && TryCreate(pattern, out result, out _);
    }

    /// <summary>True when <paramref name="id"/> matches the pattern.</summary>
    public bool IsMatch(SpiffeId id)
    {
        ArgumentNullException.ThrowIfNull(id);
        var path = id.ToString().AsSpan();
        if (!path.StartsWith(_literalPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        // The prefix must end where the ID's trust domain or a segment ends: not "td.evil" nor "/nsx".
        path = path[_literalPrefix.Length..];
        if (!path.IsEmpty && path[0] != '/')
        {
            return false;
        }

        foreach (string? expected in _rest)
        {
            if (path.IsEmpty)
            {
                return false;
            }

            path = path[1..];
            int end = path.IndexOf('/');
            var segment = end < 0 ? path : path[..end];
            if (expected is not null && !segment.SequenceEqual(expected))
            {
                return false;
            }

            path = end < 0 ? [] : path[end..];
        }

        return _anySuffix || path.IsEmpty;
    }

    /// <inheritdoc />
    public bool Equals(SpiffeIdPattern? other) => other is not null && string.Equals(_pattern, other._pattern, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is SpiffeIdPattern other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(_pattern);

    /// <summary>The pattern as given.</summary>
    public override string ToString() => _pattern;

    private static bool TryCreate(string pattern, [NotNullWhen(true)] out SpiffeIdPattern? result, [NotNullWhen(false)] out InvalidSpiffeIdException? error)
    {
        result = null;
        error = null;
        var check = SpiffeIdParser.CheckId(WithWildcardsAsLiterals(pattern), out int pathStart);
        if (check.IsError)
        {
            error = check.ToException();
            return false;
        }

        var trustDomain = TrustDomain.FromTrusted(pattern[SpiffeIdParser.Scheme.Length..pathStart]);
        string[] segments = pathStart == pattern.Length ? [] : pattern[(pathStart + 1)..].Split('/');
        int doubleStar = Array.IndexOf(segments, "**");
        if (doubleStar >= 0 && doubleStar != segments.Length - 1)
        {
            error = new InvalidSpiffeIdException(SpiffeIdRule.PathCharacter, pattern.IndexOf("/**/", StringComparison.Ordinal) + 1, "'**' may only be the last segment of a pattern");
            return false;
        }

        bool anySuffix = doubleStar >= 0;
        result = new SpiffeIdPattern(pattern, trustDomain, anySuffix ? segments[..^1] : segments, anySuffix);
        return true;
    }

    /// <summary>
    /// Replaces each path segment that is exactly <c>*</c> or <c>**</c> by as many <c>x</c>, so that every other
    /// SPIFFE-ID rule is checked by the ID grammar and reported indexes stay those of the pattern. A <c>*</c>
    /// inside a segment (<c>web*</c>) stays and is rejected as an invalid path character.
    /// </summary>
    private static string WithWildcardsAsLiterals(string pattern)
    {
        int pathStart = pattern.Length >= SpiffeIdParser.Scheme.Length ? pattern.IndexOf('/', SpiffeIdParser.Scheme.Length) : -1;
        if (pathStart < 0 || !pattern.Contains('*', StringComparison.Ordinal))
        {
            return pattern;
        }

        char[] literal = pattern.ToCharArray();
        int segmentStart = pathStart + 1;
        for (int i = segmentStart; i <= literal.Length; i++)
        {
            if (i < literal.Length && literal[i] != '/')
            {
                continue;
            }

            var segment = pattern.AsSpan(segmentStart, i - segmentStart);
            if (segment is "*" or "**")
            {
                literal.AsSpan(segmentStart, segment.Length).Fill('x');
            }

            segmentStart = i + 1;
        }

        return new string(literal);
    }
}
