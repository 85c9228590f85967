using System.Diagnostics;
using System.Globalization;
using Mtls.LoadTest.Crypto;
using Mtls.LoadTest.Load;
using Mtls.Sources;
using Mtls.X509;

namespace Mtls.LoadTest.Report;

/// <summary>
/// Where the server's CPU goes in one full handshake: the crypto floor from <c>openssl speed</c>, the SVID chain
/// verification measured here in-process, and everything else (the runtime's TLS machinery, HTTP, Kestrel) as the rest
/// of the server CPU per request in a full-handshake new-connection run.
/// </summary>
internal static class HandshakeCostSplit
{
    private const int Verifications = 2_000;

    internal static string? Describe(IReadOnlyList<LoadResult> runs, string scenario, OpensslSpeed? crypto, IX509Source source)
    {
        var full = runs.Where(r => r.Scenario == scenario && r.Protocol == "HTTP/1.1" && r.Connections == "new connection" && r.Requests > 0).ToList();
        var svid = source.GetX509Svid();
        if (full.Count == 0 || crypto is null || svid is null || source.Current is null)
        {
            return null;
        }

        double serverMicros = full.Select(r => r.ServerCpuSeconds / r.Requests * 1e6).Order().ElementAt(full.Count / 2);
        double cryptoMicros = 1e6 / crypto.HandshakesPerSecondPerCore;
        double chainMicros = MeasureChainMicros(svid, source.Current.Bundles);
        double rest = serverMicros - cryptoMicros - chainMicros;
        return string.Create(
            CultureInfo.InvariantCulture,
            $"Per full handshake ('{scenario}', HTTP/1.1 new connection, median of rounds): server CPU {serverMicros:0} us = crypto {cryptoMicros:0} us ({cryptoMicros / serverMicros:P0}; openssl speed: 1 ECDSA P-256 sign, 3 verifies, 1 X25519) + SVID chain verification {chainMicros:0} us ({chainMicros / serverMicros:P0}; X509SvidVerifier over the client's chain, measured in-process) + everything else {rest:0} us ({rest / serverMicros:P0}: the runtime's TLS state machine and context, Kestrel, HTTP, the request).");
    }

    private static double MeasureChainMicros(X509Svid svid, Mtls.Bundles.X509BundleSet bundles)
    {
        var verifier = new X509SvidVerifier(bundles);
        for (int i = 0; i < 100; i++)
        {
            verifier.Verify(svid.Certificate, svid.Intermediates);
        }

        var watch = Stopwatch.StartNew();
        for (int i = 0; i < Verifications; i++)
        {
            verifier.Verify(svid.Certificate, svid.Intermediates);
        }

        return watch.Elapsed.TotalMicroseconds / Verifications;
    }
}
