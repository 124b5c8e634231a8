using System.Globalization;
using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Mm;
using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;
using DmaSim.Simulation.Machine;

namespace DmaSim.Simulation.Bench;

/// <summary>
/// A booted machine with one device and one kernel buffer, ready for map/unmap: what map_benchmark.c
/// gets from its platform/PCI device plus <c>alloc_pages_exact(size, GFP_KERNEL)</c> per thread.
/// </summary>
public sealed class BenchMachine
{
    internal BenchMachine(SimMachine machine, KernelDevice device, PhysAddr buffer, ulong size)
    {
        Machine = machine;
        Device = device;
        Buffer = buffer;
        Size = size;
        Dma = machine.Kernel.Dma;
    }

    public SimMachine Machine { get; }
    public KernelDevice Device { get; }
    public DmaApi Dma { get; }
    /// <summary>Physical address of the kernel buffer that every iteration maps.</summary>
    public PhysAddr Buffer { get; }
    /// <summary>Bytes per map (granule × 4 KiB).</summary>
    public ulong Size { get; }
}

/// <summary>
/// Builds the small machines the benchmarks run on, one device per mode (linux-6.1 unless a test names another era, 8 GiB of RAM of
/// which 4 GiB sit above the 4 GiB line, one VT-d unit with ECAP.PT where an IOMMU is wanted).
/// Scenarios are written in the dmasim/v1 format so what is timed is exactly what <c>dmasim run</c> builds.
/// </summary>
public static class BenchMachines
{
    /// <summary>The profile every bench machine runs: the modern default-domain model.</summary>
    public const string Profile = ProfileNames.Linux61;

    /// <summary>
    /// The device's DMA mask: -b when given (map_benchmark_ioctl: dma_set_mask(dev, DMA_BIT_MASK(dma_bits))), else the
    /// mode's own: 32 bits for swiotlb (it must bounce), 64 otherwise. The silicon drives as many address lines.
    /// </summary>
    public static int DmaBitsOf(MapBenchMode mode, int? requested) => requested ?? (mode == MapBenchMode.Swiotlb ? 32 : 64);

    /// <summary>The dmasim/v1 scenario text of a mode (not meaningful for <see cref="MapBenchMode.Iova"/>).</summary>
    public static string ScenarioYaml(MapBenchMode mode, int? dmaBits = null, string profileName = Profile)
    {
        var (iommu, bits, cmdline) = mode switch
        {
            MapBenchMode.Strict => (Unit, 0, "intel_iommu=on,strict"),
            MapBenchMode.Lazy => (Unit, 0, "intel_iommu=on iommu.strict=0"),
            MapBenchMode.Passthrough => (Unit, 0, "intel_iommu=on iommu=pt"),
            // A 32-bit device, no IOMMU: dma-direct must bounce a buffer above 4 GiB (kernel/dma/direct.h).
            MapBenchMode.Swiotlb => ("none", 0, ""),
            MapBenchMode.Direct => ("none", 0, ""),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "the IOVA mode has no machine"),
        };
        bits = DmaBitsOf(mode, dmaBits);
        return string.Create(CultureInfo.InvariantCulture, $$"""
            schema: dmasim/v1
            name: bench-{{MapBenchmark.NameOf(mode)}}
            description: dmasim bench machine ({{MapBenchmark.NameOf(mode)}})
            seed: 1
            platform:
              physical-address-bits: 46
              memory:
                - { start: 0x0, end: 0x9ffff, type: usable }
                - { start: 0x100000, end: 0xbfffffff, type: usable }
                - { start: 0xc0000000, end: 0xffffffff, type: reserved }
                - { start: 0x100000000, end: 0x23fffffff, type: usable }
              iommu: {{iommu}}
              devices:
                - { bdf: "03:00.0", name: bench, model: scripted, address-bits: {{bits}} }
            kernel:
              profile: {{profileName}}
              cmdline: "{{cmdline}}"
            drivers:
              - { device: bench, dma-mask-bits: {{bits}}, coherent-dma-mask-bits: {{bits}} }
            """);
    }

    private const string Unit = "{ host-address-width: 46, units: [ { base: 0xfed90000, include-pci-all: true, pass-through: true, sagaw: [39, 48] } ] }";

    /// <summary>
    /// Boots the machine of <paramref name="mode"/> and allocates a buffer of <paramref name="granule"/> pages, under
    /// <see cref="Profile"/> or, for tests of another era's map path, <paramref name="profileName"/>.
    /// </summary>
    public static BenchMachine Build(MapBenchMode mode, int granule = 1, int? dmaBits = null, string profileName = Profile)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(granule, 1);
        var scenario = ScenarioLoader.Parse(ScenarioYaml(mode, dmaBits, profileName), $"<bench:{MapBenchmark.NameOf(mode)}>");
        var profile = ProfileCatalog.Find(profileName) ?? throw new InvalidOperationException($"profile {profileName} is missing");
        var m = SimMachine.Boot(scenario, profile, scenario.Kernel.Cmdline);
        // Millions of operations: hand events to observers only, keep none (EventStream.Record).
        m.Events.Record = false;
        var dev = m.Kernel.Devices.First(d => d.Name == "bench");
        foreach (var drv in scenario.Drivers)
        {
            if (drv.DmaMaskBits is { } b) m.Kernel.Dma.SetMask(dev, DmaMask.Bits(b));
            if (drv.CoherentDmaMaskBits is { } c) m.Kernel.Dma.SetCoherentMask(dev, DmaMask.Bits(c));
        }
        var size = (ulong)granule << PhysAddr.PageShift;
        // map_benchmark_thread: buf = alloc_pages_exact(size, GFP_KERNEL) — Normal zone first, so above 4 GiB here.
        var pages = m.Kernel.K.Pages.AllocPages(PageAllocator.GetOrder(size), Gfp.Kernel, new FrameOwner(OwnerKind.KernelBuffer, dev.Name, "map_benchmark"))
            ?? throw new InvalidOperationException("bench machine: no memory for the buffer");
        // map_benchmark_thread stuffs the buffer (memset 0x66) so the bounce copies real bytes. Stored as bytes: a
        // whole-page fill would be kept as a rule (PageRule), and a bounce of it would copy the rule, not 4 KiB.
        m.Memory.Write(pages.Start, Enumerable.Repeat((byte)0x66, (int)size).ToArray());
        if (mode == MapBenchMode.Swiotlb && pages.Start.Value < 1UL << 32)
            throw new InvalidOperationException("bench machine: the swiotlb buffer must sit above 4 GiB to bounce");
        var expected = mode switch
        {
            MapBenchMode.Strict or MapBenchMode.Lazy => DeviceDomain.Translated,
            MapBenchMode.Passthrough => DeviceDomain.PassThrough,
            _ => DeviceDomain.None,
        };
        if (dev.Domain != expected)
            throw new InvalidOperationException($"bench machine {MapBenchmark.NameOf(mode)}: device domain is {ContractWords.Domains.NameOf(dev.Domain)}, expected {ContractWords.Domains.NameOf(expected)}");
        return new BenchMachine(m, dev, pages.Start, size);
    }
}
