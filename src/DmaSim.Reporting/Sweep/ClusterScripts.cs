using System.Globalization;
using System.Text;

namespace DmaSim.Reporting.Sweep;

/// <summary>How the cluster runs a sweep: shard count, the command that starts dmasim, and (k8s) the image.</summary>
public sealed record ClusterJob(int Tasks, string Dmasim, string Image);

/// <summary>
/// Job files for an existing scheduler rather than a home-made one. Slurm: an sbatch job array whose task
/// id is the shard, and a merge job that waits for the whole array (afterok). Kubernetes: an Indexed Job
/// whose completion index is the shard, writing to a results volume, and a merge Job to run after it.
/// </summary>
public static class ClusterScripts
{
    /// <summary>Files relative to the output folder: slurm/array.sbatch, slurm/merge.sbatch, slurm/submit.sh.</summary>
    public static IReadOnlyList<(string Name, string Text)> Slurm(string name, string specPath, string outputDir, ClusterJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var n = job.Tasks;
        var shards = string.Join(" ", Enumerable.Range(0, n).Select(i => Sh(Path.Combine(outputDir, "shard-" + i.ToString(CultureInfo.InvariantCulture)))));
        var array = new StringBuilder()
            .Append("#!/bin/bash\n")
            .Append(CultureInfo.InvariantCulture, $"#SBATCH --job-name=dmasim-{name}\n")
            .Append(CultureInfo.InvariantCulture, $"#SBATCH --array=0-{n - 1}\n")
            .Append("#SBATCH --ntasks=1\n")
            .Append(CultureInfo.InvariantCulture, $"#SBATCH --output={outputDir}/logs/%A_%a.out\n")
            .Append("# One array task per shard: SLURM_ARRAY_TASK_ID is the shard index. Every node must see the\n")
            .Append("# spec, its scenarios and the output folder at the same paths (shared storage).\n")
            .Append("set -euo pipefail\n")
            .Append(CultureInfo.InvariantCulture, $"exec {job.Dmasim} sweep {Sh(specPath)} --quiet --shard \"$SLURM_ARRAY_TASK_ID/{n}\" -o {Sh(outputDir)}/shard-\"$SLURM_ARRAY_TASK_ID\"\n")
            .ToString();
        var merge = new StringBuilder()
            .Append("#!/bin/bash\n")
            .Append(CultureInfo.InvariantCulture, $"#SBATCH --job-name=dmasim-{name}-merge\n")
            .Append("#SBATCH --ntasks=1\n")
            .Append(CultureInfo.InvariantCulture, $"#SBATCH --output={outputDir}/logs/merge_%j.out\n")
            .Append("# Submitted with --dependency=afterok:<array job>: runs once every shard has finished.\n")
            .Append("set -euo pipefail\n")
            .Append(CultureInfo.InvariantCulture, $"exec {job.Dmasim} sweep merge {shards} -o {Sh(outputDir)}/merged\n")
            .ToString();
        var submit = new StringBuilder()
            .Append("#!/bin/bash\n")
            .Append("# Submits the shard array, then the merge job that depends on all of it; prints both job ids.\n")
            .Append("set -euo pipefail\n")
            .Append("here=$(cd \"$(dirname \"$0\")\" && pwd)\n")
            .Append(CultureInfo.InvariantCulture, $"mkdir -p {Sh(outputDir)}/logs\n")
            .Append("array=$(sbatch --parsable \"$here/array.sbatch\")\n")
            .Append("merge=$(sbatch --parsable --dependency=afterok:\"${array%%;*}\" \"$here/merge.sbatch\")\n")
            .Append("echo \"$array $merge\"\n")
            .ToString();
        return [("slurm/array.sbatch", array), ("slurm/merge.sbatch", merge), ("slurm/submit.sh", submit)];
    }

    /// <summary>Files relative to the output folder: k8s/job.yaml (Indexed Job) and k8s/merge-job.yaml.</summary>
    public static IReadOnlyList<(string Name, string Text)> Kubernetes(string name, string specPath, string outputDir, ClusterJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var jobName = "dmasim-sweep-" + Dns(name);
        var n = job.Tasks;
        var spec = "/work/" + specPath.Replace('\\', '/').TrimStart('/');
        const string results = "/results";
        var run = $"exec {job.Dmasim} sweep {Sh(spec)} --quiet --shard \"$JOB_COMPLETION_INDEX/{n}\" -o {results}/shard-\"$JOB_COMPLETION_INDEX\"";
        var shards = string.Join(" ", Enumerable.Range(0, n).Select(i => $"{results}/shard-{i}"));
        var merge = $"exec {job.Dmasim} sweep merge {shards} -o {results}/merged";
        _ = outputDir;
        return [("k8s/job.yaml", Job(jobName, job, n, n, true, run)), ("k8s/merge-job.yaml", Job(jobName + "-merge", job, 1, 1, false, merge))];
    }

    private static string Job(string name, ClusterJob job, int completions, int parallelism, bool indexed, string command)
    {
        var sb = new StringBuilder()
            .Append("apiVersion: batch/v1\nkind: Job\nmetadata:\n")
            .Append(CultureInfo.InvariantCulture, $"  name: {name}\n")
            .Append("  labels:\n    app.kubernetes.io/name: dmasim\nspec:\n")
            .Append(CultureInfo.InvariantCulture, $"  completions: {completions}\n  parallelism: {parallelism}\n");
        if (indexed) sb.Append("  completionMode: Indexed\n");
        sb.Append("  backoffLimit: 2\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n")
          .Append("        - name: dmasim\n")
          .Append(CultureInfo.InvariantCulture, $"          image: {Yaml(job.Image)}\n")
          .Append("          command: [\"/bin/sh\", \"-c\"]\n")
          .Append(CultureInfo.InvariantCulture, $"          args: [{Yaml(command)}]\n")
          .Append("          volumeMounts:\n            - { name: results, mountPath: /results }\n            - { name: work, mountPath: /work, readOnly: true }\n")
          .Append("      volumes:\n")
          .Append("        - name: results\n          persistentVolumeClaim: { claimName: dmasim-results }\n")
          .Append("        - name: work\n          persistentVolumeClaim: { claimName: dmasim-work }\n");
        return sb.ToString();
    }

    /// <summary>A Kubernetes object name: lower-case letters, digits and '-'.</summary>
    private static string Dns(string s)
    {
        var chars = s.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray();
        var name = new string(chars).Trim('-');
        return name.Length > 40 ? name[..40].TrimEnd('-') : name;
    }

    private static string Sh(string s) => s.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-' or '+' or ':') ? s : "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string Yaml(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
