using System.Globalization;
using System.Numerics;
using Mtls.X509;

namespace Mtls.DataStores.Tests;

internal static class Serials
{
    /// <summary>The SVID leaf's serial number in decimal, as PostgreSQL's <c>pg_stat_ssl.client_serial</c> shows it.</summary>
    internal static string Decimal(X509Svid svid) =>
        new BigInteger(svid.Certificate.SerialNumberBytes.Span, isUnsigned: true, isBigEndian: true).ToString(CultureInfo.InvariantCulture);
}
