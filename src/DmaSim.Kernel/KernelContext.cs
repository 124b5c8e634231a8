using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Hardware.Pci;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Mm;
using DmaSim.Kernel.Profiles;

namespace DmaSim.Kernel;

/// <summary>
/// What every part of the kernel model shares: the era's profile, the hardware the kernel may touch
/// (memory, PCI config, the e820 map) and the kernel's own allocators and log.
/// </summary>
public sealed class KernelContext
{
    public KernelContext(KernelProfile profile, KernelCmdline cmdline, PhysicalMemory memory, FrameOwners owners, E820Map e820, PciTopology pci, EventStream events)
    {
        Profile = profile;
        Cmdline = cmdline;
        Memory = memory;
        Owners = owners;
        E820 = e820;
        Pci = pci;
        Events = events;
        Pages = new PageAllocator(e820, memory, owners, events, KernelReservations(e820));
    }

    public KernelProfile Profile { get; }
    public KernelCmdline Cmdline { get; }

    /// <summary>
    /// The exact release the scenario names (`kernel: version:`), else the profile's
    /// <see cref="KernelProfile.DefaultRelease"/>, or null: selects the log wording within the profile (<see cref="Boot.LogDialect"/>).
    /// </summary>
    public string? KernelVersion
    {
        get => _kernelVersion ?? (Profile.DefaultRelease.Value.Length > 0 ? Profile.DefaultRelease.Value : null);
        init => _kernelVersion = value;
    }

    private readonly string? _kernelVersion;

    /// <summary>
    /// <see cref="KernelVersion"/> read as a release, or null when there is none: read once, as the eras that decide
    /// identity per DMA ask for it on every map and unmap.
    /// </summary>
    public Boot.KernelVersion? Release
    {
        get
        {
            if (!_releaseRead) (_release, _releaseRead) = (Boot.KernelVersion.TryParse(KernelVersion, out var v) ? v : null, true);
            return _release;
        }
    }

    private Boot.KernelVersion? _release;
    private bool _releaseRead;

    /// <summary>CONFIG_SWIOTLB_DYNAMIC of the build (`kernel: config: swiotlb-dynamic`); effective only where the profile has the option.</summary>
    public bool SwiotlbDynamic { get; init; }

    /// <summary>The build's default-domain choice (`kernel: config: iommu-default-dma`); <see cref="BuildDefaultDma.Lazy"/> when unset.</summary>
    public BuildDefaultDma DefaultDma { get; init; } = BuildDefaultDma.Lazy;

    /// <summary>
    /// iommu_def_domain_type is identity: iommu=pt / iommu.passthrough=1 on the command line, or the build's
    /// CONFIG_IOMMU_DEFAULT_PASSTHROUGH where the era's Intel driver follows it; iommu=nopt wins over both.
    /// </summary>
    public bool DefaultPassthrough => !Cmdline.NoPassThrough
        && (Cmdline.PassThrough || (DefaultDma == BuildDefaultDma.Passthrough && Profile.DefaultDmaKconfig.Value != DefaultDmaKconfig.Absent));

    /// <summary>
    /// DMA domains flush strictly: intel_iommu=strict / iommu.strict=1, an era whose default is strict, or the
    /// build's CONFIG_IOMMU_DEFAULT_DMA_STRICT (5.15+) unless iommu.strict=0 overrides it.
    /// </summary>
    public bool DefaultStrict => Cmdline.Strict || Profile.DefaultInvalidation.Value == InvalidationMode.Strict
        || (DefaultDma == BuildDefaultDma.Strict && !Cmdline.Lazy && Profile.DefaultDmaKconfig.Value == DefaultDmaKconfig.PassthroughStrictLazy);

    /// <summary>CONFIG_INTEL_IOMMU_DEFAULT_ON of the build (`kernel: config: intel-iommu-default-on`): dmar_disabled's initial value is its negation.</summary>
    public bool IntelIommuDefaultOn { get; init; } = true;
    public PhysicalMemory Memory { get; }
    public FrameOwners Owners { get; }
    public E820Map E820 { get; }
    public PciTopology Pci { get; }
    public EventStream Events { get; }
    public PageAllocator Pages { get; }
    public SimClock Clock => Events.Clock;

    /// <summary>CONFIG_DMA_API_DEBUG's hooks (kernel/dma/debug.c), called by the DMA API after every call; null when not built in.</summary>
    public IDmaApiDebugHook? DmaApiDebug { get; init; }

    /// <summary>The bounce pool, when the era and platform set one up.</summary>
    public Swiotlb? Swiotlb { get; set; }

    /// <summary>Prints a kernel log line (dmesg, without timestamp), worded as the era's kernel words it.</summary>
    public void Log(string line) => Events.Log(line);

    /// <summary>A line the simulator adds to explain a silent kernel decision; never mistaken for kernel output.</summary>
    public void Note(string line) => Events.Log("dmasim: " + line);

    /// <summary>
    /// dma_get_required_mask: the smallest all-ones mask covering the start of the last RAM page
    /// (drivers/base/platform.c dma_get_required_mask, 2.6.3x; kernel/dma/direct.c
    /// dma_direct_get_required_mask, modern — same number on x86). Modern kernels tell translated
    /// devices 32 bits suffice (kernel/dma/mapping.c dma_get_required_mask without get_required_mask op).
    /// </summary>
    public ulong RequiredMask(KernelDevice? dev)
    {
        if (Profile.DmaApiFrontEnd.Value == DmaApiFrontEnd.Generic && dev?.Ops?.Kind == DmaOpsKind.IntelIommu) return DmaMask.Bits(32);
        return RequiredMaskForMaxPfn(MaxPfn);
    }

    /// <summary>
    /// The kernel's max_pfn: the allocator's last RAM page, except in eras whose memory hot-add does not
    /// raise it (<see cref="KernelProfile.HotAddRaisesMaxPfn"/>), where it stays where boot left it.
    /// </summary>
    public ulong MaxPfn => _maxPfnAtBoot ?? Pages.MaxPfn;

    private ulong? _maxPfnAtBoot;

    /// <summary>Memory is about to be hot-added: keep max_pfn where it is when the era does not raise it.</summary>
    public void BeforeHotAdd()
    {
        if (!Profile.HotAddRaisesMaxPfn.Value) _maxPfnAtBoot ??= Pages.MaxPfn;
    }

    public static ulong RequiredMaskForMaxPfn(ulong maxPfn)
    {
        if (maxPfn == 0) return DmaMask.Bits(32);
        var lastPage = (maxPfn - 1) << PhysAddr.PageShift;
        var bits = DmaMask.Width(lastPage);
        return DmaMask.Bits(Math.Max(bits, 1));
    }

    // The kernel keeps page 0 (BIOS data area) and its own image to itself (arch/x86/kernel/setup.c
    // reserve_brk / memblock_reserve of the kernel text at 16 MiB, CONFIG_PHYSICAL_START).
    private static IEnumerable<PhysRange> KernelReservations(E820Map e820)
    {
        yield return new PhysRange(0, PhysAddr.PageSize - 1);
        var image = new PhysRange(0x1000000, 0x1000000 + (32 * Sizes.MiB) - 1);
        if (e820.Covers(image, Hardware.Memory.E820Type.Usable)) yield return image;
    }
}
