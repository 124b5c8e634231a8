namespace DmaSim.Kernel.Mm;

/// <summary>
/// The GFP bits the model distinguishes. Only the zone modifiers and a few action bits matter for DMA;
/// values are the model's own, not the kernel's bit numbers.
/// </summary>
[Flags]
public enum Gfp
{
    /// <summary>GFP_KERNEL: may sleep, any zone (Normal first).</summary>
    Kernel = 0,
    /// <summary>__GFP_DMA: ZONE_DMA only.</summary>
    Dma = 1 << 0,
    /// <summary>__GFP_DMA32: ZONE_DMA32, falling back to ZONE_DMA.</summary>
    Dma32 = 1 << 1,
    /// <summary>__GFP_HIGHMEM (no highmem zone on x86-64; ignored for zone choice).</summary>
    HighMem = 1 << 2,
    /// <summary>__GFP_ZERO.</summary>
    Zero = 1 << 3,
    /// <summary>GFP_ATOMIC: must not sleep.</summary>
    Atomic = 1 << 4,
    /// <summary>__GFP_NOWARN.</summary>
    NoWarn = 1 << 5,
}

/// <summary>The x86-64 memory zones.</summary>
public enum ZoneType
{
    /// <summary>ZONE_DMA: [0, 16 MiB).</summary>
    Dma,
    /// <summary>ZONE_DMA32: [16 MiB, 4 GiB).</summary>
    Dma32,
    /// <summary>ZONE_NORMAL: everything above 4 GiB.</summary>
    Normal,
}
