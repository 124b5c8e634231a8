using DmaSim.Reporting.Sweep;
using k8s;
using k8s.Models;

namespace DmaSim.Cli.Tests;

/// <summary>The job files of `sweep --emit`: the Kubernetes manifest read by the KubernetesClient _job model, and the sbatch array.</summary>
public sealed class ClusterScriptsTests
{
    private static readonly ClusterJob _job = new(6, "dmasim", "registry.example/dmasim:1");

    [Fact]
    public void The_kubernetes_manifest_is_an_indexed_job_whose_index_is_the_shard()
    {
        var files = ClusterScripts.Kubernetes("seed-ram-cmdline", "specs/seed.yaml", "out", _job);
        var job = KubernetesYaml.Deserialize<V1Job>(files.Single(f => f.Name == "k8s/job.yaml").Text, strict: true);
        Assert.Equal(("batch/v1", "Job"), (job.ApiVersion, job.Kind));
        Assert.Equal("dmasim-sweep-seed-ram-cmdline", job.Metadata.Name);
        Assert.Equal(("Indexed", 6, 6), (job.Spec.CompletionMode, job.Spec.Completions, job.Spec.Parallelism));
        var pod = job.Spec.Template.Spec;
        Assert.Equal("Never", pod.RestartPolicy);
        var c = Assert.Single(pod.Containers);
        Assert.Equal("registry.example/dmasim:1", c.Image);
        Assert.Contains("--shard \"$JOB_COMPLETION_INDEX/6\"", c.Args[0], StringComparison.Ordinal);
        Assert.Contains("-o /results/shard-\"$JOB_COMPLETION_INDEX\"", c.Args[0], StringComparison.Ordinal);
        Assert.Contains(c.VolumeMounts, m => m.Name == "results" && m.MountPath == "/results");
        Assert.Equal("dmasim-results", pod.Volumes.Single(v => v.Name == "results").PersistentVolumeClaim.ClaimName);
        var merge = KubernetesYaml.Deserialize<V1Job>(files.Single(f => f.Name == "k8s/merge-job.yaml").Text, strict: true);
        Assert.Null(merge.Spec.CompletionMode);
        Assert.Contains("sweep merge /results/shard-0 /results/shard-1 /results/shard-2 /results/shard-3 /results/shard-4 /results/shard-5 -o /results/merged",
            merge.Spec.Template.Spec.Containers[0].Args[0], StringComparison.Ordinal);
    }

    [Fact]
    public void The_slurm_array_maps_task_ids_to_shards_and_the_merge_waits_for_all_of_it()
    {
        var files = ClusterScripts.Slurm("s", "/shared/spec.yaml", "/shared/out", _job).ToDictionary(f => f.Name, f => f.Text);
        Assert.Contains("#SBATCH --array=0-5\n", files["slurm/array.sbatch"], StringComparison.Ordinal);
        Assert.Contains("--shard \"$SLURM_ARRAY_TASK_ID/6\" -o /shared/out/shard-\"$SLURM_ARRAY_TASK_ID\"", files["slurm/array.sbatch"], StringComparison.Ordinal);
        Assert.Contains("sweep merge /shared/out/shard-0 /shared/out/shard-1 /shared/out/shard-2 /shared/out/shard-3 /shared/out/shard-4 /shared/out/shard-5 -o /shared/out/merged", files["slurm/merge.sbatch"], StringComparison.Ordinal);
        Assert.Contains("--dependency=afterok:", files["slurm/submit.sh"], StringComparison.Ordinal);
    }
}
