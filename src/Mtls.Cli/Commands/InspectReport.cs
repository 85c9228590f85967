using System.Security.Cryptography.X509Certificates;

namespace Mtls.Cli.Commands;

/// <summary>What <c>mtls inspect</c> found about one file: its kind, its certificates, what was checked, and the first rule it breaks.</summary>
internal sealed class InspectReport(string path)
{
    internal string Kind { get; set; } = "unknown";

    internal string? Id { get; set; }

    internal List<X509Certificate2> Certificates { get; } = [];

    internal List<string> Checks { get; } = [];

    internal bool IsValid => Rule is null;

    internal string? Verdict { get; private set; }

    internal string? Rule { get; private set; }

    internal string? Reason { get; private set; }

    internal void Fail(string verdict, string rule, string reason)
    {
        Verdict = verdict;
        Rule = rule;
        Reason = reason;
    }

    internal void Print(CliOutput output)
    {
        if (output.Json)
        {
            output.WriteJson(w =>
            {
                w.WriteStartObject();
                w.WriteString("file", path);
                w.WriteString("kind", Kind);
                w.WriteBoolean("valid", IsValid);
                w.WriteString("id", Id);
                w.WriteString("rule", Rule);
                w.WriteString("reason", Reason);
                w.WriteStartArray("checks");
                foreach (string check in Checks)
                {
                    w.WriteStringValue(check);
                }

                w.WriteEndArray();
                w.WriteStartArray("certificates");
                foreach (var certificate in Certificates)
                {
                    CertificateText.Write(w, certificate);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            });
            return;
        }

        output.Line(IsValid ? $"{path}: valid {Kind}" : $"{path}: {Verdict}: {Rule}: {Reason}");
        if (Id is not null)
        {
            output.Line($"  SPIFFE ID  {Id}");
        }

        for (int i = 0; i < Certificates.Count; i++)
        {
            output.Line($"  {i + 1}. {CertificateText.Line(Certificates[i])}");
        }

        foreach (string check in Checks)
        {
            output.Line($"  - {check}");
        }
    }
}
