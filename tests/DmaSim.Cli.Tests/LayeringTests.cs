using System.Reflection;

namespace DmaSim.Cli.Tests;

/// <summary>The layer diagram of docs/architecture.md, checked on the built assemblies.</summary>
public class LayeringTests
{
    private static readonly Dictionary<string, string[]> _allowed = new()
    {
        ["DmaSim.Core"] = [],
        ["DmaSim.Hardware"] = ["DmaSim.Core"],
        ["DmaSim.Kernel"] = ["DmaSim.Core", "DmaSim.Hardware"],
        ["DmaSim.Checking"] = ["DmaSim.Core", "DmaSim.Hardware", "DmaSim.Kernel"],
        ["DmaSim.Scenarios"] = ["DmaSim.Core"],
        ["DmaSim.Simulation"] = ["DmaSim.Core", "DmaSim.Hardware", "DmaSim.Kernel", "DmaSim.Checking", "DmaSim.Scenarios"],
        ["DmaSim.Reporting"] = ["DmaSim.Core", "DmaSim.Hardware", "DmaSim.Simulation", "DmaSim.Checking"],
        ["dmasim"] = ["DmaSim.Core", "DmaSim.Hardware", "DmaSim.Kernel", "DmaSim.Scenarios", "DmaSim.Simulation", "DmaSim.Reporting", "DmaSim.Checking"],
    };

    [Fact]
    public void Every_layer_references_only_the_layers_below_it()
    {
        var dir = Path.GetDirectoryName(typeof(LayeringTests).Assembly.Location)!;
        foreach (var (name, allowed) in _allowed)
        {
            var asm = Assembly.LoadFrom(Path.Combine(dir, name + ".dll"));
            var refs = asm.GetReferencedAssemblies().Select(a => a.Name!).Where(n => n.StartsWith("DmaSim", StringComparison.Ordinal) || n == "dmasim").ToList();
            var illegal = refs.Except(allowed).ToList();
            Assert.True(illegal.Count == 0, $"{name} references {string.Join(", ", illegal)}");
        }
    }

    [Fact]
    public void The_hardware_layer_knows_nothing_of_linux()
    {
        var dir = Path.GetDirectoryName(typeof(LayeringTests).Assembly.Location)!;
        var hw = Assembly.LoadFrom(Path.Combine(dir, "DmaSim.Hardware.dll"));
        Assert.DoesNotContain(hw.GetReferencedAssemblies(), a => a.Name == "DmaSim.Kernel");
        Assert.DoesNotContain(hw.GetTypes(), t => t.Namespace?.Contains("Kernel", StringComparison.Ordinal) == true);
        // What Linux does with a table (the lint) sits above the kernel model; output writers are Reporting's.
        Assert.DoesNotContain(hw.GetTypes(), t => t.Name.Contains("Lint", StringComparison.Ordinal) || t.Name.Contains("Json", StringComparison.Ordinal));
    }
}
