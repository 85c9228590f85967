using System.Diagnostics.CodeAnalysis;

namespace Mtls.Identity;

/// <summary>
/// A SPIFFE ID such as <c>spiffe://example.org/ns/prod/sa/web</c>: a workload's identity. Immutable; an instance
/// that exists is valid to the letter of the SPIFFE-ID specification. Equality and ordering are ordinal on the
/// whole ID (paths are case-sensitive).
/// </summary>
public sealed class SpiffeId : IEquatable<SpiffeId>, IComparable<SpiffeId>
{
    private readonly string _value;
    private readonly int _pathStart;
    private TrustDomain? _trustDomain;

    private SpiffeId(string value, int pathStart, TrustDomain? trustDomain)
    {
        _value = value;
        _pathStart = pathStart;
        _trustDomain = trustDomain;
    }

    /// <summary>The trust domain the ID belongs to.</summary>
    public TrustDomain TrustDomain => _trustDomain ??= TrustDomain.FromTrusted(_value[SpiffeIdParser.Scheme.Length.._pathStart]);

    /// <summary>The path, e.g. <c>/ns/prod/sa/web</c>; empty for the ID of a trust domain itself.</summary>
    public string Path => _value[_pathStart..];

    /// <summary>True when the path is empty: the ID names a trust domain, not a workload.</summary>
    public bool IsTrustDomainId => _pathStart == _value.Length;

    /// <summary>The path segments, e.g. <c>["ns", "prod", "sa", "web"]</c>.</summary>
    public IReadOnlyList<string> Segments => IsTrustDomainId ? [] : _value[(_pathStart + 1)..].Split('/');

    /// <summary>Parses a SPIFFE ID.</summary>
    /// <exception cref="InvalidSpiffeIdException">The input breaks a rule; the exception names it and where.</exception>
    public static SpiffeId Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var error = SpiffeIdParser.CheckId(value, out int pathStart);
        return error.IsError ? throw error.ToException() : new SpiffeId(value, pathStart, null);
    }

    /// <summary>Like <see cref="Parse"/>, but returns false instead of throwing. Never throws.</summary>
    public static bool TryParse([NotNullWhen(true)] string? value, [NotNullWhen(true)] out SpiffeId? id)
    {
        if (value is null || SpiffeIdParser.CheckId(value, out int pathStart).IsError)
        {
            id = null;
            return false;
        }

        id = new SpiffeId(value, pathStart, null);
        return true;
    }

    /// <summary>Builds an ID from a trust domain and path segments, e.g. <c>("ns", "prod")</c>.</summary>
    /// <exception cref="InvalidSpiffeIdException">A segment breaks a rule.</exception>
    public static SpiffeId FromSegments(TrustDomain trustDomain, params ReadOnlySpan<string> segments)
    {
        ArgumentNullException.ThrowIfNull(trustDomain);
        int offset = SpiffeIdParser.Scheme.Length + trustDomain.Name.Length;
        foreach (string segment in segments)
        {
            ArgumentNullException.ThrowIfNull(segment, nameof(segments));
            var error = SpiffeIdParser.CheckSegment(segment, offset + 1);
            if (error.IsError)
            {
                throw error.ToException();
            }

            offset += segment.Length + 1;
        }

        string path = segments.Length == 0 ? string.Empty : "/" + string.Join('/', segments.ToArray());
        return Build(trustDomain, path);
    }

    /// <summary>Builds an ID from a trust domain and a path such as <c>/ns/prod</c> (empty for the trust domain's ID).</summary>
    /// <exception cref="InvalidSpiffeIdException">The path breaks a rule.</exception>
    public static SpiffeId FromPath(TrustDomain trustDomain, string path)
    {
        ArgumentNullException.ThrowIfNull(trustDomain);
        ArgumentNullException.ThrowIfNull(path);
        var error = SpiffeIdParser.CheckPath(path, SpiffeIdParser.Scheme.Length + trustDomain.Name.Length);
        return error.IsError ? throw error.ToException() : Build(trustDomain, path);
    }

    /// <summary>True when the ID belongs to <paramref name="trustDomain"/>. Does not allocate.</summary>
    public bool IsMemberOf(TrustDomain trustDomain)
    {
        ArgumentNullException.ThrowIfNull(trustDomain);
        return _value.AsSpan(SpiffeIdParser.Scheme.Length, _pathStart - SpiffeIdParser.Scheme.Length)
            .SequenceEqual(trustDomain.Name);
    }

    /// <inheritdoc />
    public bool Equals(SpiffeId? other) => other is not null && string.Equals(_value, other._value, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is SpiffeId other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(_value);

    /// <inheritdoc />
    public int CompareTo(SpiffeId? other) => other is null ? 1 : string.CompareOrdinal(_value, other._value);

    /// <summary>The ID as a URI string; <c>Parse(id.ToString())</c> equals <c>id</c>.</summary>
    public override string ToString() => _value;

    /// <summary>Ordinal equality.</summary>
    public static bool operator ==(SpiffeId? left, SpiffeId? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Ordinal inequality.</summary>
    public static bool operator !=(SpiffeId? left, SpiffeId? right) => !(left == right);

    /// <summary>Ordinal ordering.</summary>
    public static bool operator <(SpiffeId? left, SpiffeId? right) => Compare(left, right) < 0;

    /// <summary>Ordinal ordering.</summary>
    public static bool operator <=(SpiffeId? left, SpiffeId? right) => Compare(left, right) <= 0;

    /// <summary>Ordinal ordering.</summary>
    public static bool operator >(SpiffeId? left, SpiffeId? right) => Compare(left, right) > 0;

    /// <summary>Ordinal ordering.</summary>
    public static bool operator >=(SpiffeId? left, SpiffeId? right) => Compare(left, right) >= 0;

    /// <summary>Wraps a string that has already passed <see cref="SpiffeIdParser.CheckId"/>.</summary>
    internal static SpiffeId FromTrusted(string value, TrustDomain? trustDomain)
    {
        int slash = value.IndexOf('/', SpiffeIdParser.Scheme.Length);
        return new SpiffeId(value, slash < 0 ? value.Length : slash, trustDomain);
    }

    private static SpiffeId Build(TrustDomain trustDomain, string path)
    {
        string value = SpiffeIdParser.Scheme + trustDomain.Name + path;
        if (value.Length > SpiffeIdParser.MaxIdLength)
        {
            throw new SpiffeIdParser.ParseError(SpiffeIdRule.TooLong, SpiffeIdParser.MaxIdLength, '\0').ToException();
        }

        return new SpiffeId(value, SpiffeIdParser.Scheme.Length + trustDomain.Name.Length, trustDomain);
    }

    private static int Compare(SpiffeId? left, SpiffeId? right) => left is null ? (right is null ? 0 : -1) : left.CompareTo(right);
}
