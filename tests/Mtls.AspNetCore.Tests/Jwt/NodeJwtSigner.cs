using System.Text.Json;
using Mtls.Testing.Processes;

namespace Mtls.AspNetCore.Tests.Jwt;

/// <summary>A JWT-SVID signer we did not write: Node's built-in crypto (no npm packages), run as a child process.</summary>
public static class NodeJwtSigner
{
    private const string SignScript = """
        const crypto = require('crypto');
        const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
        const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
        const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'node-key', use: 'jwt-svid' };
        const enc = o => Buffer.from(JSON.stringify(o)).toString('base64url');
        const now = Math.floor(Date.now() / 1000);
        const signingInput = enc({ alg: 'ES256', typ: 'JWT', kid: 'node-key' }) + '.' + enc({ sub: input.sub, aud: input.aud, iat: now, exp: now + 300, minted_by: 'node' });
        const signature = crypto.sign('sha256', Buffer.from(signingInput), { key: privateKey, dsaEncoding: 'ieee-p1363' });
        console.log(JSON.stringify({ bundle: { keys: [jwk] }, token: signingInput + '.' + signature.toString('base64url') }));
        """;

    /// <summary>Mints an ES256 JWT-SVID with a fresh key; returns the token and a SPIFFE bundle holding the public key.</summary>
    public static async Task<(string Token, string Bundle)> MintAsync(string subject, string audience)
    {
        string output = await ExternalCommand.RunToSuccessAsync("node", ["-e", SignScript], JsonSerializer.Serialize(new { sub = subject, aud = new[] { audience } }));
        using var result = JsonDocument.Parse(output);
        return (result.RootElement.GetProperty("token").GetString()!, result.RootElement.GetProperty("bundle").GetRawText());
    }
}
