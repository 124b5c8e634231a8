using DmaSim.Core;

namespace DmaSim.Kernel.Dma;

/// <summary>Which generation of lib/swiotlb.c / kernel/dma/swiotlb.c the model follows.</summary>
public enum SwiotlbVariant
{
    /// <summary>
    /// 2.6.32 lib/swiotlb.c: one global search index (io_tlb_index) and lock, stride 2 (page alignment) for
    /// mappings larger than a page, copy to the bounce buffer at map time only for TO_DEVICE and
    /// BIDIRECTIONAL, a 32 KiB overflow buffer returned when the pool is full, panic for larger requests.
    /// </summary>
    Legacy,

    /// <summary>
    /// 6.x kernel/dma/swiotlb.c: per-area index and used count, per-slot alloc_size, page alignment for
    /// mappings of PAGE_SIZE or more (14cebf689a78 "swiotlb: Reinstate page-alignment for mappings >=
    /// PAGE_SIZE"), copy to the bounce buffer at map time for every direction, "swiotlb buffer is full"
    /// and DMA_MAPPING_ERROR when nothing fits.
    /// </summary>
    Modern,
}

/// <summary>swiotlb boot configuration (swiotlb=&lt;nslabs&gt;[,&lt;nareas&gt;] and the era).</summary>
public sealed record SwiotlbConfig
{
    /// <summary>IO_TLB_DEFAULT_SIZE: 64 MiB (2.6.32 swiotlb_init: "default to 64MB").</summary>
    public const ulong DefaultPoolSize = 64UL << 20;

    public SwiotlbVariant Variant { get; init; } = SwiotlbVariant.Modern;

    /// <summary>Pool size in bytes; rounded up to whole 128-slot segments as the nslabs parameter is.</summary>
    public ulong PoolSize { get; init; } = DefaultPoolSize;

    /// <summary>Modern only: number of areas (a power of two; the kernel defaults to possible CPUs rounded up).</summary>
    public int Areas { get; init; } = 1;

    /// <summary>Modern only: the simulated CPU whose area the search starts in (raw_smp_processor_id()).</summary>
    public int Cpu { get; init; }

    /// <summary>Legacy only: io_tlb_overflow, the emergency buffer size (32 KiB in 2.6.32).</summary>
    public ulong OverflowSize { get; init; } = 32UL << 10;

    /// <summary>
    /// Bottom-up placement goal for the early pool allocation, or null for memblock's top-down search below
    /// 4 GiB (what kernels since the memblock switch do). 2.6.32 took the pool from bootmem upwards from a
    /// goal; boot logs of that era very often show "software IO TLB at phys 0x20000000 - 0x24000000", so
    /// <see cref="LegacyBootmemGoal"/> reproduces that placement.
    /// </summary>
    public ulong? BootmemGoal { get; init; }

    /// <summary>512 MiB: where 2.6.32-era x86-64 boot logs place the pool.</summary>
    public const ulong LegacyBootmemGoal = 0x20000000;

    /// <summary>
    /// Print the pool's placement when it is created (2.6.31/2.6.32 swiotlb_init(1)); false when the kernel
    /// prints it later, once it knows the pool stays (75f1cdf1dda9's swiotlb_init(0) + swiotlb_print_info in
    /// pci_iommu_init; 6.x swiotlb_print_info in pci_iommu_init): the caller then calls <see cref="Swiotlb.PrintInfo"/>.
    /// </summary>
    public bool PrintInfoAtInit { get; init; } = true;

    /// <summary>How swiotlb_print_info words the pool in this release (<see cref="SwiotlbInfoWording"/>).</summary>
    public SwiotlbInfoWording? InfoWording { get; init; }

    /// <summary>
    /// Modern only: CONFIG_SWIOTLB_DYNAMIC (6.6+) in effect — a full pool grows and a request that finds no
    /// room gets a transient pool of its own (Swiotlb.Dynamic.cs).
    /// </summary>
    public bool Dynamic { get; init; }

    /// <summary>Emit a <see cref="SwiotlbMapEvent"/>/<see cref="SwiotlbUnmapEvent"/> per bounce (trace_swiotlb_bounced); failures are always reported.</summary>
    public bool TraceMaps { get; init; } = true;
}

/// <summary>How a swiotlb map request ended.</summary>
public enum SwiotlbMapStatus
{
    /// <summary>Bounce slots were taken; <see cref="SwiotlbMapResult.Address"/> is the bounce address.</summary>
    Mapped,

    /// <summary>Modern: no slots; the caller gets DMA_MAPPING_ERROR.</summary>
    Full,

    /// <summary>
    /// Legacy: no slots and the size fits io_tlb_overflow; the map returned the overflow buffer's address,
    /// which dma_mapping_error() recognises but a careless driver DMAs into.
    /// </summary>
    OverflowBuffer,

    /// <summary>Legacy: no slots and the size exceeds io_tlb_overflow: the kernel panics.</summary>
    Panic,

    /// <summary>The bounce buffer lies beyond the device's DMA mask (pool above the device's reach).</summary>
    NotReachable,

    /// <summary>A request the kernel BUGs on (DMA_NONE direction, zero size).</summary>
    Bug,
}

/// <summary>The value a swiotlb map returns; failures are values, never exceptions.</summary>
/// <param name="Status">How the map ended.</param>
/// <param name="Address">The bounce address (Mapped) or the overflow buffer (OverflowBuffer); otherwise zero.</param>
/// <param name="Message">The era's kernel message for a failure, without the device prefix; null on success.</param>
public readonly record struct SwiotlbMapResult(SwiotlbMapStatus Status, PhysAddr Address, string? Message)
{
    public bool IsMapped => Status == SwiotlbMapStatus.Mapped;
}

/// <summary>A mapping bounced through swiotlb (trace_swiotlb_bounced plus where the slots are).</summary>
public sealed record SwiotlbMapEvent(string Device, PhysAddr Original, PhysAddr Bounce, ulong Size, DmaDirection Direction, int Slots) : SimEvent;

/// <summary>A bounce mapping was released.</summary>
public sealed record SwiotlbUnmapEvent(PhysAddr Bounce, ulong Size, DmaDirection Direction) : SimEvent;

/// <summary>A swiotlb map failed; <paramref name="Outcome"/> says what the kernel did about it.</summary>
public sealed record SwiotlbFullEvent(string Device, ulong Size, ulong TotalSlots, ulong UsedSlots, SwiotlbMapStatus Outcome) : SimEvent;

/// <summary>swiotlb_print_info's line(s) across releases.</summary>
public enum SwiotlbInfoWording
{
    /// <summary>To 3.5: "Placing 64MB software IO TLB between %p - %p", then "software IO TLB at phys %#llx - %#llx".</summary>
    Placing,
    /// <summary>
    /// 3.6 – 4.18: "software IO TLB [mem %#010llx-%#010llx] (%luMB) mapped at [%p-%p]" (physical end exclusive, virtual end
    /// inclusive, as a 3.17 log prints them; 3.6 and 3.7 printed the physical end inclusive [R], not modelled).
    /// </summary>
    MemMappedAt,
    /// <summary>4.15 – 4.18: the same, but %p is hashed and early boot prints "(____ptrval____)" for both virtual ends.</summary>
    MemMappedAtHashed,
    /// <summary>4.19 – 5.9: 7d63fb3af87a "swiotlb: clean up reporting": "software IO TLB: mapped [mem %#010llx-%#010llx] (%luMB)".</summary>
    Mapped,
    /// <summary>5.10+: "swiotlb: Use %pa to print phys_addr_t variables": the same with both addresses as 16 hex digits.</summary>
    MappedPa,
}
