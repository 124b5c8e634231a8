using DmaSim.Core;

namespace DmaSim.Simulation.Tests.Soundness;

/// <summary>
/// The independent reference of the soundness campaign, written from the rules, not from the model: it
/// walks the step list of a <see cref="CampaignScenario"/> and says which DMA-API debug messages the
/// kernel's debug.c prints (in order) and which physical-truth findings the DMAs earn, computing for each
/// DMA the page it reaches from the handle (physical address of the buffer), the offset and the address
/// lines of the engine.
/// </summary>
internal sealed class CampaignReference
{
    private sealed class Entry
    {
        public required string Key { get; init; }
        public required ulong Size { get; init; }
        public required string Type { get; init; }
        public required int Direction { get; init; }
        public required ulong Line { get; init; }
        public int SgEnts { get; init; }
        public bool Unchecked { get; set; }
    }

    private readonly CampaignScenario _s;
    private readonly List<Entry> _live = [];
    private readonly Dictionary<ulong, int> _lines = [];
    private readonly bool[] _mapLive;
    private bool _coherentFreed;

    /// <summary>Translated runs: the handle the run returned for each mapping, and for the coherent buffer.</summary>
    private readonly ulong[] _handles;
    private readonly ulong _coherentHandle;
    private readonly CampaignIotlb _iotlb;
    private int _churned;

    public CampaignReference(CampaignScenario s, ulong[]? handles = null, ulong coherentHandle = 0)
    {
        _s = s;
        _mapLive = new bool[s.Maps.Length];
        _handles = handles ?? [];
        _coherentHandle = coherentHandle;
        _iotlb = new CampaignIotlb(s);
    }

    public List<FindingKind> Debug { get; } = [];
    public HashSet<FindingKind> Physical { get; } = [];

    /// <summary>Lazy runs: DMAs that a stale IOTLB entry let through after their unmap, and flushes by capacity and by timer.</summary>
    public int StaleHits { get; private set; }
    public int CapacityFlushes => _iotlb.CapacityFlushes;
    public int TimerFlushes => _iotlb.TimerFlushes;
    public bool CachingModeStrict => _iotlb.CachingModeStrict;
    public bool UntrustedStrict => _iotlb.UntrustedStrict;

    /// <summary>Writes after a table overwrite: faulted on the garbage, landed where it points elsewhere, decided by an entry cached before it.</summary>
    public int OverwriteFaults { get; private set; }
    public int OverwriteLandings { get; private set; }
    public int OverwriteCached { get; private set; }

    /// <summary>The buffer a write after a table overwrite landed on instead of mapping 0's: the checker must name it.</summary>
    public string? LandedOn { get; private set; }

    /// <summary>Device reads of a from-device mapping that CAP.ZLR left write-only under intel_dma_ops.</summary>
    public int ZlrReadFaults { get; private set; }

    /// <summary>
    /// The reference for <paramref name="s"/>. A translated run's handles are IOVAs the era's allocator
    /// placed; rather than model each era's placement rule the reference takes the handles the run returned
    /// (<paramref name="handles"/>, in map order) and keeps its own record of which IOVA page the kernel
    /// mapped to which physical page, removing it at unmap (strict: the PTE is cleared and the IOTLB
    /// invalidated before the unmap returns).
    /// </summary>
    public static CampaignReference Of(CampaignScenario s, ulong[]? handles = null, ulong coherentHandle = 0)
    {
        var r = new CampaignReference(s, handles, coherentHandle);
        r.Run();
        return r;
    }

    private void Run()
    {
        for (var i = 0; i < _s.Maps.Length; i++)
        {
            var m = _s.Maps[i];
            _mapLive[i] = true;
            var type = m.AsPage && !_s.Modern ? "page" : "single";
            // Bidirectional or from-device mappings track the buffer's first cacheline (add_dma_entry).
            Add(new Entry { Key = Key(i), Size = m.Size, Type = type, Direction = m.Direction, Line = CampaignScenario.BufferAddress(m.Buffer) >> 6, Unchecked = _s.Modern });
            // debug_dma_mapping_error marks the first unchecked entry at that address — an earlier mapping of
            // the same buffer, if there is one, not necessarily the one just made.
            if (m.CheckError && _live.FirstOrDefault(e => e.Key == Key(i) && e.Unchecked) is { } first) first.Unchecked = false;
        }
        if (_s.Coherent) Add(new Entry { Key = "coherent", Size = 4096, Type = "coherent", Direction = 0, Line = 1UL << 60 });
        for (var j = 0; j < _s.Sg.Length; j++)
        {
            Add(new Entry { Key = "sg" + j, Size = _s.Sg[j], Type = "sg", Direction = 1, Line = 0, SgEnts = _s.Sg.Length });
            if (_s.Modern && _s.Sg[j] > 65536) Debug.Add(FindingKind.SgSegmentTooLong);
        }
        for (var i = 0; i < _s.Steps.Length; i++)
        {
            if (_s.Overwrite is { } o && i == _s.Steps.Length - 1) OverwrittenWrite(o.Value);
            else if (_s.StepYaml(_s.Steps[i], i) is not null) Step(_s.Steps[i]);
        }
        if (_live.Any(e => e.Type != "coherent")) Debug.Add(FindingKind.LeakAtEnd);
    }

    /// <summary>debug.c finds entries by device and DMA address: the buffer's physical address untranslated, the run's IOVA translated.</summary>
    private string Key(int map) => "h" + Handle(map).ToString("x", System.Globalization.CultureInfo.InvariantCulture);

    private ulong Handle(int map) => _s.Translated ? _handles[map] : CampaignScenario.BufferAddress(_s.Maps[map].Buffer);

    private void Add(Entry e)
    {
        _live.Add(e);
        if (e.Direction == 1) return;
        if (_lines.TryGetValue(e.Line, out var n))
        {
            _lines[e.Line] = n + 1;
            if (_s.Modern) Debug.Add(FindingKind.OverlappingMapping);
        }
        else _lines[e.Line] = 0;
    }

    private void Step(CampaignStep s)
    {
        var mi = s.Target % _s.Maps.Length;
        var map = _s.Maps[mi];
        var key = Key(mi);
        var unmapType = map.AsPage ? "page" : "single";
        switch (s.Act)
        {
            case Act.DmaWrite or Act.DmaRead:
                {
                    var off = s.Offset % map.Size;
                    Dma(mi, off, Math.Min(s.Bytes, map.Size - off), !_mapLive[mi], s.Act == Act.DmaWrite);
                    break;
                }
            case Act.DmaPastEnd:
                Dma(mi, s.Offset % (map.Size + 64), map.Size + s.Bytes % 4096, !_mapLive[mi], write: true);
                break;
            case Act.DmaUnreachable:
                Dma(mi, 1UL << CampaignScenario.PhysBits, 64, !_mapLive[mi], write: true);
                break;
            case Act.Unmap:
                Unmap(key, map.Size, unmapType, map.Direction, mi);
                break;
            case Act.UnmapWrongSize:
                Unmap(key, CampaignScenario.WrongSize(map.Size), unmapType, map.Direction, mi);
                break;
            case Act.UnmapWrongDirection:
                Unmap(key, map.Size, unmapType, (map.Direction + 1 + s.Direction % 2) % 3, mi);
                break;
            case Act.UnmapWrongFunction:
                Unmap(key, map.Size, map.AsPage ? "single" : "page", map.Direction, mi);
                break;
            case Act.SyncForCpu or Act.SyncForDevice:
                Sync(key, map.Size, s.Direction, s.Act == Act.SyncForCpu);
                break;
            case Act.SyncPastEnd:
                Sync(key, map.Size + 1, map.Direction, toCpu: true);
                break;
            case Act.FreeCoherent:
                Release("coherent", 4096, "coherent", 0, 0);
                if (_s.Translated) _iotlb.Unmapped(_coherentHandle >> 12, live: !_coherentFreed);
                _coherentFreed = true;
                break;
            case Act.CoherentWrite:
                CoherentWrite();
                break;
            case Act.Wait:
                _iotlb.Wait();
                break;
            case Act.Churn:
                Churn(CampaignScenario.ChurnCount(s));
                break;
            case Act.UnmapSg:
                for (var j = 0; j < _s.Sg.Length; j++) Release("sg" + j, _s.Sg[j], "sg", 1, _s.Sg.Length);
                break;
            case Act.Unbind:
                if (_live.Count > 0) Debug.Add(FindingKind.PendingAtUnbind);
                break;
        }
    }

    private void Unmap(string key, ulong size, string type, int dir, int map)
    {
        // 2.6.3x and 3.0 have a page type; 6.1 records single and page alike.
        if (_s.Modern) type = "single";
        Release(key, size, type, dir, 0);
        // Every mapping is one IOVA page (a page-aligned buffer, at most 4 KiB; a wrong size is one page too).
        if (_s.Translated) _iotlb.Unmapped(_handles[map] >> 12, _mapLive[map]);
        _mapLive[map] = false;
    }

    /// <summary>
    /// A device write into the coherent buffer. Freed and untranslated, the page is free RAM: the write strays
    /// into it. Translated, it goes through the IOTLB: after a strict free it faults; after a lazy one, a
    /// translation an earlier write cached still reaches the freed page.
    /// </summary>
    private void CoherentWrite()
    {
        if (!_s.Translated)
        {
            if (_coherentFreed) { Physical.Add(FindingKind.UseAfterUnmap); Physical.Add(FindingKind.StrayWrite); }
            return;
        }
        if (!_iotlb.Translate(_coherentHandle >> 12, write: true, _coherentFreed ? null : (true, true))) Physical.Add(FindingKind.IommuFault);
        else if (_coherentFreed) { Physical.Add(FindingKind.UseAfterUnmap); Physical.Add(FindingKind.StrayWrite); StaleHits++; }
    }

    /// <summary>
    /// Mappings made and unmapped in a row (to-device, error checked: nothing for debug.c to report); each
    /// unmap is queued. Their IOVAs are the next handles the run returned after the drawn maps.
    /// </summary>
    private void Churn(int count)
    {
        for (var i = 0; i < count; i++)
            _iotlb.Unmapped(_handles[_s.Maps.Length + _churned + i] >> 12, live: true);
        _churned += count;
    }

    /// <summary>check_unmap: exact address match with the kernel's best fit, then the checks in source order.</summary>
    private void Release(string key, ulong size, string type, int dir, int sgEnts)
    {
        var e = BestFit(_live.Where(x => x.Key == key), size, type, dir, sgEnts);
        if (e is null) { Debug.Add(FindingKind.FreeNotAllocated); return; }
        if (e.Size != size) Debug.Add(FindingKind.FreeDifferentSize);
        if (e.Type != type) Debug.Add(FindingKind.FreeWrongFunction);
        if (sgEnts != 0 && e.SgEnts != sgEnts) Debug.Add(FindingKind.FreeDifferentSgCount);
        if (e.Direction != dir) Debug.Add(FindingKind.FreeDifferentDirection);
        if (e.Unchecked) Debug.Add(FindingKind.MapErrorNotChecked);
        _live.Remove(e);
        if (e.Direction == 1) return;
        if (_lines[e.Line] == 0) _lines.Remove(e.Line);
        else _lines[e.Line]--;
    }

    private static Entry? BestFit(IEnumerable<Entry> matches, ulong size, string type, int dir, int sgEnts)
    {
        Entry? best = null;
        int count = 0, bestLevel = -1;
        foreach (var x in matches)
        {
            count++;
            var level = (x.Size == size ? 1 : 0) + (x.Type == type ? 1 : 0) + (x.Direction == dir ? 1 : 0) + (x.SgEnts == sgEnts ? 1 : 0);
            if (level == 4) return x;
            if (level > bestLevel) { best = x; bestLevel = level; }
        }
        return count == 1 ? best : null;
    }

    /// <summary>check_sync: a live entry of the buffer that contains [0, size) (the sync starts at the handle).</summary>
    private void Sync(string key, ulong size, int dir, bool toCpu)
    {
        var e = BestFit(_live.Where(x => x.Key == key && x.Size >= size), size, "single", dir, 0);
        if (e is null) { Debug.Add(FindingKind.SyncNotAllocated); return; }
        if (e.Direction == 0) return;
        if (dir != e.Direction) Debug.Add(FindingKind.SyncDifferentDirection);
        if (toCpu && e.Direction != 2 && dir != 1) Debug.Add(FindingKind.SyncReadOnlyForCpu);
        if (!toCpu && e.Direction != 1 && dir != 2) Debug.Add(FindingKind.SyncWriteOnlyToDevice);
    }

    /// <summary>
    /// A device DMA of <paramref name="length"/> bytes at <paramref name="offset"/> into mapping
    /// <paramref name="map"/>: the engine drives the low address lines it has; an address beyond the CPU's
    /// physical space is a master abort; translated, every page-sized piece goes through the reference's own
    /// IOVA record (a page no live mapping covers is a remapping fault).
    /// </summary>
    private void Dma(int map, ulong offset, ulong length, bool released, bool write)
    {
        var issuedFirst = Handle(map) + offset;
        var extent = offset < _s.Maps[map].Size ? _s.Maps[map].Size - offset : 0;
        var limit = (1UL << CampaignScenario.PhysBits) - 1;
        var judged = false;
        for (var pos = 0UL; pos < length;)
        {
            var driven = (issuedFirst + pos) & Lines;
            var chunk = Math.Min(length - pos, 4096 - (driven & 4095));
            // Translated: the page must be in the reference's own IOVA record (strict: gone at unmap).
            // Untranslated: the driven address is the physical one; beyond the CPU's space it is a master abort.
            var pte = _s.Translated ? Pte(driven >> 12) : null;
            if (!write && pte is { Read: false } && _s.ZeroLengthRead && !_iotlb.DmaIommuEra) ZlrReadFaults++;
            var reached = _s.Translated ? _iotlb.Translate(driven >> 12, write, pte) : driven <= limit;
            if (!reached) { Physical.Add(FindingKind.IommuFault); return; }
            if (_s.Translated && released && pos == 0 && pte is null) StaleHits++;
            // The pages before a fault did transfer: the first landed piece says use-after-unmap, the first
            // piece past the end or off its page is the finding, later pieces can still fault.
            if (!judged && pos == 0 && released) Physical.Add(FindingKind.UseAfterUnmap);
            if (!judged && pos + chunk > extent) { Physical.Add(FindingKind.OutOfMapping); judged = true; }
            else if (!judged && driven != issuedFirst + pos)
            {
                // Translated, a truncated IOVA that still translates reaches another mapping's page.
                Physical.Add(write ? FindingKind.StrayWrite : FindingKind.StrayDataRead);
                judged = true;
            }
            pos += chunk;
        }
    }

    /// <summary>
    /// The device's write of mapping 0 (from offset 0, at most 64 bytes: inside the mapping and its page) after
    /// its leaf PTE became <paramref name="pte"/>. A translation cached before the overwrite that permits the
    /// write still decides (nothing invalidated it): the write lands on the buffer. Otherwise the unit walks
    /// and reads the entry as VT-d's 4 KiB second-level PTE (spec 9.8): bit 1 W clear is a fault; then reserved
    /// bits are a fault — bit 11 (SNP, reserved while ECAP.SC = 0), bits HAW..51 and bit 62 (TM, reserved
    /// without device-TLBs); bits 2–10 (X, EMT, IPAT, ignored), 52–61 and 63 are ignored; bits 12..HAW-1 are
    /// the page the write lands on, a stray write unless it is mapping 0's own buffer.
    /// </summary>
    private void OverwrittenWrite(ulong pte)
    {
        const int haw = CampaignScenario.PhysBits + 4;
        const ulong reserved = 0x800UL | (((1UL << 52) - 1) & ~((1UL << haw) - 1)) | (1UL << 62);
        if (_iotlb.Hits(_handles[0] >> 12, write: true)) { OverwriteCached++; return; }
        if ((pte & 2) == 0 || (pte & reserved) != 0) { Physical.Add(FindingKind.IommuFault); OverwriteFaults++; return; }
        var page = pte & ((1UL << haw) - 1) & ~0xFFFUL;
        if (page == CampaignScenario.BufferAddress(_s.Maps[0].Buffer)) return;
        Physical.Add(FindingKind.StrayWrite);
        OverwriteLandings++;
        // The generator points valid PTEs only at its buffers, 1 MiB apart from the window's start.
        LandedOn = "b" + ((page - CampaignScenario.Window) >> 20);
    }

    private ulong Lines => _s.DeviceBits == 64 ? ulong.MaxValue : (1UL << _s.DeviceBits) - 1;

    /// <summary>
    /// The reference's page-table record: the permissions of the live PTE at IOVA page <paramref name="page"/>,
    /// or null when no live mapping covers it. Write only for from-device and bidirectional mappings; read for
    /// to-device and bidirectional — and for every mapping under intel_dma_ops (up to 5.10), which adds read
    /// when the unit lacks CAP.ZLR, as half the campaign's translated units do (drivers/iommu/intel-iommu.c
    /// __intel_map_single, 2.6.32–5.10: "if (dir == DMA_TO_DEVICE || dir == DMA_BIDIRECTIONAL ||
    /// !cap_zlr(iommu->cap)) prot |= DMA_PTE_READ"); dma-iommu (5.11+) maps exactly dma_info_to_prot's
    /// IOMMU_READ/IOMMU_WRITE (drivers/iommu/intel/iommu.c intel_iommu_map, 5.15).
    /// </summary>
    private (bool Read, bool Write)? Pte(ulong page)
    {
        for (var i = 0; i < _s.Maps.Length; i++)
        {
            if (!_mapLive[i] || page < _handles[i] >> 12 || page > (_handles[i] + _s.Maps[i].Size - 1) >> 12) continue;
            var dir = _s.Maps[i].Direction;
            return (dir != 2 || (!_iotlb.DmaIommuEra && !_s.ZeroLengthRead), dir != 1);
        }
        return _s.Coherent && !_coherentFreed && page == _coherentHandle >> 12 ? (true, true) : null;
    }
}
