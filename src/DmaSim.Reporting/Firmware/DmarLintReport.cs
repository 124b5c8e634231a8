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
            var sev = SeverityName(f.Severity);
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
        return results.Count == 1
            ? JsonSerializer.Serialize(Document(results[0].File, results[0].Findings), DmarJsonContext.Relaxed.DmarLintDocument)
            : JsonSerializer.Serialize([.. results.Select(r => Document(r.File, r.Findings))], DmarJsonContext.Relaxed.DmarLintDocumentArray);
    }

    private static DmarLintDocument Document(string file, IReadOnlyList<DmarFinding> findings) => new(
        "dmasim-dmar-lint/v1", file,
        findings.Count(f => f.Severity == DmarLintSeverity.Error), findings.Count(f => f.Severity == DmarLintSeverity.Warning),
        [.. findings.Select(f => new DmarLintFindingJson(f.Rule, SeverityName(f.Severity), f.Offset, f.Message, f.KernelMessage, f.Consequence, f.Source))]);

    private static string SeverityName(DmarLintSeverity s) => s == DmarLintSeverity.Error ? "error" : "warning";
}

/// <summary>dmasim-dmar-lint/v1: one file's findings.</summary>
internal sealed record DmarLintDocument(string Schema, string File, int Errors, int Warnings, DmarLintFindingJson[] Findings);

/// <summary>One finding; <c>kernelMessage</c> is null when Linux prints nothing.</summary>
internal sealed record DmarLintFindingJson(
    string Rule, string Severity, int Offset, string Message, string? KernelMessage, string Consequence, string Source);
