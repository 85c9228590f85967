using System.Diagnostics.CodeAnalysis;

namespace Mtls.Authorization;

/// <summary>
/// Normalises a request path before <see cref="PeerAccessPolicy"/> rules match it, so that the spellings a server
/// routes to the same endpoint read the same and a DENY written for a route cannot be sidestepped by respelling it
/// (Istio's <c>pathNormalization</c> BASE plus MERGE_SLASHES, plus the trailing slash ASP.NET Core routing
/// ignores): percent-encoded unreserved characters (<c>A-Z a-z 0-9 - . _ ~</c>) are decoded, backslashes become
/// slashes, repeated slashes are merged, <c>.</c> and <c>..</c> segments are removed (never above the root), and a
/// trailing slash is dropped. Case is kept: rules compare paths ignoring case.
/// </summary>
public static class RequestPath
{
    /// <summary>
    /// Normalises <paramref name="path"/>; an empty path is the root <c>/</c>. Returns the same string, without
    /// allocating, when it is already normal.
    /// </summary>
    /// <returns>
    /// False (refuse the request) when the path does not start with <c>/</c>, or holds an encoded slash or backslash
    /// (<c>%2F</c>, <c>%5C</c>), including one that decoding would form: whether that is a separator depends on who
    /// reads it (routing keeps it inside a segment, a catch-all route value or a proxy decodes it), so no reading is
    /// safe for both DENY and ALLOW rules.
    /// </returns>
    public static bool TryNormalize(string? path, [NotNullWhen(true)] out string? normalized)
    {
        normalized = null;
        if (path is null)
        {
            return false;
        }

        if (IsNormal(path))
        {
            normalized = path;
            return true;
        }

        if (path.Length == 0)
        {
            normalized = "/";
            return true;
        }

        if (path[0] is not ('/' or '\\'))
        {
            return false;
        }

        // Decoding can spell a new escape out of a literal '%' ("%%32%46" decodes to "%2F"), so passes repeat until
        // nothing changes: the result is a fixed point, hence idempotent, and an escape formed this way is refused
        // like one sent directly. Each pass that changes something shortens the string or removes a character class
        // for good, so this ends.
        string current = path;
        while (true)
        {
            if (!TryNormalizeOnce(current, out string next))
            {
                return false;
            }

            if (string.Equals(next, current, StringComparison.Ordinal))
            {
                normalized = next;
                return true;
            }

            current = next;
        }
    }

    /// <summary>
    /// True when normalising would return <paramref name="path"/> itself: it starts with <c>/</c> and has no
    /// <c>%</c>, backslash, empty segment, dot segment or trailing slash. One pass, no allocation.
    /// </summary>
    private static bool IsNormal(string path)
    {
        if (path.Length == 0 || path[0] != '/')
        {
            return false;
        }

        if (path.Length == 1)
        {
            return true;
        }

        // The end of the string closes the last segment like a slash would, so a trailing slash is an empty segment.
        int segmentStart = 1;
        for (int i = 1; i <= path.Length; i++)
        {
            char c = i < path.Length ? path[i] : '/';
            if (c is '%' or '\\')
            {
                return false;
            }

            if (c != '/')
            {
                continue;
            }

            int length = i - segmentStart;
            if (length == 0 || (length <= 2 && path[segmentStart] == '.' && path[i - 1] == '.'))
            {
                return false;
            }

            segmentStart = i + 1;
        }

        return true;
    }

    private static bool TryNormalizeOnce(string path, out string result)
    {
        result = string.Empty;
        char[] decoded = new char[path.Length];
        int length = 0;
        for (int i = 0; i < path.Length; i++)
        {
            char c = path[i];
            if (c == '%' && i + 2 < path.Length && HexValue(path[i + 1]) is int high and >= 0 && HexValue(path[i + 2]) is int low and >= 0)
            {
                char escaped = (char)((high << 4) | low);
                if (escaped is '/' or '\\')
                {
                    return false;
                }

                if (IsUnreserved(escaped))
                {
                    decoded[length++] = escaped;
                    i += 2;
                    continue;
                }
            }

            decoded[length++] = c == '\\' ? '/' : c;
        }

        // Rebuild segment by segment: empty and '.' segments vanish, '..' removes the segment before it (at the root
        // it is dropped, as RFC 3986 5.2.4 does), and no slash is written after the last segment.
        char[] output = new char[length];
        int written = 0;
        int at = 0;
        while (at < length)
        {
            if (decoded[at] == '/')
            {
                at++;
                continue;
            }

            int start = at;
            while (at < length && decoded[at] != '/')
            {
                at++;
            }

            var segment = decoded.AsSpan(start, at - start);
            if (segment.SequenceEqual("."))
            {
                continue;
            }

            if (segment.SequenceEqual(".."))
            {
                written = Math.Max(0, output.AsSpan(0, written).LastIndexOf('/'));
                continue;
            }

            output[written++] = '/';
            segment.CopyTo(output.AsSpan(written));
            written += segment.Length;
        }

        result = written == 0 ? "/" : new string(output, 0, written);
        return true;
    }

    private static bool IsUnreserved(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~';

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
