using System.Diagnostics;
using System.Text.Json;

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
        var start = new ProcessStartInfo("node", ["-e", SignScript])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var node = Process.Start(start)!;
        await node.StandardInput.WriteAsync(JsonSerializer.Serialize(new { sub = subject, aud = new[] { audience } }));
        node.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var stdout = node.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = node.StandardError.ReadToEndAsync(timeout.Token);
        await node.WaitForExitAsync(timeout.Token);
        Assert.True(node.ExitCode == 0, $"node exited with {node.ExitCode}: {await stderr}");
        using var result = JsonDocument.Parse(await stdout);
        return (result.RootElement.GetProperty("token").GetString()!, result.RootElement.GetProperty("bundle").GetRawText());
    }
}
