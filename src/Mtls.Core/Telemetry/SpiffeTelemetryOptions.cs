namespace Mtls.Telemetry;

/// <summary>
/// What the request metrics say about identities (section <c>Spiffe:Telemetry</c>). Only verified IDs are ever
/// reported; these options bound the number of series for large fleets. Spans carry the same attributes.
/// </summary>
public sealed class SpiffeTelemetryOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "Spiffe:Telemetry";

    /// <summary>How much of each verified ID the request metrics carry; <see cref="SpiffeIdDetail.Id"/> by default.</summary>
    public SpiffeIdDetail RequestIdentities { get; set; } = SpiffeIdDetail.Id;

    /// <summary>
    /// SPIFFE ID patterns (<c>spiffe://td/ns/*/sa/web</c>, a final <c>**</c> for any further segments): an ID matching
    /// one is reported as the first such pattern's text, e.g. every replica's ID as its service's pattern. IDs matching
    /// none are reported as <see cref="RequestIdentities"/> says. At most <see cref="MaxIdPatterns"/>.
    /// </summary>
    public IList<string> IdPatterns { get; } = [];

    /// <summary>The most <see cref="IdPatterns"/> accepted: each is tried once per connection.</summary>
    public const int MaxIdPatterns = 256;
}
