using CsCheck;
using Mtls.Authorization;

namespace Mtls.Core.Tests.Authorization;

public sealed class RequestPathTests
{
    private static readonly Gen<string> AnyPath = Gen.OneOf(
        Gen.String,
        Gen.Char["/\\.%2fF5cC6a1Aadmin~-_ "].Array[0, 40].Select(c => new string(c)),
        Gen.Char["/\\.%2fF5cC6a1A"].Array[0, 40].Select(c => "/" + new string(c)));

    [Theory]
    [InlineData("/", "/")]
    [InlineData("", "/")]
    [InlineData("/admin", "/admin")]
    [InlineData("/admin/", "/admin")]
    [InlineData("/admin//", "/admin")]
    [InlineData("/Admin", "/Admin")]
    [InlineData("//admin", "/admin")]
    [InlineData("/admin/.", "/admin")]
    [InlineData("/admin/./", "/admin")]
    [InlineData("/x/../admin", "/admin")]
    [InlineData("/../admin", "/admin")]
    [InlineData("/a/b/../../..", "/")]
    [InlineData("/admin/..", "/")]
    [InlineData("/%61dmin", "/admin")]
    [InlineData("/%2E%2E/admin", "/admin")]
    [InlineData("/.%2e/admin", "/admin")]
    [InlineData("/x/%2E%2E/admin", "/admin")]
    [InlineData("/%7Euser/a%2Db", "/~user/a-b")]
    [InlineData("\\admin", "/admin")]
    [InlineData("/x\\..\\admin", "/admin")]
    [InlineData("/a%20b", "/a%20b")]
    [InlineData("/caf%C3%A9", "/caf%C3%A9")]
    [InlineData("/100%", "/100%")]
    [InlineData("/%zz", "/%zz")]
    [InlineData("/%2561dmin", "/%2561dmin")]
    [InlineData("/admin..", "/admin..")]
    [InlineData("/.well-known/x", "/.well-known/x")]
    [InlineData("/api/*/x", "/api/*/x")]
    public void Normalises_every_spelling_routing_treats_as_the_same_path(string path, string expected)
    {
        Assert.True(RequestPath.TryNormalize(path, out string? normalized));
        Assert.Equal(expected, normalized);
    }

    [Theory]
    [InlineData("/admin%2F")]
    [InlineData("/admin%2f")]
    [InlineData("/admin%5C")]
    [InlineData("/ad%2Fmin")]
    [InlineData("/x/..%2Fadmin")]
    [InlineData("/%%32%46admin")]
    [InlineData("admin")]
    [InlineData("*")]
    [InlineData("http://host/admin")]
    [InlineData(null)]
    public void Refuses_encoded_separators_and_paths_not_starting_with_a_slash(string? path)
    {
        Assert.False(RequestPath.TryNormalize(path, out string? normalized));
        Assert.Null(normalized);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/api/orders/42")]
    [InlineData("/Admin/.hidden/a..b")]
    public void Returns_a_normal_path_itself_without_allocating(string path)
    {
        RequestPath.TryNormalize(path, out _);

        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.True(RequestPath.TryNormalize(path, out string? normalized));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Same(path, normalized);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Normalising_never_throws_and_is_idempotent()
    {
        AnyPath.Sample(
            path => !RequestPath.TryNormalize(path, out string? once) || (RequestPath.TryNormalize(once, out string? twice) && once == twice),
            iter: 20_000);
    }
}
