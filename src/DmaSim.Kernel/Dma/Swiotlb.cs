using System.Globalization;
using System.Runtime.CompilerServices;
using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Kernel.Mm;

namespace DmaSim.Kernel.Dma;

/// <summary>
/// The software IO TLB (io_tlb_mem): a bounce pool below 4 GiB cut into 2 KiB slots (<see cref="SwiotlbPool"/>),
/// searched per the era's rules, with real byte copies between the original buffer and the bounce slots in
/// simulated memory. With CONFIG_SWIOTLB_DYNAMIC (6.6+) more pools join it at run time (Swiotlb.Dynamic.cs).
/// </summary>
public sealed partial class Swiotlb
{
    /// <summary>IO_TLB_SHIFT: slots of 2 KiB.</summary>
    public const int IoTlbShift = 11;
    public const ulong IoTlbSize = 1UL << IoTlbShift;

    /// <summary>IO_TLB_SEGSIZE: 128 slots, the largest contiguous mapping (256 KiB).</summary>
    public const int IoTlbSegSize = 128;

    /// <summary>IO_TLB_MIN_SLABS: 1 MiB worth of slots; the modern pool halves down to this on allocation failure.</summary>
    public const int IoTlbMinSlabs = (1 << 20) >> IoTlbShift;

    private const ulong PageSize = PhysAddr.PageSize;
    // 2.6.32 x86-64 direct map base (PAGE_OFFSET), for the legacy "Placing ... between %p - %p" line.
    private const ulong LegacyPageOffset = 0xffff880000000000;

    private static readonly int _swiotlbMapEventId = EventStream.TypeIdOf<SwiotlbMapEvent>();
    private static readonly int _swiotlbUnmapEventId = EventStream.TypeIdOf<SwiotlbUnmapEvent>();
    private readonly PhysicalMemory _memory;
    private readonly EventStream _events;
    private readonly SwiotlbConfig _config;
    private readonly PageAllocator _allocator;
    private readonly SwiotlbPool _boot;
    private int _legacyIndex;

    private Swiotlb(PageAllocator allocator, PhysicalMemory memory, EventStream events, SwiotlbConfig config, PhysRange pool, PhysRange? overflow)
    {
        _allocator = allocator;
        _memory = memory;
        _events = events;
        _config = config;
        OverflowBuffer = overflow;
        _boot = new SwiotlbPool(pool, config.Variant == SwiotlbVariant.Modern ? config.Areas : 1);
    }

    /// <summary>The boot pool (io_tlb_start .. io_tlb_end - 1; 6.x io_tlb_default_mem.defpool).</summary>
    public PhysRange Pool => _boot.Range;

    /// <summary>Legacy: the io_tlb_overflow_buffer handed out when the pool is full; null for modern kernels.</summary>
    public PhysRange? OverflowBuffer { get; }

    public SwiotlbVariant Variant => _config.Variant;

    /// <summary>Slots of the boot pool and of the pools added to it since (mem->nslabs); transient pools not counted.</summary>
    public int TotalSlots => _boot.TotalSlots + GrownSlots;

    /// <summary>Slots in use (mem_used(): the sum over areas and pools, transient ones included).</summary>
    public int UsedSlots => _boot.UsedSlots + DynamicUsedSlots;

    /// <summary>
    /// Allocate the pool early below 4 GiB (legacy swiotlb_init: alloc_bootmem_low_pages; modern
    /// swiotlb_init_remap: memblock_alloc_low) and lay out the slots. The modern kernel halves a pool that
    /// cannot be allocated, down to IO_TLB_MIN_SLABS; 2.6.32 panics ("DMA: Cannot allocate SWIOTLB buffer"),
    /// which here is a <see cref="KernelPanicException"/>.
    /// </summary>
    public static Swiotlb Create(PageAllocator allocator, PhysicalMemory memory, EventStream events, SwiotlbConfig config) =>
        TryCreate(allocator, memory, events, config) ?? throw new InvalidOperationException("swiotlb: no memory below 4 GiB for even the minimum pool");

    /// <summary>
    /// As <see cref="Create"/>, but a modern kernel that cannot place even IO_TLB_MIN_SLABS below 4 GiB
    /// boots without a pool (swiotlb_init_remap returns after "Failed to allocate … tlb structure"),
    /// which is null here; dma-direct then fails what it cannot reach instead of bouncing it.
    /// </summary>
    public static Swiotlb? TryCreate(PageAllocator allocator, PhysicalMemory memory, EventStream events, SwiotlbConfig config)
    {
        ArgumentNullException.ThrowIfNull(allocator);
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(config);
        var areas = config.Variant == SwiotlbVariant.Modern ? config.Areas : 1;
        if (areas < 1 || (areas & (areas - 1)) != 0) throw new ArgumentException("swiotlb areas must be a power of two", nameof(config));
        // nslabs = ALIGN(size >> IO_TLB_SHIFT, IO_TLB_SEGSIZE) (setup_io_tlb_npages / swiotlb_init_early).
        var nslabs = AlignUp(config.PoolSize >> IoTlbShift, IoTlbSegSize);
        if (nslabs == 0) throw new ArgumentException("swiotlb pool size is zero", nameof(config));
        var owner = new FrameOwner(OwnerKind.SwiotlbPool);
        const ulong below4G = (4UL << 30) - 1;
        PhysAddr? start;
        while (true)
        {
            if (nslabs % (ulong)(areas * IoTlbSegSize) != 0)
                throw new ArgumentException($"swiotlb pool of {nslabs} slots does not split into {areas} areas of whole segments", nameof(config));
            start = config.BootmemGoal is { } goal
                ? allocator.AllocEarlyBottomUp(nslabs << IoTlbShift, PageSize, goal, below4G, owner)
                : allocator.AllocEarly(nslabs << IoTlbShift, PageSize, below4G, owner);
            if (start is not null) break;
            if (config.Variant == SwiotlbVariant.Legacy) throw new KernelPanicException("DMA: Cannot allocate SWIOTLB buffer");
            if (nslabs <= IoTlbMinSlabs)
            {
                events.Log($"software IO TLB: swiotlb_memblock_alloc: Failed to allocate {nslabs << IoTlbShift} bytes tlb structure");
                return null;
            }
            nslabs = AlignUp(nslabs >> 1, IoTlbSegSize);
        }
        var pool = PhysRange.FromSize(start.Value, nslabs << IoTlbShift);
        PhysRange? overflow = null;
        if (config.Variant == SwiotlbVariant.Legacy)
        {
            // io_tlb_overflow_buffer = alloc_bootmem_low(io_tlb_overflow) right after the pool.
            var overflowOwner = new FrameOwner(OwnerKind.SwiotlbPool, Label: "overflow buffer");
            var o = (config.BootmemGoal is { } g
                    ? allocator.AllocEarlyBottomUp(config.OverflowSize, PageSize, g, below4G, overflowOwner)
                    : allocator.AllocEarly(config.OverflowSize, PageSize, below4G, overflowOwner))
                ?? throw new KernelPanicException("DMA: Cannot allocate SWIOTLB overflow buffer!");
            overflow = PhysRange.FromSize(o, config.OverflowSize);
        }
        var tlb = new Swiotlb(allocator, memory, events, config, pool, overflow);
        if (config.PrintInfoAtInit) tlb.PrintInfo();
        return tlb;
    }

    /// <summary>
    /// swiotlb_adjust_nareas (6.0+, from swiotlb_init_remap): the area count, whatever it is, early in boot before the
    /// pool is placed (pr_fmt "software IO TLB: "; read in 6.1, 6.6 and a 6.13+ copy; a 1-CPU 6.1 guest prints
    /// "area num 1.", tests/oracle).
    /// </summary>
    public static string AreasLine(int areas) => string.Create(CultureInfo.InvariantCulture, $"software IO TLB: area num {areas}.");

    /// <summary>swiotlb_print_info: where the pool lies, in the release's words (<see cref="SwiotlbInfoWording"/>).</summary>
    public void PrintInfo()
    {
        var bytes = Pool.Size;
        var start = Pool.Start.Value;
        // %p of a direct-map address prints 16 hex digits without 0x (2.6.32 and 3.17 x86-64 boot logs).
        var virt = LegacyPageOffset + start;
        switch (_config.InfoWording ?? (Variant == SwiotlbVariant.Modern ? SwiotlbInfoWording.MappedPa : SwiotlbInfoWording.Placing))
        {
            case SwiotlbInfoWording.Placing:
                // "Placing 64MB software IO TLB between ffff880020000000 - ffff880024000000", "software IO TLB at phys 0x20000000 - 0x24000000".
                Log($"Placing {bytes >> 20}MB software IO TLB between {virt:x16} - {virt + bytes:x16}");
                Log($"software IO TLB at phys 0x{start:x} - 0x{start + bytes:x}");
                break;
            case SwiotlbInfoWording.MemMappedAt:
                Log($"software IO TLB [mem 0x{start:x8}-0x{start + bytes:x8}] ({bytes >> 20}MB) mapped at [{virt:x16}-{virt + bytes - 1:x16}]");
                break;
            case SwiotlbInfoWording.MemMappedAtHashed:
                Log($"software IO TLB [mem 0x{start:x8}-0x{start + bytes:x8}] ({bytes >> 20}MB) mapped at [(____ptrval____)-(____ptrval____)]");
                break;
            case SwiotlbInfoWording.Mapped:
                Log($"software IO TLB: mapped [mem 0x{start:x8}-0x{start + bytes:x8}] ({bytes >> 20}MB)");
                break;
            default:
                // 6.0+ printed "area num N." earlier, when swiotlb_init set the pool up (whatever N).
                Log($"software IO TLB: mapped [mem 0x{start:x16}-0x{start + bytes:x16}] ({bytes >> 20}MB)");
                break;
        }
    }

    private void Log(FormattableString line) => _events.Log(FormattableString.Invariant(line));

    /// <summary>True when the address lies in a bounce pool (is_swiotlb_buffer).</summary>
    public bool IsBounceAddress(PhysAddr address) => PoolOf(address) is not null;

    // swiotlb_find_pool: the boot pool, then the pools added at run time.
    private SwiotlbPool? PoolOf(PhysAddr address) =>
        _boot.Range.Contains(address) ? _boot : _grown.Count + _transient.Count == 0 ? null : DynamicPoolOf(address);

    /// <summary>
    /// swiotlb_max_mapping_size(): IO_TLB_SIZE * IO_TLB_SEGSIZE less the slack a device min_align_mask
    /// costs (roundup(min_align_mask, IO_TLB_SIZE)); introduced in 5.1, reported here for both eras.
    /// </summary>
    public static ulong MaxMappingSize(ulong minAlignMask = 0) =>
        IoTlbSize * IoTlbSegSize - (minAlignMask == 0 ? 0 : AlignUp(minAlignMask, IoTlbSize));

    /// <summary>
    /// Bounce a buffer: find slots, record the original address, copy the original into the bounce buffer
    /// as the era does, and return the bounce address. <paramref name="dmaMask"/> is the device's mask:
    /// a bounce buffer beyond it is refused (modern swiotlb_map) or panics (2.6.32 swiotlb_map_page).
    /// <paramref name="minAlignMask"/> is the device's min_align_mask (modern only). <paramref name="allocSize"/>
    /// is swiotlb_tbl_map_single's alloc_size when larger than the mapping (dma-iommu bounces a whole IOVA
    /// granule for an untrusted device; modern only). <paramref name="deviceLimit"/> is the device's own DMA
    /// limit, which bounds a transient pool (CONFIG_SWIOTLB_DYNAMIC) when the caller checks reachability itself.
    /// </summary>
    public SwiotlbMapResult Map(string deviceName, PhysAddr orig, ulong size, DmaDirection dir, ulong dmaMask = ulong.MaxValue, ulong minAlignMask = 0, ulong allocSize = 0, ulong deviceLimit = ulong.MaxValue)
    {
        if (dir == DmaDirection.None) return new(SwiotlbMapStatus.Bug, default, "kernel BUG: swiotlb map with DMA_NONE");
        if (size == 0) return new(SwiotlbMapStatus.Bug, default, "kernel BUG: swiotlb map of zero slots");
        return Variant == SwiotlbVariant.Legacy ? MapLegacy(deviceName, orig, size, dir, dmaMask) : MapModern(deviceName, orig, size, dir, dmaMask, minAlignMask, allocSize, Math.Min(dmaMask, deviceLimit));
    }

    private SwiotlbMapResult MapLegacy(string device, PhysAddr orig, ulong size, DmaDirection dir, ulong dmaMask)
    {
        // Slots counted wide: a size of terabytes must not wrap into a small count (no run of slots is longer than a segment).
        var nslots = (int)Math.Min((size + IoTlbSize - 1) >> IoTlbShift, IoTlbSegSize + 1UL);
        // lib/swiotlb.c map_single: stride = a page's worth of slots when size > PAGE_SIZE (strictly).
        var stride = size > PageSize ? (int)(PageSize >> IoTlbShift) : 1;
        var index = nslots <= IoTlbSegSize ? SearchLegacy(nslots, stride) : -1;
        if (index < 0) return LegacyFull(device, size, dir);
        _boot.Take(index, nslots, area: 0);
        _boot.Record(index, nslots, size, orig.Value);
        _legacyIndex = index + nslots < _boot.TotalSlots ? index + nslots : 0;
        var bounce = _boot.SlotAddr(index);
        // map_single copies to the bounce buffer only for TO_DEVICE and BIDIRECTIONAL (2.6.32 lib/swiotlb.c).
        if (dir is DmaDirection.ToDevice or DmaDirection.Bidirectional) _memory.Copy(orig, bounce, size);
        if (!DmaMask.Admits(dmaMask, bounce.Value, size))
        {
            // 2.6.32 swiotlb_map_page: dma_capable() fails on the bounce address -> panic.
            const string msg = "map_single: bounce buffer is not DMA'ble";
            _events.Log("Kernel panic - not syncing: " + msg);
            return new(SwiotlbMapStatus.NotReachable, bounce, msg);
        }
        if (_config.TraceMaps && _events.Wants(_swiotlbMapEventId)) _events.Emit(new SwiotlbMapEvent(device, orig, bounce, size, dir, nslots));
        return new(SwiotlbMapStatus.Mapped, bounce, null);
    }

    // lib/swiotlb.c map_single's search from io_tlb_index. The pool lies below 4 GiB and segments are 256 KiB
    // aligned, so iommu_is_span_boundary with the default 4 GiB segment boundary never rejects a run; only
    // the list check decides.
    private int SearchLegacy(int nslots, int stride)
    {
        var i = AlignUp(_legacyIndex, stride);
        if (i >= _boot.TotalSlots) i = 0;
        var wrap = i;
        do
        {
            if (_boot.List(i) >= nslots) return i;
            i += stride;
            if (i >= _boot.TotalSlots) i = 0;
        }
        while (i != wrap);
        return -1;
    }

    // swiotlb_full(dev, size, dir, 1) from swiotlb_map_page: the overflow buffer, or a panic for larger requests.
    private SwiotlbMapResult LegacyFull(string device, ulong size, DmaDirection dir)
    {
        var line = string.Create(CultureInfo.InvariantCulture, $"DMA: Out of SW-IOMMU space for {size} bytes at device {device}");
        _events.Log(line);
        if (OverflowBuffer is { } ob && size <= _config.OverflowSize)
        {
            _events.Emit(new SwiotlbFullEvent(device, size, (ulong)TotalSlots, (ulong)UsedSlots, SwiotlbMapStatus.OverflowBuffer));
            return new(SwiotlbMapStatus.OverflowBuffer, ob.Start, line);
        }
        var panic = dir switch
        {
            DmaDirection.Bidirectional => "DMA: Random memory could be DMA accessed",
            DmaDirection.FromDevice => "DMA: Random memory could be DMA written",
            _ => "DMA: Random memory could be DMA read",
        };
        _events.Log("Kernel panic - not syncing: " + panic);
        _events.Emit(new SwiotlbFullEvent(device, size, (ulong)TotalSlots, (ulong)UsedSlots, SwiotlbMapStatus.Panic));
        return new(SwiotlbMapStatus.Panic, default, panic);
    }

    private SwiotlbMapResult MapModern(string device, PhysAddr orig, ulong size, DmaDirection dir, ulong dmaMask, ulong minAlignMask, ulong minAllocSize, ulong physLimit)
    {
        RunPendingGrowth();
        // swiotlb_tbl_map_single: keep the low bits the device insists on (swiotlb_align_offset).
        var offset = orig.Value & minAlignMask & (IoTlbSize - 1);
        var allocSize = Math.Max(size + offset, minAllocSize);
        var nslots = (int)Math.Min((allocSize + IoTlbSize - 1) >> IoTlbShift, IoTlbSegSize + 1UL);
        var search = new SlotSearch(nslots, minAlignMask, allocSize, orig.Value);
        var (pool, index) = FindSlots(search, physLimit);
        if (pool is null) return ModernFull(device, size);
        pool.Record(index, nslots, allocSize, orig.Value - offset);
        var bounce = pool.SlotAddr(index).Add(offset);
        // Modern: bounce original -> slots for every direction so a partial device write cannot leak
        // stale pool bytes (2022 "swiotlb: fix info leak with DMA_FROM_DEVICE" and its rework [R titles]).
        _memory.Copy(orig, bounce, size);
        if (!DmaMask.Admits(dmaMask, bounce.Value, size)) return ModernNotReachable(device, bounce, size, dmaMask);
        if (_config.TraceMaps && _events.Wants(_swiotlbMapEventId)) _events.Emit(new SwiotlbMapEvent(device, orig, bounce, size, dir, nslots));
        return new(SwiotlbMapStatus.Mapped, bounce, null);
    }

    // The failure paths out of line (as the overflow warning in Bounce): their messages' string handlers would
    // make every bounce's frame larger.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private SwiotlbMapResult ModernFull(string device, ulong size)
    {
        var msg = string.Create(CultureInfo.InvariantCulture, $"swiotlb buffer is full (sz: {size} bytes), total {TotalSlots} (slots), used {UsedSlots} (slots)");
        _events.Log(device + ": " + msg);
        _events.Emit(new SwiotlbFullEvent(device, size, (ulong)TotalSlots, (ulong)UsedSlots, SwiotlbMapStatus.Full));
        return new(SwiotlbMapStatus.Full, default, msg);
    }

    // swiotlb_map: the bounce address is not dma_capable -> release without sync, DMA_MAPPING_ERROR.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private SwiotlbMapResult ModernNotReachable(string device, PhysAddr bounce, ulong size, ulong dmaMask)
    {
        Release(bounce, size, DmaDirection.None, sync: false);
        var msg = string.Create(CultureInfo.InvariantCulture, $"swiotlb addr 0x{bounce.Value:x16}+{size} overflow (mask {dmaMask:x}, bus limit 0).");
        _events.Log(device + ": " + msg);
        return new(SwiotlbMapStatus.NotReachable, default, msg);
    }

    /// <summary>
    /// The alignment one modern search asks for (swiotlb_search_pool_area after the 6.9 fixes): page
    /// alignment when nothing else constrains a mapping of PAGE_SIZE or more (14cebf689a78), slot alignment
    /// always, the device's min_align_mask bits above that, stride from the larger mask.
    /// </summary>
    private readonly record struct SlotSearch
    {
        public SlotSearch(int nslots, ulong minAlignMask, ulong allocSize, ulong orig)
        {
            Slots = nslots;
            Orig = orig;
            ulong allocAlign = 0;
            if (minAlignMask == 0 && allocSize >= PageSize) allocAlign = PageSize - 1;
            AllocAlignMask = allocAlign | (IoTlbSize - 1);
            IotlbAlignMask = minAlignMask & ~AllocAlignMask;
            Stride = (int)((Math.Max(AllocAlignMask, IotlbAlignMask) >> IoTlbShift) + 1);
        }

        public int Slots { get; }
        public ulong Orig { get; }
        public ulong AllocAlignMask { get; }
        public ulong IotlbAlignMask { get; }
        public int Stride { get; }

        public int In(SwiotlbPool pool, int cpu) => pool.Find(cpu, Slots, Stride, AllocAlignMask, IotlbAlignMask, Orig);
    }

    /// <summary>
    /// Release a bounce mapping. For FROM_DEVICE and BIDIRECTIONAL the bounce bytes are copied back to
    /// the original first (swiotlb_tbl_unmap_single / 2.6.32 unmap_single). The modern kernel frees as
    /// many slots as the map recorded (alloc_size) — a transient pool goes back whole to the page allocator
    /// (swiotlb_del_transient); 2.6.32 frees what <paramref name="size"/> says.
    /// Returns false when <paramref name="bounce"/> is not the start of a live mapping (nothing changes);
    /// that includes addresses outside the pool such as the legacy overflow buffer, which 2.6.32
    /// unmap_single ignores because is_swiotlb_buffer() is false for it.
    /// </summary>
    public bool Unmap(PhysAddr bounce, ulong size, DmaDirection dir) => Release(bounce, size, dir, sync: true);

    private bool Release(PhysAddr bounce, ulong size, DmaDirection dir, bool sync)
    {
        if (PoolOf(bounce) is not { } pool) return false;
        var index = pool.IndexOf(bounce);
        if (!pool.StartsMapping(index, bounce)) return false;
        if (sync && dir is DmaDirection.FromDevice or DmaDirection.Bidirectional) Bounce(pool, bounce, size, toDevice: false);
        var nslots = Variant == SwiotlbVariant.Legacy
            ? (int)((size + IoTlbSize - 1) >> IoTlbShift)
            : (int)((pool.AllocSize(index) + IoTlbSize - 1) >> IoTlbShift);
        pool.Release(index, nslots);
        if (pool.Transient) FreeTransient(pool);
        if (_config.TraceMaps && sync && _events.Wants(_swiotlbUnmapEventId)) _events.Emit(new SwiotlbUnmapEvent(bounce, size, dir));
        return true;
    }

    /// <summary>
    /// dma_sync_single_for_cpu on a bounced mapping: FROM_DEVICE and BIDIRECTIONAL copy bounce →
    /// original; TO_DEVICE copies nothing; DMA_NONE is a BUG (returns false). Works on any address inside
    /// a mapping (the _range variants); an address outside the pools is not swiotlb's (returns false).
    /// </summary>
    public bool SyncForCpu(PhysAddr bounce, ulong size, DmaDirection dir)
    {
        if (dir == DmaDirection.None || PoolOf(bounce) is not { } pool) return false;
        if (dir is DmaDirection.FromDevice or DmaDirection.Bidirectional) Bounce(pool, bounce, size, toDevice: false);
        return true;
    }

    /// <summary>
    /// dma_sync_single_for_device on a bounced mapping: TO_DEVICE and BIDIRECTIONAL copy original →
    /// bounce; FROM_DEVICE copies nothing; DMA_NONE is a BUG and an address outside the pools is not
    /// swiotlb's (both return false).
    /// </summary>
    public bool SyncForDevice(PhysAddr bounce, ulong size, DmaDirection dir)
    {
        if (dir == DmaDirection.None || PoolOf(bounce) is not { } pool) return false;
        if (dir is DmaDirection.ToDevice or DmaDirection.Bidirectional) Bounce(pool, bounce, size, toDevice: true);
        return true;
    }

    /// <summary>The original address a bounce address stands for, or null when its slot is free.</summary>
    public PhysAddr? OriginalOf(PhysAddr bounce)
    {
        if (PoolOf(bounce) is not { } pool || pool.Orig(pool.IndexOf(bounce)) is not { } orig) return null;
        return new PhysAddr(orig + (bounce.Value & (IoTlbSize - 1)));
    }

    // swiotlb_bounce: the slot's recorded original plus the offset inside the slot. The modern kernel
    // clamps to the recorded alloc_size with "Buffer overflow detected"; 2.6.32 copies what it is told.
    private void Bounce(SwiotlbPool pool, PhysAddr tlbAddr, ulong size, bool toDevice)
    {
        var index = pool.IndexOf(tlbAddr);
        if (pool.Orig(index) is not { } orig) return;
        var within = tlbAddr.Value & (IoTlbSize - 1);
        var origAddr = new PhysAddr(orig + within);
        if (Variant == SwiotlbVariant.Modern)
        {
            var left = pool.AllocSize(index) > within ? pool.AllocSize(index) - within : 0;
            if (size > left)
            {
                OverflowDetected(left, size);
                size = left;
            }
        }
        if (toDevice) _memory.Copy(origAddr, tlbAddr, size);
        else _memory.Copy(tlbAddr, origAddr, size);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void OverflowDetected(ulong left, ulong size) =>
        _events.Log(string.Create(CultureInfo.InvariantCulture, $"swiotlb: Buffer overflow detected. Allocation size: {left}. Mapping size: {size}."));

    private static int AlignUp(int v, int a) => (v + a - 1) / a * a;
    private static ulong AlignUp(ulong v, ulong a) => (v + a - 1) / a * a;
}
