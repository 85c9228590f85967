using Mtls.Telemetry;

namespace Mtls.Core.Tests.Tls;

public sealed class LogTextTests
{
    [Fact]
    public void Plain_text_is_returned_unchanged()
    {
        const string text = "peer 'spiffe://example.org/web' is not authorized";

        Assert.Same(text, LogText.Sanitize(text));
    }

    [Theory]
    [InlineData("a\nb", "a\\nb")]
    [InlineData("a\r\nb", "a\\r\\nb")]
    [InlineData("a\tb", "a\\tb")]
    [InlineData("a\u001b[31mb", "a\\u001B[31mb")]
    [InlineData("a\0b", "a\\u0000b")]
    [InlineData("a\u2028b", "a\\u2028b")]
    [InlineData("a\u202Eb", "a\\u202Eb")]
    [InlineData("a\u0085b", "a\\u0085b")]
    public void Escapes_control_characters_line_separators_and_bidi_overrides(string text, string expected) =>
        Assert.Equal(expected, LogText.Sanitize(text));

    [Fact]
    public void Caps_the_length_and_says_how_much_was_cut()
    {
        string sanitized = LogText.Sanitize(new string('x', 100), maxLength: 10);

        Assert.Equal("xxxxxxxxxx...(90 more characters)", sanitized);
    }
}
