using System.Globalization;
using System.Text;
using System.Text.Json;
using DmaSim.Simulation.Firmware;

namespace DmaSim.Reporting.Firmware;

/// <summary>Lint findings as compiler-style text lines or as JSON (<c>dmasim dmar lint</c> output).</summary>
public static class DmarLintReport
{
    /// <summary>
    /// "FILE: severity: at byte offset N (0xN): message [rule]" per finding, each followed by the kernel's line,
    /// the consequence and the source, then a count line.
    /// </summary>
    public static string Text(string file, IReadOnlyList<DmarFinding> findings)
    {
        ArgumentNullException.ThrowIfNull(findings);
        var sb = new StringBuilder();
        foreach (var f in findings)
        {
            var sev = f.Severity == DmarLintSeverity.Error ? "error" : "warning";
            sb.Append(CultureInfo.InvariantCulture, $"{file}: {sev}: at byte offset {f.Offset} (0x{f.Offset:x}): {f.Message} [{f.Rule}]\n");
            if (f.KernelMessage is not null) sb.Append(CultureInfo.InvariantCulture, $"    kernel: {f.KernelMessage}\n");
            sb.Append(CultureInfo.InvariantCulture, $"    then:   {f.Consequence}\n");
            sb.Append(CultureInfo.InvariantCulture, $"    source: {f.Source}\n");
        }
        var errors = findings.Count(f => f.Severity == DmarLintSeverity.Error);
        sb.Append(CultureInfo.InvariantCulture, $"{file}: {errors} error(s), {findings.Count - errors} warning(s)\n");
        return sb.ToString();
    }

    /// <summary>One object per file (an array when several): <c>file</c>, <c>errors</c>, <c>warnings</c>, <c>findings[]</c>.</summary>
    public static string Json(IReadOnlyList<(string File, IReadOnlyList<DmarFinding> Findings)> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, DmarJson.Options))
        {
            if (results.Count != 1) w.WriteStartArray();
            foreach (var (file, findings) in results)
            {
                w.WriteStartObject();
                w.WriteString("schema", "dmasim-dmar-lint/v1");
                w.WriteString("file", file);
                w.WriteNumber("errors", findings.Count(f => f.Severity == DmarLintSeverity.Error));
                w.WriteNumber("warnings", findings.Count(f => f.Severity == DmarLintSeverity.Warning));
                w.WriteStartArray("findings");
                foreach (var f in findings)
                {
                    w.WriteStartObject();
                    w.WriteString("rule", f.Rule);
                    w.WriteString("severity", f.Severity == DmarLintSeverity.Error ? "error" : "warning");
                    w.WriteNumber("offset", f.Offset);
                    w.WriteString("message", f.Message);
                    if (f.KernelMessage is null) w.WriteNull("kernelMessage");
                    else w.WriteString("kernelMessage", f.KernelMessage);
                    w.WriteString("consequence", f.Consequence);
                    w.WriteString("source", f.Source);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            if (results.Count != 1) w.WriteEndArray();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }
}
