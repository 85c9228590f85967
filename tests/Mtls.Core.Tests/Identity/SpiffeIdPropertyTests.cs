using CsCheck;
using Mtls.Identity;

namespace Mtls.Core.Tests.Identity;

public sealed class SpiffeIdPropertyTests
{
    private const string TrustDomainAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789.-_";
    private const string PathAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_";

    private static readonly Gen<string> TrustDomainName =
        Gen.Char[TrustDomainAlphabet].Array[1, 64].Select(c => new string(c));

    private static readonly Gen<string> Segment =
        Gen.Char[PathAlphabet].Array[1, 24].Select(c => new string(c)).Where(s => s is not "." and not "..");

    private static readonly Gen<string> ValidId =
        Gen.Select(TrustDomainName, Segment.Array[0, 8], (td, segments) =>
            "spiffe://" + td + string.Concat(segments.Select(s => "/" + s)));

    /// <summary>Strings built from the characters that matter to the grammar, plus anything at all.</summary>
    private static readonly Gen<string> AnyString = Gen.OneOf(
        Gen.String,
        Gen.Char.Array[0, 300].Select(c => new string(c)),
        Gen.Char["spiffe:/.-_%?#@[]Aa0 \0\t\uD83D\uDE00\u00E9"].Array[0, 80].Select(c => new string(c)),
        Gen.Select(ValidId, Gen.Int[0, 1000], Gen.Char, (id, at, c) => id.Insert(at % (id.Length + 1), c.ToString())),
        Gen.Select(ValidId, Gen.Int[0, 1000], (id, at) => id.Remove(at % id.Length, 1)));

    [Fact]
    public void Parse_of_ToString_round_trips_for_valid_ids() =>
        ValidId.Sample(input =>
        {
            var id = SpiffeId.Parse(input);
            var again = SpiffeId.Parse(id.ToString());

            Assert.Equal(input, id.ToString());
            Assert.Equal(id, again);
            Assert.Equal(id.GetHashCode(), again.GetHashCode());
        }, iter: 2000, threads: 1);

    [Fact]
    public void FromSegments_agrees_with_Parse_for_valid_ids() =>
        Gen.Select(TrustDomainName, Segment.Array[0, 8]).Sample((td, segments) =>
        {
            var built = SpiffeId.FromSegments(TrustDomain.Parse(td), segments);

            Assert.Equal(SpiffeId.Parse(built.ToString()), built);
            Assert.Equal(segments, built.Segments);
            Assert.True(built.IsMemberOf(TrustDomain.Parse(td)));
        }, iter: 1000, threads: 1);

    [Fact]
    public void TryParse_never_throws_and_agrees_with_Parse() =>
        AnyString.Sample(input =>
        {
            bool parsed = SpiffeId.TryParse(input, out var id);
            bool domainParsed = TrustDomain.TryParse(input, out _);
            bool patternParsed = SpiffeIdPattern.TryParse(input, out _);

            if (parsed)
            {
                Assert.Equal(input, id!.ToString());
                Assert.True(domainParsed);
                Assert.True(patternParsed);
            }
            else
            {
                Assert.Throws<InvalidSpiffeIdException>(() => SpiffeId.Parse(input));
            }
        }, iter: 5000, threads: 1);

    [Fact]
    public void TryParse_never_throws_for_huge_strings()
    {
        string[] inputs =
        [
            new('a', 5_000_000),
            "spiffe://" + new string('a', 5_000_000),
            "spiffe://example.org/" + new string('/', 5_000_000),
            new('\uD83D', 1_000_000),
            new('\0', 1_000_000),
        ];

        foreach (string input in inputs)
        {
            Assert.False(SpiffeId.TryParse(input, out _));
            Assert.False(TrustDomain.TryParse(input, out _));
            Assert.False(SpiffeIdPattern.TryParse(input, out _));
        }
    }
}
