using System.Diagnostics.CodeAnalysis;

namespace Mtls.Identity;

/// <summary>
/// A SPIFFE trust domain such as <c>example.org</c>: the realm whose bundle vouches for its identities. Immutable;
/// an instance that exists is valid. Equality and ordering are ordinal on the name.
/// </summary>
public sealed class TrustDomain : IEquatable<TrustDomain>, IComparable<TrustDomain>
{
    private SpiffeId? _id;

    private TrustDomain(string name) => Name = name;

    /// <summary>The trust domain name, e.g. <c>example.org</c>.</summary>
    public string Name { get; }

    /// <summary>The SPIFFE ID of the trust domain itself, e.g. <c>spiffe://example.org</c>.</summary>
    public SpiffeId Id => _id ??= SpiffeId.FromTrusted(SpiffeIdParser.Scheme + Name, this);

    /// <summary>
    /// Parses a trust domain name (<c>example.org</c>) or a SPIFFE ID (<c>spiffe://example.org/any/path</c>),
    /// whose trust domain is taken.
    /// </summary>
    /// <exception cref="InvalidSpiffeIdException">The input breaks a rule; the exception names it.</exception>
    public static TrustDomain Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var error = Check(value, out var result);
        return error.IsError ? throw error.ToException() : result!;
    }

    /// <summary>Like <see cref="Parse"/>, but returns false instead of throwing. Never throws.</summary>
    public static bool TryParse([NotNullWhen(true)] string? value, [NotNullWhen(true)] out TrustDomain? trustDomain)
    {
        if (value is null)
        {
            trustDomain = null;
            return false;
        }

        return !Check(value, out trustDomain).IsError;
    }

    /// <summary>True when <paramref name="id"/> belongs to this trust domain.</summary>
    public bool Contains(SpiffeId id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return id.IsMemberOf(this);
    }

    /// <inheritdoc />
    public bool Equals(TrustDomain? other) => other is not null && string.Equals(Name, other.Name, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is TrustDomain other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Name);

    /// <inheritdoc />
    public int CompareTo(TrustDomain? other) => other is null ? 1 : string.CompareOrdinal(Name, other.Name);

    /// <summary>The trust domain name, e.g. <c>example.org</c>.</summary>
    public override string ToString() => Name;

    /// <summary>Ordinal equality.</summary>
    public static bool operator ==(TrustDomain? left, TrustDomain? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Ordinal inequality.</summary>
    public static bool operator !=(TrustDomain? left, TrustDomain? right) => !(left == right);

    /// <summary>Ordinal ordering.</summary>
    public static bool operator <(TrustDomain? left, TrustDomain? right) => Compare(left, right) < 0;

    /// <summary>Ordinal ordering.</summary>
    public static bool operator <=(TrustDomain? left, TrustDomain? right) => Compare(left, right) <= 0;

    /// <summary>Ordinal ordering.</summary>
    public static bool operator >(TrustDomain? left, TrustDomain? right) => Compare(left, right) > 0;

    /// <summary>Ordinal ordering.</summary>
    public static bool operator >=(TrustDomain? left, TrustDomain? right) => Compare(left, right) >= 0;

    /// <summary>Wraps a name that has already been checked.</summary>
    internal static TrustDomain FromTrusted(string name) => new(name);

    private static int Compare(TrustDomain? left, TrustDomain? right) => left is null ? (right is null ? 0 : -1) : left.CompareTo(right);

    private static SpiffeIdParser.ParseError Check(string value, out TrustDomain? result)
    {
        result = null;
        if (value.Contains("://", StringComparison.Ordinal))
        {
            var idError = SpiffeIdParser.CheckId(value, out _);
            if (idError.IsError)
            {
                return idError;
            }

            result = SpiffeId.FromTrusted(value, null).TrustDomain;
            return SpiffeIdParser.Ok;
        }

        var error = value.Length == 0
            ? new SpiffeIdParser.ParseError(SpiffeIdRule.MissingTrustDomain, -1, '\0')
            : SpiffeIdParser.CheckTrustDomain(value, 0);
        if (!error.IsError)
        {
            result = new TrustDomain(value);
        }

        return error;
    }
}
