namespace DmaSim.Kernel.Mm;

/// <summary>What <c>gfp_zone()</c> makes of a GFP mask: the highest zone the zonelist walk may use.</summary>
/// <param name="HighestZone">The zone index the allocation starts from; lower zones are fallbacks.</param>
/// <param name="IsBadCombination">
/// True when the zone modifiers form a combination the kernel's GFP_ZONE_BAD bitmap forbids (for example
/// __GFP_DMA together with __GFP_DMA32). Without CONFIG_DEBUG_VM the lookup still returns a zone.
/// </param>
public readonly record struct GfpZoneResult(ZoneType HighestZone, bool IsBadCombination);

/// <summary>
/// The 2.6.31+ table lookup behind <c>gfp_zone()</c> (include/linux/gfp.h of 2.6.32: GFP_ZONE_TABLE,
/// GFP_ZONE_BAD, gfp_zone). The zone modifiers index a packed table of zone numbers, ZONES_SHIFT bits
/// per entry. Forbidden combinations have no table entry, so their bits are zero, and zone number 0
/// is ZONE_DMA on x86-64 (include/linux/mmzone.h enum zone_type: DMA, DMA32, NORMAL, MOVABLE).
/// Hence __GFP_DMA|__GFP_DMA32 yields ZONE_DMA; only a CONFIG_DEBUG_VM kernel BUGs on it.
/// </summary>
public static class GfpZone
{
    // Index bits as the kernel numbers the zone modifiers: __GFP_DMA 0x1, __GFP_HIGHMEM 0x2, __GFP_DMA32 0x4.
    // (__GFP_MOVABLE 0x8 is not modelled; the Gfp enum has no movable bit.)
    private const int KDma = 0x1, KHighMem = 0x2, KDma32 = 0x4;

    // GFP_ZONE_TABLE entries for x86-64 without CONFIG_HIGHMEM: OPT_ZONE_HIGHMEM is ZONE_NORMAL.
    // Index 0 -> NORMAL, 1 -> DMA, 2 -> NORMAL (highmem), 4 -> DMA32; 3, 5, 6, 7 have no entry.
    private static readonly ZoneType?[] _table =
    [
        ZoneType.Normal, ZoneType.Dma, ZoneType.Normal, null,
        ZoneType.Dma32, null, null, null,
    ];

    /// <summary>Kernel bit index of the zone modifiers in <paramref name="gfp"/>.</summary>
    public static int ModifierBits(Gfp gfp) =>
        ((gfp & Gfp.Dma) != 0 ? KDma : 0) | ((gfp & Gfp.HighMem) != 0 ? KHighMem : 0) | ((gfp & Gfp.Dma32) != 0 ? KDma32 : 0);

    /// <summary>gfp_zone(): zone to start from, and whether GFP_ZONE_BAD flags the combination.</summary>
    public static GfpZoneResult Resolve(Gfp gfp)
    {
        var bit = ModifierBits(gfp);
        var zone = _table[bit];
        // A missing entry reads as zero bits in the packed table word, i.e. zone 0 = ZONE_DMA.
        return zone is { } z ? new GfpZoneResult(z, false) : new GfpZoneResult(ZoneType.Dma, true);
    }

    /// <summary>The zones a request may use, in zonelist order (highest allowed first).</summary>
    public static ReadOnlySpan<ZoneType> Zonelist(ZoneType highest) => highest switch
    {
        ZoneType.Normal => _normalList,
        ZoneType.Dma32 => _dma32List,
        _ => _dmaList,
    };

    // The node zonelist holds Normal, DMA32, DMA; an allocation walks it from its highest allowed zone
    // downwards (mm/page_alloc.c build_zonelists_node, get_page_from_freelist with high_zoneidx).
    private static readonly ZoneType[] _normalList = [ZoneType.Normal, ZoneType.Dma32, ZoneType.Dma];
    private static readonly ZoneType[] _dma32List = [ZoneType.Dma32, ZoneType.Dma];
    private static readonly ZoneType[] _dmaList = [ZoneType.Dma];

    /// <summary>The kernel's spelling of the zone modifiers, for log lines ("__GFP_DMA|__GFP_DMA32").</summary>
    public static string Describe(Gfp gfp)
    {
        var parts = new List<string>(3);
        if ((gfp & Gfp.Dma) != 0) parts.Add("__GFP_DMA");
        if ((gfp & Gfp.HighMem) != 0) parts.Add("__GFP_HIGHMEM");
        if ((gfp & Gfp.Dma32) != 0) parts.Add("__GFP_DMA32");
        return parts.Count == 0 ? "none" : string.Join('|', parts);
    }
}
