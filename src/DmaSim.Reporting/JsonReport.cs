using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using DmaSim.Core;
using DmaSim.Simulation;

namespace DmaSim.Reporting;

/// <summary>
/// The `dmasim-result/v1` JSON contract: one object per run, an array when there are several. Field
/// order is fixed so two runs of the same scenario give byte-identical output.
/// </summary>
public static class JsonReport
{
    public const string Schema = "dmasim-result/v1";

    public static string Write(IReadOnlyList<RunResult> runs)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            if (runs.Count == 1) WriteRun(w, runs[0]);
            else
            {
                w.WriteStartArray();
                foreach (var r in runs) WriteRun(w, r);
                w.WriteEndArray();
            }
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private static void WriteRun(Utf8JsonWriter w, RunResult r)
    {
        w.WriteStartObject();
        w.WriteString("schema", Schema);
        w.WriteString("scenario", r.Scenario);
        w.WriteString("profile", r.Profile);
        w.WriteString("cmdline", r.Cmdline);
        w.WriteString("sourceFile", r.SourceFile);
        w.WriteNumber("seed", r.Seed);
        w.WriteString("profileSummary", r.ProfileSummary);
        w.WriteString("workload", r.WorkloadName);
        w.WriteStartArray("devices");
        foreach (var d in r.Devices)
        {
            w.WriteStartObject();
            w.WriteString("name", d.Name);
            w.WriteString("bdf", d.Bdf);
            w.WriteString("model", d.ModelName);
            w.WriteNumber("dmaMaskBits", d.DmaMaskBits);
            w.WriteNumber("coherentDmaMaskBits", d.CoherentDmaMaskBits);
            w.WriteString("domain", d.DomainName);
            w.WriteString("dmaOps", d.DmaOpsName);
            w.WriteString("outcome", d.OutcomeName);
            if (d.Group is { } g) w.WriteNumber("group", g);
            else w.WriteNull("group");
            w.WriteString("flush", d.Flush);
            w.WriteString("driver", d.Driver);
            w.WriteString("vfio", d.Vfio);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("findings");
        foreach (var f in r.Findings)
        {
            w.WriteStartObject();
            w.WriteString("kind", f.KindName);
            w.WriteString("device", f.Device);
            w.WriteString("outcome", ContractWords.Outcomes.NameOf(f.Outcome));
            w.WriteString("message", f.Message);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("explanations");
        foreach (var e in r.Explanations)
        {
            w.WriteStartObject();
            w.WriteString("device", e.Device);
            w.WriteString("text", e.Text);
            w.WriteString("source", e.Source);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("expectations");
        foreach (var e in r.Expectations)
        {
            w.WriteStartObject();
            w.WriteString("text", e.Text);
            w.WriteBoolean("held", e.Held);
            if (e.Actual is not null) w.WriteString("actual", e.Actual);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartObject("counters");
        foreach (var c in r.Counters) w.WriteNumber(c.Name, c.Value);
        w.WriteEndObject();
        w.WriteNumber("simulatedNs", r.SimulatedNs);
        w.WriteStartArray("log");
        foreach (var l in r.Log) w.WriteStringValue(l);
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
