namespace DmaSim.Cli.Tests;

/// <summary>
/// Usage errors exit 2 in the tool's one wording ("dmasim: error: --option: …"), in-process through
/// <see cref="CliEntry.Run"/>; an internal error (70) shows the real exception, never its wrapper.
/// </summary>
public sealed class UsageErrorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dmasim-usage-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = CliEntry.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Theory]
    [InlineData(new[] { "run", "--frmat", "json", "x.yaml" }, "dmasim: error: --frmat: unknown option of 'run' (did you mean '--format'?)")]
    [InlineData(new[] { "run", "--format", "xml", "x.yaml" }, "dmasim: error: --format: Argument 'xml' not recognized")]
    [InlineData(new[] { "dmar", "decode" }, "dmasim: error: Required argument missing for command: 'decode'")]
    [InlineData(new[] { "nosuch" }, "dmasim: error: Unrecognized command or argument 'nosuch'")]
    [InlineData(new[] { "iova", "replay", "--bogus" }, "dmasim: error: --bogus: unknown option of 'replay'")]
    [InlineData(new[] { "run", "--timeout", "0" }, "dmasim: error: --timeout: must be a number of seconds above 0")]
    [InlineData(new[] { "bench", "--threads", "x" }, "dmasim: error: --threads:")]
    public void A_usage_error_exits_2_with_the_option_named(string[] args, string expected)
    {
        var (code, _, stderr) = Run(args);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
        Assert.Contains("--help' for more information.", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bench_value_out_of_range_names_its_option()
    {
        var (code, _, stderr) = Run("bench", "--threads", "0");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.StartsWith("dmasim: error: --threads: threads must be 1..1024, not 0", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_profile_is_worded_as_an_option_error()
    {
        var (code, _, stderr) = Run("run", Dmasim.SeedFile, "--profile", "rhel-5");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.StartsWith("dmasim: error: --profile: unknown profile 'rhel-5'", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Version_prints_the_version_and_exits_0()
    {
        var (code, stdout, _) = Run("--version");
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Matches(@"^\d+\.\d+\.\d+", stdout);
    }

    [Fact]
    public void Html_into_a_directory_a_missing_folder_or_a_full_device_exits_2()
    {
        var missing = Path.Combine(_dir, "no", "such", "r.html");
        var cases = new List<(string Path, string Reason)> { (_dir, "it is a directory"), (missing, "no such directory") };
        if (File.Exists("/dev/full")) cases.Add(("/dev/full", "no space left on the device"));
        foreach (var (path, reason) in cases)
        {
            var (code, _, stderr) = Run("run", Dmasim.SeedFile, "--profile", "linux-6.1", "--html", path);
            Assert.Equal(ExitCodes.BadInput, code);
            Assert.StartsWith($"dmasim: error: --html: cannot write '{path}': {reason}", stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Import_output_to_a_directory_exits_2()
    {
        var dmesg = Path.Combine(_dir, "dmesg.txt");
        File.WriteAllText(dmesg,
            "[    0.000000] Linux version 5.4.0-4-amd64 (x@y) (gcc version 9.2.1) #1 SMP Debian 5.4.19-1\n" +
            "[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable\n" +
            "[    0.000000] BIOS-e820: [mem 0x0000000000100000-0x00000000bfffffff] usable\n");
        var (code, _, stderr) = Run("import", "--dmesg", dmesg, "-o", _dir);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.StartsWith($"dmasim: error: --output: cannot write '{_dir}': it is a directory", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void An_internal_error_shows_the_inner_exception_its_stack_and_how_to_report_it()
    {
        // Parallel.For wraps a cell's exception in an AggregateException, as the suite runner once did.
        var thrown = Assert.Throws<AggregateException>(() => Parallel.For(0, 2, i =>
        {
            if (i == 1) throw new ArgumentException("empty pfn range");
        }));
        var text = CliEntry.InternalErrorText(thrown, ["run", "big.yaml"]);
        var first = text.Split('\n')[0];
        Assert.Equal("dmasim: internal error: System.ArgumentException: empty pfn range", first);
        Assert.DoesNotContain("AggregateException", text, StringComparison.Ordinal);
        Assert.Contains(nameof(An_internal_error_shows_the_inner_exception_its_stack_and_how_to_report_it), text, StringComparison.Ordinal);
        Assert.Contains("Please report it with the command line", text, StringComparison.Ordinal);
        Assert.Contains("(dmasim run big.yaml)", text, StringComparison.Ordinal);
    }

    // One 6.1 machine with 8 GiB of RAM and one device; the workload lines make each case.
    private string Machine(string name, string device, params string[] workload)
    {
        var path = Path.Combine(_dir, name + ".yaml");
        File.WriteAllText(path, string.Join('\n',
        [
            "schema: dmasim/v1",
            $"name: {name}",
            "platform:",
            "  physical-address-bits: 40",
            "  memory:",
            "    - { start: 0x100000, end: 0xbfffffff, type: usable }",
            "    - { start: 0x100000000, end: 0x23fffffff, type: usable }",
            "  iommu:",
            "    host-address-width: 40",
            "    units:",
            "      - { base: 0xfed90000, include-pci-all: true }",
            "  devices:",
            $"    - {{ bdf: \"04:00.0\", name: dev, model: {device}, address-bits: 64 }}",
            "kernel:",
            "  profile: linux-6.1",
            "  cmdline: intel_iommu=on",
            "workload:",
            .. workload.Select(w => "  - " + w),
            "",
        ]));
        return path;
    }

    [Fact]
    public void A_run_past_its_timeout_stops_with_exit_2_and_says_why()
    {
        // 1 GiB of io moved for real takes seconds; --timeout (a fresh option in every command tree) stops it.
        var scenario = Machine("slow", "storage-controller", "{ device: dev, run: io, count: 1024, size: 1MiB }");
        var r = Dmasim.RunWith(new Dictionary<string, string>(), "run", scenario, "--timeout", "0.3");
        Assert.Equal(ExitCodes.BadInput, r.ExitCode);
        Assert.StartsWith("dmasim: error: --timeout: still running after 0.3 s; stopped", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Memory_exhaustion_under_the_heap_budget_is_exit_2_with_a_message()
    {
        // 24 buffers of 4 MiB written by the CPU: their bytes are real, 96 MiB of pages on a 64 MiB budget.
        var scenario = Machine("big", "scripted", [.. Enumerable.Range(0, 24).SelectMany(i => new[]
            { $"{{ device: dev, op: alloc-buffer, size: 4MiB, as: b{i} }}", $"{{ device: dev, op: cpu-write, target: b{i} }}" })]);
        var r = Dmasim.RunWith(new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x4000000" }, "run", scenario);
        Assert.Equal(ExitCodes.BadInput, r.ExitCode);
        Assert.StartsWith("dmasim: error: out of memory: the heap budget is 64MiB", r.Stderr, StringComparison.Ordinal);
    }
}
