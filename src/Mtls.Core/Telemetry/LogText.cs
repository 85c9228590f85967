using System.Globalization;
using System.Text;

namespace Mtls.Telemetry;

/// <summary>
/// Makes text that someone else chose (a peer's certificate subject or URI, an exception message quoting it, a key
/// sent by an agent) safe to put in a log line: control characters, line and paragraph separators and bidirectional
/// overrides are escaped (<c>\n</c>, <c>\u001B</c>, ...), so a value cannot forge extra log lines or hide text, and
/// the length is capped, so a value cannot flood the log.
/// </summary>
internal static class LogText
{
    /// <summary>Room for any SPIFFE ID (2,048 bytes) plus the sentence around it; longer text is cut.</summary>
    internal const int DefaultMaxLength = 2560;

    /// <summary>The escaped, length-capped form of <paramref name="text"/>; the text itself when nothing needs doing.</summary>
    internal static string Sanitize(string? text, int maxLength = DefaultMaxLength)
    {
        if (text is null)
        {
            return string.Empty;
        }

        if (text.Length <= maxLength && !text.AsSpan().ContainsAny(Unsafe))
        {
            return text;
        }

        var builder = new StringBuilder(Math.Min(text.Length, maxLength) + 32);
        int i = 0;
        for (; i < text.Length && builder.Length < maxLength; i++)
        {
            char c = text[i];
            switch (c)
            {
                case '\n':
                    builder.Append("\\n");
                    break;
                case '\r':
                    builder.Append("\\r");
                    break;
                case '\t':
                    builder.Append("\\t");
                    break;
                default:
                    if (NeedsEscape(c))
                    {
                        builder.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        if (i < text.Length)
        {
            builder.Append("...(").Append((text.Length - i).ToString(CultureInfo.InvariantCulture)).Append(" more characters)");
        }

        return builder.ToString();
    }

    private static readonly System.Buffers.SearchValues<char> Unsafe = System.Buffers.SearchValues.Create(BuildUnsafe());

    private static bool NeedsEscape(char c) =>
        char.IsControl(c) || c is '\u2028' or '\u2029' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069') or '\u200E' or '\u200F';

    private static string BuildUnsafe()
    {
        var chars = new StringBuilder();
        for (int c = 0; c <= 0xFFFF; c++)
        {
            if (NeedsEscape((char)c))
            {
                chars.Append((char)c);
            }
        }

        return chars.ToString();
    }
}
