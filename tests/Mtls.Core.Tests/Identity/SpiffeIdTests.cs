using Mtls.Identity;

namespace Mtls.Core.Tests.Identity;

public sealed class SpiffeIdTests
{
    private const string TrustDomainChars = "; allowed are a-z, 0-9, '.', '-' and '_'";
    private const string PathChars = "; allowed are a-z, A-Z, 0-9, '.', '-' and '_'";
    private const string WrongScheme = "SPIFFE ID must start with the scheme 'spiffe://' (lower case)";

    /// <summary>Valid IDs: input, expected trust domain, expected path.</summary>
    public static TheoryData<string, string, string> ValidIds => new()
    {
        { "spiffe://example.org", "example.org", "" },
        { "spiffe://example.org/web", "example.org", "/web" },
        { "spiffe://example.org/ns/prod/sa/web", "example.org", "/ns/prod/sa/web" },
        { "spiffe://cluster.local/ns/default/sa/default", "cluster.local", "/ns/default/sa/default" },
        { "spiffe://192.168.1.1/web", "192.168.1.1", "/web" },
        { "spiffe://10.0.0.1", "10.0.0.1", "" },
        { "spiffe://trust_domain/web", "trust_domain", "/web" },
        { "spiffe://123/456", "123", "/456" },
        { "spiffe://td-1.example_2.org/x", "td-1.example_2.org", "/x" },
        { "spiffe://a/b", "a", "/b" },
        { "spiffe://-.-_/x", "-.-_", "/x" },
        { "spiffe://xn--nxasmq6b.example/web", "xn--nxasmq6b.example", "/web" },
        { "spiffe://example.org/.-_", "example.org", "/.-_" },
        { "spiffe://example.org/...", "example.org", "/..." },
        { "spiffe://example.org/.hidden", "example.org", "/.hidden" },
        { "spiffe://example.org/a..b", "example.org", "/a..b" },
        { "spiffe://example.org/..a", "example.org", "/..a" },
        { "spiffe://example.org/MixedCase/PATH", "example.org", "/MixedCase/PATH" },
        { "spiffe://example.org/A-Z_a.z-0.9", "example.org", "/A-Z_a.z-0.9" },
        { "spiffe://example.org/0/1/2", "example.org", "/0/1/2" },
        { "spiffe://example.org/-", "example.org", "/-" },
        { "spiffe://example.org/_", "example.org", "/_" },
        { "spiffe://example.org/a/b/c/d/e/f/g/h/i/j", "example.org", "/a/b/c/d/e/f/g/h/i/j" },
        { "spiffe://example.org/web/v1.2.3", "example.org", "/web/v1.2.3" },
        { "spiffe://" + new string('t', 255), new string('t', 255), "" },
        { "spiffe://" + new string('t', 255) + "/web", new string('t', 255), "/web" },
        { TwoThousandFortyEightByteId(), "example.org", TwoThousandFortyEightByteId()["spiffe://example.org".Length..] },
    };

    /// <summary>Invalid IDs: input, rule broken, index, exact message.</summary>
    public static TheoryData<string, SpiffeIdRule, int, string> InvalidIds => new()
    {
        // Scheme
        { "", SpiffeIdRule.Empty, -1, "SPIFFE ID is empty" },
        { "example.org", SpiffeIdRule.WrongScheme, 0, WrongScheme },
        { "example.org/web", SpiffeIdRule.WrongScheme, 0, WrongScheme },
        { "http://example.org/web", SpiffeIdRule.WrongScheme, 0, WrongScheme },
        { "https://example.org/web", SpiffeIdRule.WrongScheme, 0, WrongScheme },
        { "SPIFFE://example.org/web", SpiffeIdRule.WrongScheme, 0, WrongScheme },
        { "Spiffe://example.org", SpiffeIdRule.WrongScheme, 0, WrongScheme },
        { "spiffe:/example.org", SpiffeIdRule.WrongScheme, 0, WrongScheme },
        { "spiffe:example.org", SpiffeIdRule.WrongScheme, 0, WrongScheme },
        { "spiffe//example.org", SpiffeIdRule.WrongScheme, 0, WrongScheme },
        { " spiffe://example.org", SpiffeIdRule.WrongScheme, 0, WrongScheme },
        { "spiffe ://example.org", SpiffeIdRule.WrongScheme, 0, WrongScheme },
        { "spiffe", SpiffeIdRule.WrongScheme, 0, WrongScheme },
        { "spiffe:", SpiffeIdRule.WrongScheme, 0, WrongScheme },

        // Trust domain
        { "spiffe://", SpiffeIdRule.MissingTrustDomain, 9, "trust domain is missing" },
        { "spiffe:///web", SpiffeIdRule.MissingTrustDomain, 9, "trust domain is missing" },
        { "spiffe://Example.org", SpiffeIdRule.TrustDomainCharacter, 9, "trust domain contains invalid character 'E' at index 9; trust domains are lower case" },
        { "spiffe://exAmple.org/web", SpiffeIdRule.TrustDomainCharacter, 11, "trust domain contains invalid character 'A' at index 11; trust domains are lower case" },
        { "spiffe://EXAMPLE.ORG", SpiffeIdRule.TrustDomainCharacter, 9, "trust domain contains invalid character 'E' at index 9; trust domains are lower case" },
        { "spiffe://exa mple.org", SpiffeIdRule.TrustDomainCharacter, 12, "trust domain contains invalid character U+0020 at index 12" + TrustDomainChars },
        { "spiffe://example.org\t", SpiffeIdRule.TrustDomainCharacter, 20, "trust domain contains invalid character U+0009 at index 20" + TrustDomainChars },
        { "spiffe://ex\0ample.org", SpiffeIdRule.TrustDomainCharacter, 11, "trust domain contains invalid character U+0000 at index 11" + TrustDomainChars },
        { "spiffe://exam!ple.org", SpiffeIdRule.TrustDomainCharacter, 13, "trust domain contains invalid character '!' at index 13" + TrustDomainChars },
        { "spiffe://ex*ample.org", SpiffeIdRule.TrustDomainCharacter, 11, "trust domain contains invalid character '*' at index 11" + TrustDomainChars },
        { "spiffe://exämple.org", SpiffeIdRule.TrustDomainCharacter, 11, "trust domain contains invalid character 'ä' at index 11" + TrustDomainChars },
        { "spiffe://example.org\\web", SpiffeIdRule.TrustDomainCharacter, 20, "trust domain contains invalid character '\\' at index 20" + TrustDomainChars },
        { "spiffe://[::1]/web", SpiffeIdRule.TrustDomainCharacter, 9, "trust domain contains invalid character '[' at index 9" + TrustDomainChars },
        { "spiffe://" + new string('t', 256), SpiffeIdRule.TrustDomainTooLong, 264, "trust domain is longer than 255 bytes" },
        { "spiffe://" + new string('t', 256) + "/web", SpiffeIdRule.TrustDomainTooLong, 264, "trust domain is longer than 255 bytes" },

        // Port and user information
        { "spiffe://example.org:8080/web", SpiffeIdRule.Port, 20, "SPIFFE ID must not have a port (':' at index 20)" },
        { "spiffe://example.org:/web", SpiffeIdRule.Port, 20, "SPIFFE ID must not have a port (':' at index 20)" },
        { "spiffe://192.168.0.1:443", SpiffeIdRule.Port, 20, "SPIFFE ID must not have a port (':' at index 20)" },
        { "spiffe://:443/web", SpiffeIdRule.Port, 9, "SPIFFE ID must not have a port (':' at index 9)" },
        { "spiffe://user@example.org/web", SpiffeIdRule.UserInfo, 13, "SPIFFE ID must not have user information ('@' at index 13)" },
        { "spiffe://user:pass@example.org", SpiffeIdRule.UserInfo, 18, "SPIFFE ID must not have user information ('@' at index 18)" },
        { "spiffe://@example.org", SpiffeIdRule.UserInfo, 9, "SPIFFE ID must not have user information ('@' at index 9)" },

        // Query and fragment
        { "spiffe://example.org?query", SpiffeIdRule.Query, 20, "SPIFFE ID must not have a query ('?' at index 20)" },
        { "spiffe://example.org?", SpiffeIdRule.Query, 20, "SPIFFE ID must not have a query ('?' at index 20)" },
        { "spiffe://example.org/web?x=1", SpiffeIdRule.Query, 24, "SPIFFE ID must not have a query ('?' at index 24)" },
        { "spiffe://example.org/web?", SpiffeIdRule.Query, 24, "SPIFFE ID must not have a query ('?' at index 24)" },
        { "spiffe://example.org#frag", SpiffeIdRule.Fragment, 20, "SPIFFE ID must not have a fragment ('#' at index 20)" },
        { "spiffe://example.org/web#frag", SpiffeIdRule.Fragment, 24, "SPIFFE ID must not have a fragment ('#' at index 24)" },
        { "spiffe://example.org/web#", SpiffeIdRule.Fragment, 24, "SPIFFE ID must not have a fragment ('#' at index 24)" },

        // Percent-encoding
        { "spiffe://example.org/%41", SpiffeIdRule.PercentEncoding, 21, "SPIFFE ID must not use percent-encoding ('%' at index 21)" },
        { "spiffe://ex%41mple.org", SpiffeIdRule.PercentEncoding, 11, "SPIFFE ID must not use percent-encoding ('%' at index 11)" },
        { "spiffe://example.org/we%20b", SpiffeIdRule.PercentEncoding, 23, "SPIFFE ID must not use percent-encoding ('%' at index 23)" },
        { "spiffe://example.org/%2e%2e", SpiffeIdRule.PercentEncoding, 21, "SPIFFE ID must not use percent-encoding ('%' at index 21)" },
        { "spiffe://example.org/web/%2F", SpiffeIdRule.PercentEncoding, 25, "SPIFFE ID must not use percent-encoding ('%' at index 25)" },
        { "spiffe://example.org/web%", SpiffeIdRule.PercentEncoding, 24, "SPIFFE ID must not use percent-encoding ('%' at index 24)" },

        // Segments
        { "spiffe://example.org//web", SpiffeIdRule.EmptySegment, 21, "path has an empty segment at index 21" },
        { "spiffe://example.org/web//api", SpiffeIdRule.EmptySegment, 25, "path has an empty segment at index 25" },
        { "spiffe://example.org/ns//", SpiffeIdRule.EmptySegment, 24, "path has an empty segment at index 24" },
        { "spiffe://example.org/", SpiffeIdRule.TrailingSlash, 20, "path must not end with '/' (index 20)" },
        { "spiffe://example.org/web/", SpiffeIdRule.TrailingSlash, 24, "path must not end with '/' (index 24)" },
        { "spiffe://example.org/.", SpiffeIdRule.DotSegment, 21, "path has a '.' or '..' segment at index 21" },
        { "spiffe://example.org/..", SpiffeIdRule.DotSegment, 21, "path has a '.' or '..' segment at index 21" },
        { "spiffe://example.org/web/./api", SpiffeIdRule.DotSegment, 25, "path has a '.' or '..' segment at index 25" },
        { "spiffe://example.org/web/../api", SpiffeIdRule.DotSegment, 25, "path has a '.' or '..' segment at index 25" },
        { "spiffe://example.org/web/..", SpiffeIdRule.DotSegment, 25, "path has a '.' or '..' segment at index 25" },

        // Path characters
        { "spiffe://example.org/web page", SpiffeIdRule.PathCharacter, 24, "path contains invalid character U+0020 at index 24" + PathChars },
        { "spiffe://example.org/web/ ", SpiffeIdRule.PathCharacter, 25, "path contains invalid character U+0020 at index 25" + PathChars },
        { "spiffe://example.org/web\n", SpiffeIdRule.PathCharacter, 24, "path contains invalid character U+000A at index 24" + PathChars },
        { "spiffe://example.org/web\r\n", SpiffeIdRule.PathCharacter, 24, "path contains invalid character U+000D at index 24" + PathChars },
        { "spiffe://example.org/web\0", SpiffeIdRule.PathCharacter, 24, "path contains invalid character U+0000 at index 24" + PathChars },
        { "spiffe://example.org/\u00A0", SpiffeIdRule.PathCharacter, 21, "path contains invalid character U+00A0 at index 21" + PathChars },
        { "spiffe://example.org/\U0001F600", SpiffeIdRule.PathCharacter, 21, "path contains invalid character U+D83D at index 21" + PathChars },
        { "spiffe://example.org/wéb", SpiffeIdRule.PathCharacter, 22, "path contains invalid character 'é' at index 22" + PathChars },
        { "spiffe://example.org/web*", SpiffeIdRule.PathCharacter, 24, "path contains invalid character '*' at index 24" + PathChars },
        { "spiffe://example.org/a:b", SpiffeIdRule.PathCharacter, 22, "path contains invalid character ':' at index 22" + PathChars },
        { "spiffe://example.org/a@b", SpiffeIdRule.PathCharacter, 22, "path contains invalid character '@' at index 22" + PathChars },
        { "spiffe://example.org/a+b", SpiffeIdRule.PathCharacter, 22, "path contains invalid character '+' at index 22" + PathChars },
        { "spiffe://example.org/a~b", SpiffeIdRule.PathCharacter, 22, "path contains invalid character '~' at index 22" + PathChars },
        { "spiffe://example.org/a!b", SpiffeIdRule.PathCharacter, 22, "path contains invalid character '!' at index 22" + PathChars },
        { "spiffe://example.org/a$b", SpiffeIdRule.PathCharacter, 22, "path contains invalid character '$' at index 22" + PathChars },
        { "spiffe://example.org/a&b", SpiffeIdRule.PathCharacter, 22, "path contains invalid character '&' at index 22" + PathChars },
        { "spiffe://example.org/a'b", SpiffeIdRule.PathCharacter, 22, "path contains invalid character ''' at index 22" + PathChars },
        { "spiffe://example.org/a(b", SpiffeIdRule.PathCharacter, 22, "path contains invalid character '(' at index 22" + PathChars },
        { "spiffe://example.org/a=b", SpiffeIdRule.PathCharacter, 22, "path contains invalid character '=' at index 22" + PathChars },
        { "spiffe://example.org/a;b", SpiffeIdRule.PathCharacter, 22, "path contains invalid character ';' at index 22" + PathChars },
        { "spiffe://example.org/a,b", SpiffeIdRule.PathCharacter, 22, "path contains invalid character ',' at index 22" + PathChars },
        { "spiffe://example.org/a\\b", SpiffeIdRule.PathCharacter, 22, "path contains invalid character '\\' at index 22" + PathChars },

        // Length
        { TwoThousandFortyEightByteId() + "x", SpiffeIdRule.TooLong, 2048, "SPIFFE ID is longer than 2048 bytes" },
        { "spiffe://example.org/" + new string('a', 100_000), SpiffeIdRule.TooLong, 2048, "SPIFFE ID is longer than 2048 bytes" },
    };

    [Theory]
    [MemberData(nameof(ValidIds))]
    public void Parses_valid_id(string input, string trustDomain, string path)
    {
        var id = SpiffeId.Parse(input);

        Assert.Equal(input, id.ToString());
        Assert.Equal(trustDomain, id.TrustDomain.Name);
        Assert.Equal(path, id.Path);
        Assert.Equal(path.Length == 0, id.IsTrustDomainId);
        Assert.True(SpiffeId.TryParse(input, out var parsed));
        Assert.Equal(id, parsed);
    }

    [Theory]
    [MemberData(nameof(InvalidIds))]
    public void Rejects_invalid_id_naming_rule_index_and_reason(string input, SpiffeIdRule rule, int index, string message)
    {
        var error = Assert.Throws<InvalidSpiffeIdException>(() => SpiffeId.Parse(input));

        Assert.Equal(rule, error.Rule);
        Assert.Equal(index, error.Index);
        Assert.Equal(message, error.Message);
    }

    [Theory]
    [MemberData(nameof(InvalidIds))]
    public void TryParse_returns_false_for_invalid_id(string input, SpiffeIdRule rule, int index, string message)
    {
        _ = (rule, index, message);

        Assert.False(SpiffeId.TryParse(input, out var id));
        Assert.Null(id);
    }

    [Fact]
    public void Accepts_an_id_of_exactly_2048_bytes()
    {
        string input = TwoThousandFortyEightByteId();

        Assert.Equal(2048, input.Length);
        Assert.Equal(input, SpiffeId.Parse(input).ToString());
    }

    [Fact]
    public void Parse_rejects_null_with_argument_null_exception() =>
        Assert.Throws<ArgumentNullException>(() => SpiffeId.Parse(null!));

    [Fact]
    public void TryParse_returns_false_for_null()
    {
        Assert.False(SpiffeId.TryParse(null, out var id));
        Assert.Null(id);
    }

    [Fact]
    public void Exposes_path_segments()
    {
        Assert.Equal(["ns", "prod", "sa", "web"], SpiffeId.Parse("spiffe://example.org/ns/prod/sa/web").Segments);
        Assert.Empty(SpiffeId.Parse("spiffe://example.org").Segments);
    }

    [Fact]
    public void FromSegments_builds_the_id()
    {
        var id = SpiffeId.FromSegments(TrustDomain.Parse("example.org"), "ns", "prod", "sa", "web");

        Assert.Equal("spiffe://example.org/ns/prod/sa/web", id.ToString());
        Assert.Equal(SpiffeId.Parse("spiffe://example.org/ns/prod/sa/web"), id);
    }

    [Fact]
    public void FromSegments_without_segments_is_the_trust_domain_id()
    {
        var id = SpiffeId.FromSegments(TrustDomain.Parse("example.org"));

        Assert.True(id.IsTrustDomainId);
        Assert.Equal("spiffe://example.org", id.ToString());
    }

    [Theory]
    [InlineData("", SpiffeIdRule.EmptySegment, 21)]
    [InlineData(".", SpiffeIdRule.DotSegment, 21)]
    [InlineData("..", SpiffeIdRule.DotSegment, 21)]
    [InlineData("a/b", SpiffeIdRule.PathCharacter, 22)]
    [InlineData("we b", SpiffeIdRule.PathCharacter, 23)]
    [InlineData("a?b", SpiffeIdRule.Query, 22)]
    [InlineData("a#b", SpiffeIdRule.Fragment, 22)]
    [InlineData("a%41", SpiffeIdRule.PercentEncoding, 22)]
    public void FromSegments_rejects_invalid_segment_with_index_in_the_resulting_id(string segment, SpiffeIdRule rule, int index)
    {
        var error = Assert.Throws<InvalidSpiffeIdException>(() => SpiffeId.FromSegments(TrustDomain.Parse("example.org"), segment));

        Assert.Equal(rule, error.Rule);
        Assert.Equal(index, error.Index);
    }

    [Fact]
    public void FromSegments_reports_the_index_of_a_later_bad_segment()
    {
        var error = Assert.Throws<InvalidSpiffeIdException>(() => SpiffeId.FromSegments(TrustDomain.Parse("example.org"), "ns", "b*d"));

        Assert.Equal(SpiffeIdRule.PathCharacter, error.Rule);
        Assert.Equal(25, error.Index);
    }

    [Fact]
    public void FromSegments_rejects_an_id_longer_than_2048_bytes()
    {
        var error = Assert.Throws<InvalidSpiffeIdException>(() => SpiffeId.FromSegments(TrustDomain.Parse("example.org"), new string('a', 2048)));

        Assert.Equal(SpiffeIdRule.TooLong, error.Rule);
    }

    [Theory]
    [InlineData("", "spiffe://example.org")]
    [InlineData("/web", "spiffe://example.org/web")]
    [InlineData("/ns/prod/sa/Web_1", "spiffe://example.org/ns/prod/sa/Web_1")]
    public void FromPath_builds_the_id(string path, string expected)
    {
        var id = SpiffeId.FromPath(TrustDomain.Parse("example.org"), path);

        Assert.Equal(expected, id.ToString());
        Assert.Equal(path, id.Path);
    }

    [Theory]
    [InlineData("web", SpiffeIdRule.PathNotAbsolute, 20, "path must start with '/'")]
    [InlineData("/", SpiffeIdRule.TrailingSlash, 20, "path must not end with '/' (index 20)")]
    [InlineData("/ns/", SpiffeIdRule.TrailingSlash, 23, "path must not end with '/' (index 23)")]
    [InlineData("//ns", SpiffeIdRule.EmptySegment, 21, "path has an empty segment at index 21")]
    [InlineData("/ns/../x", SpiffeIdRule.DotSegment, 24, "path has a '.' or '..' segment at index 24")]
    [InlineData("/ns?x", SpiffeIdRule.Query, 23, "SPIFFE ID must not have a query ('?' at index 23)")]
    public void FromPath_rejects_invalid_path(string path, SpiffeIdRule rule, int index, string message)
    {
        var error = Assert.Throws<InvalidSpiffeIdException>(() => SpiffeId.FromPath(TrustDomain.Parse("example.org"), path));

        Assert.Equal(rule, error.Rule);
        Assert.Equal(index, error.Index);
        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("spiffe://example.org/web", "example.org", true)]
    [InlineData("spiffe://example.org", "example.org", true)]
    [InlineData("spiffe://example.org.evil/web", "example.org", false)]
    [InlineData("spiffe://example.or/web", "example.org", false)]
    [InlineData("spiffe://sub.example.org/web", "example.org", false)]
    [InlineData("spiffe://other.org/example.org", "example.org", false)]
    public void IsMemberOf_compares_the_whole_trust_domain(string id, string trustDomain, bool expected)
    {
        var td = TrustDomain.Parse(trustDomain);

        Assert.Equal(expected, SpiffeId.Parse(id).IsMemberOf(td));
        Assert.Equal(expected, td.Contains(SpiffeId.Parse(id)));
    }

    [Fact]
    public void Equal_ids_are_equal_and_hash_alike()
    {
        var a = SpiffeId.Parse("spiffe://example.org/web");
        var b = SpiffeId.FromSegments(TrustDomain.Parse("example.org"), "web");

        Assert.Equal(a, b);
        Assert.True(a == b);
        Assert.False(a != b);
        Assert.True(a.Equals((object)b));
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.Equal(0, a.CompareTo(b));
    }

    [Fact]
    public void Paths_are_case_sensitive()
    {
        var lower = SpiffeId.Parse("spiffe://example.org/web");
        var upper = SpiffeId.Parse("spiffe://example.org/Web");

        Assert.NotEqual(lower, upper);
        Assert.True(lower != upper);
    }

    [Fact]
    public void Null_is_equal_only_to_null_and_orders_first()
    {
        var id = SpiffeId.Parse("spiffe://example.org/web");
        SpiffeId? none = null;

        Assert.False(id.Equals(null));
        Assert.False(id == none);
        Assert.True(none == null);
        Assert.True(none < id);
        Assert.True(id > none);
        Assert.Equal(1, id.CompareTo(null));
    }

    [Fact]
    public void Orders_ordinally()
    {
        string[] inputs = ["spiffe://b.org/a", "spiffe://a.org/z", "spiffe://a.org/Z", "spiffe://a.org"];

        var sorted = inputs.Select(SpiffeId.Parse).Order().Select(i => i.ToString()).ToArray();

        Assert.Equal(["spiffe://a.org", "spiffe://a.org/Z", "spiffe://a.org/z", "spiffe://b.org/a"], sorted);
        Assert.True(SpiffeId.Parse("spiffe://a.org/Z") < SpiffeId.Parse("spiffe://a.org/z"));
        Assert.True(SpiffeId.Parse("spiffe://a.org/z") >= SpiffeId.Parse("spiffe://a.org/z"));
        Assert.True(SpiffeId.Parse("spiffe://a.org/z") <= SpiffeId.Parse("spiffe://b.org"));
    }

    [Fact]
    public void Trust_domain_of_an_id_is_shared_with_its_id()
    {
        var id = SpiffeId.Parse("spiffe://example.org/web");

        Assert.Equal(TrustDomain.Parse("example.org"), id.TrustDomain);
        Assert.Equal(SpiffeId.Parse("spiffe://example.org"), id.TrustDomain.Id);
    }

    private static string TwoThousandFortyEightByteId()
    {
        // "spiffe://example.org" is 20 bytes; 2028 more as "/" + 63-char segments and a final remainder.
        var builder = new System.Text.StringBuilder("spiffe://example.org");
        while (builder.Length < 2048)
        {
            int room = 2048 - builder.Length - 1;
            builder.Append('/').Append('s', Math.Min(63, room));
        }

        return builder.ToString();
    }
}
