namespace Mtls.Identity;

/// <summary>The rule of the SPIFFE-ID specification that an input broke.</summary>
public enum SpiffeIdRule
{
    /// <summary>The input is empty.</summary>
    Empty,

    /// <summary>The input does not start with the <c>spiffe://</c> scheme (lower case).</summary>
    WrongScheme,

    /// <summary>The trust domain is empty.</summary>
    MissingTrustDomain,

    /// <summary>The trust domain has a character outside <c>a-z 0-9 . - _</c>.</summary>
    TrustDomainCharacter,

    /// <summary>The trust domain is longer than 255 bytes.</summary>
    TrustDomainTooLong,

    /// <summary>The URI carries a port (a <c>:</c> in the authority).</summary>
    Port,

    /// <summary>The URI carries user information (an <c>@</c> in the authority).</summary>
    UserInfo,

    /// <summary>The URI carries a query (<c>?</c>).</summary>
    Query,

    /// <summary>The URI carries a fragment (<c>#</c>).</summary>
    Fragment,

    /// <summary>The URI uses percent-encoding (<c>%</c>).</summary>
    PercentEncoding,

    /// <summary>The path has an empty segment (<c>//</c>).</summary>
    EmptySegment,

    /// <summary>The path has a <c>.</c> or <c>..</c> segment.</summary>
    DotSegment,

    /// <summary>The path ends with <c>/</c>.</summary>
    TrailingSlash,

    /// <summary>A path segment has a character outside <c>a-z A-Z 0-9 . - _</c>.</summary>
    PathCharacter,

    /// <summary>The path does not start with <c>/</c>.</summary>
    PathNotAbsolute,

    /// <summary>The whole ID is longer than 2048 bytes.</summary>
    TooLong,
}
