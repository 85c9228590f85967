using System.Text;
using System.Text.Json;

namespace Mtls.Cli;

/// <summary>Where a command writes: human text by default, one JSON document with <c>--json</c>.</summary>
internal sealed class CliOutput(TextWriter output, TextWriter error, bool json)
{
    /// <summary>True with <c>--json</c>.</summary>
    internal bool Json { get; } = json;

    /// <summary>Standard output.</summary>
    internal TextWriter Out { get; } = output;

    /// <summary>Standard error.</summary>
    internal TextWriter Error { get; } = error;

    /// <summary>Writes one indented JSON document on its own line(s).</summary>
    internal void WriteJson(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            write(writer);
        }

        Out.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
        Out.Flush();
    }

    /// <summary>Writes a line of human output.</summary>
    internal void Line(string text = "")
    {
        Out.WriteLine(text);
        Out.Flush();
    }
}
