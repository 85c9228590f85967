using System.Text.Json;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.Jwt;
using Mtls.Testing.Jwt;
using Mtls.Testing.Processes;

namespace Mtls.Core.Tests.Jwt;

/// <summary>
/// Interop with an independent JWS implementation (Node's crypto): tokens we mint verify there with the JWKS we
/// publish, and tokens Node signs validate here with the JWKS Node exports (which carries no <c>use</c>, like SPIRE's).
/// </summary>
public sealed class JwtSvidNodeInteropTests
{
    private const string VerifyScript = """
        const crypto = require('crypto');
        const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
        const [h, p, s] = input.token.split('.');
        const header = JSON.parse(Buffer.from(h, 'base64url'));
        const key = crypto.createPublicKey({ key: input.jwks.keys.find(k => k.kid === header.kid), format: 'jwk' });
        const hash = 'sha' + header.alg.slice(2);
        const opts = header.alg.startsWith('ES') ? { key, dsaEncoding: 'ieee-p1363' }
          : header.alg.startsWith('PS') ? { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: crypto.constants.RSA_PSS_SALTLEN_DIGEST }
          : key;
        console.log(crypto.verify(hash, Buffer.from(h + '.' + p), opts, Buffer.from(s, 'base64url')) ? 'verified' : 'bad signature');
        """;

    private const string SignScript = """
        const crypto = require('crypto');
        const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
        const alg = input.alg;
        const { publicKey, privateKey } = alg.startsWith('ES')
          ? crypto.generateKeyPairSync('ec', { namedCurve: { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }[alg] })
          : crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
        const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'node-1' };
        const enc = o => Buffer.from(JSON.stringify(o)).toString('base64url');
        const signingInput = enc({ alg, typ: 'JWT', kid: 'node-1' }) + '.' + enc({ sub: input.sub, aud: input.aud, exp: Math.floor(Date.now() / 1000) + 300 });
        const hash = 'sha' + alg.slice(2);
        const opts = alg.startsWith('ES') ? { key: privateKey, dsaEncoding: 'ieee-p1363' }
          : alg.startsWith('PS') ? { key: privateKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: crypto.constants.RSA_PSS_SALTLEN_DIGEST }
          : privateKey;
        const token = signingInput + '.' + crypto.sign(hash, Buffer.from(signingInput), opts).toString('base64url');
        console.log(JSON.stringify({ jwks: { keys: [jwk] }, token }));
        """;

    [Theory]
    [InlineData(JwtSvidAlgorithm.ES256)]
    [InlineData(JwtSvidAlgorithm.ES384)]
    [InlineData(JwtSvidAlgorithm.ES512)]
    [InlineData(JwtSvidAlgorithm.RS256)]
    [InlineData(JwtSvidAlgorithm.PS256)]
    [InlineData(JwtSvidAlgorithm.PS512)]
    public async Task Node_verifies_tokens_we_mint_with_the_jwks_we_publish(JwtSvidAlgorithm algorithm)
    {
        using var issuer = TestJwtIssuer.Create("example.org", algorithm);
        string input = $$"""{"jwks":{{issuer.ToJwks()}},"token":"{{issuer.IssueToken("spiffe://example.org/web", "api")}}"}""";

        Assert.Equal("verified", await ExternalCommand.RunToSuccessAsync("node", ["-e", VerifyScript], input));
    }

    [Theory]
    [InlineData("ES256")]
    [InlineData("ES384")]
    [InlineData("ES512")]
    [InlineData("RS256")]
    [InlineData("PS256")]
    [InlineData("PS384")]
    public async Task We_validate_tokens_node_signs_with_the_jwks_node_exports(string alg)
    {
        string output = await ExternalCommand.RunToSuccessAsync("node", ["-e", SignScript], $$"""{"alg":"{{alg}}","sub":"spiffe://example.org/web","aud":["api"]}""");
        using var result = JsonDocument.Parse(output);
        var bundle = JwtBundle.Parse(TrustDomain.Parse("example.org"), result.RootElement.GetProperty("jwks").GetRawText());
        var validator = new JwtSvidValidator(new JwtBundleSet([bundle]));

        var svid = validator.Validate(result.RootElement.GetProperty("token").GetString()!, "api");

        Assert.Equal("spiffe://example.org/web", svid.Id.ToString());
    }
}
