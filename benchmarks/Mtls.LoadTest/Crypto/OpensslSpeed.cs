using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Mtls.LoadTest.Crypto;

/// <summary>
/// The crypto ceiling of this machine for an ECDSA P-256 mTLS handshake, from <c>openssl speed</c>: per handshake
/// the server signs once (CertificateVerify), verifies three signatures (the client's CertificateVerify, its leaf
/// and its intermediate) and does one X25519 key agreement.
/// </summary>
internal sealed record OpensslSpeed(double SignsPerSecond, double VerifiesPerSecond, double EcdhPerSecond)
{
    /// <summary>Server-side handshakes per second one core could do if it did nothing but the handshake's crypto.</summary>
    internal double HandshakesPerSecondPerCore => 1.0 / ((1.0 / SignsPerSecond) + (3.0 / VerifiesPerSecond) + (1.0 / EcdhPerSecond));

    internal static async Task<OpensslSpeed?> MeasureAsync(int seconds)
    {
        try
        {
            string ecdsa = await RunAsync($"speed -seconds {seconds} ecdsap256");
            string ecdh = await RunAsync($"speed -seconds {seconds} ecdhx25519");
            var sign = Regex.Match(ecdsa, @"256 bits ecdsa \(nistp256\)\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)");
            var agree = Regex.Match(ecdh, @"253 bits ecdh \(X25519\)\s+\S+s\s+([\d.]+)");
            if (!sign.Success || !agree.Success)
            {
                return null;
            }

            return new OpensslSpeed(
                double.Parse(sign.Groups[1].Value, CultureInfo.InvariantCulture),
                double.Parse(sign.Groups[2].Value, CultureInfo.InvariantCulture),
                double.Parse(agree.Groups[1].Value, CultureInfo.InvariantCulture));
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private static async Task<string> RunAsync(string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo("openssl", arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output;
    }
}
