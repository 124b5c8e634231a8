using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DmaSim.Core;
using DmaSim.Hardware.Pci;
using DmaSim.Hardware.Vtd.Spec;

namespace DmaSim.Hardware.Vtd;

/// <summary>
/// The DMA path: QEMU <c>vtd_do_iommu_translate</c> → <c>vtd_dev_to_context_entry</c> →
/// <c>vtd_iova_to_slpte</c> (vtd-hardware.md §2.4, §3.3). Every table is read from simulated memory.
/// </summary>
public sealed partial class VtdUnit
{
    /// <summary>Translates one DMA request of a device (requester id = bus:devfn).</summary>
    public TranslationResult Translate(Bdf device, DmaAddr address, bool isWrite) => Translate(device.RequesterId, address.Value, isWrite);

    /// <summary>
    /// Translates one DMA request. Allocation-free unless a fault is reported with an event stream attached.
    /// Order (§3.3): interrupt window, TE off, IOTLB, context (cached by generation), pass-through, MGAW range
    /// check, the walk, the interrupt-address output check, IOTLB fill.
    /// </summary>
    /// <remarks>
    /// The 4 KiB IOTLB hit is inlined into the caller (the check, the probe, the result); everything else,
    /// in the same order, is <see cref="TranslateSlow"/>.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TranslationResult Translate(ushort sourceId, ulong address, bool isWrite)
    {
        // The MSI window is claimed before translation (QEMU overlays its interrupt region on every device's address space).
        if (_translationEnabled && address - VtdInterruptWindow.First > VtdInterruptWindow.Last - VtdInterruptWindow.First)
        {
            var output = _iotlb.ProbeSmall(sourceId, address);
            if (output != 0)
            {
                if ((output & (isWrite ? IotlbSlot.WriteBit : IotlbSlot.ReadBit)) != 0)
                {
                    IotlbHits++;
                    return TranslationResult.Translated((output & IotlbSlot.PageBits) | (address & (PhysAddr.PageSize - 1)),
                        (output & IotlbSlot.ReadBit) != 0, (output & IotlbSlot.WriteBit) != 0, PhysAddr.PageShift, true);
                }
            }
            // No 4 KiB key and no large entry cached: Find would answer −1 without another probe.
            else if (!_iotlb.HoldsLargePages) return TranslateMiss(sourceId, address, isWrite);
        }
        return TranslateSlow(sourceId, address, isWrite);
    }

    private TranslationResult TranslateSlow(ushort sourceId, ulong address, bool isWrite)
    {
        if (address - VtdInterruptWindow.First <= VtdInterruptWindow.Last - VtdInterruptWindow.First) return TranslationResult.Interrupt(address);
        if (!_translationEnabled) return TranslationResult.Untranslated(address);

        var slot = _iotlb.Find(sourceId, address);
        if (slot >= 0)
        {
            // A hit without the needed permission is re-walked (design decision, docs/vtd-hardware-model.md):
            // the walk then reports the fault properly, where QEMU would fail the access silently.
            var hit = _iotlb.At(slot);
            if (isWrite ? hit.Write : hit.Read)
            {
                IotlbHits++;
                return TranslationResult.Translated(hit.OutputPage | (address & hit.PageMask), hit.Read, hit.Write, 12 + 9 * (hit.Level - 1), true);
            }
        }
        return TranslateMiss(sourceId, address, isWrite);
    }

    // The IOTLB had no usable entry: the context (cached or read), then the walk.
    private TranslationResult TranslateMiss(ushort sourceId, ulong address, bool isWrite)
    {
        IotlbMisses++;

        ref readonly var context = ref _contextCache.Find(sourceId);
        if (!Unsafe.IsNullRef(in context))
        {
            ContextCacheHits++;
        }
        else
        {
            ContextCacheMisses++;
            var reason = ResolveContext(sourceId, out var ceLow, out var ceHigh, out var contextWasRead);
            if (reason != VtdFaultReason.Reserved)
            {
                // QEMU takes FPD from the fetched context entry even when it is not present.
                var fpd = contextWasRead && VtdContextEntry.FaultProcessingDisable.IsSet(ceLow);
                return Fault(sourceId, address, isWrite, reason, fpd);
            }
            context = ref _contextCache.Store(sourceId, Decode(ceLow, ceHigh));
        }

        if (context.PassThrough) return TranslationResult.PassThrough(address); // never cached in the IOTLB (§6.1)
        if (context.LimitBits < 64 && (address >> context.LimitBits) != 0)
            return Fault(sourceId, address, isWrite, VtdFaultReason.AddressBeyondMgaw, context.FaultProcessingDisabled); // vtd_iova_sl_range_check

        return Walk(sourceId, address, isWrite, in context);
    }

    /// <summary>What the walk uses of a valid context entry, decoded once for the context cache.</summary>
    private CachedContext Decode(ulong ceLow, ulong ceHigh)
    {
        var aw = (int)VtdContextEntry.AddressWidth.Get(ceHigh);
        return new CachedContext
        {
            TableRoot = ceLow & _hawMask & ~0xFFFUL,
            DomainId = (ushort)VtdContextEntry.DomainId.Get(ceHigh),
            Levels = (byte)VtdWidth.AgawToLevels(aw),
            LimitBits = (byte)Math.Min(VtdWidth.AgawToWidth(aw), _mgaw),
            PassThrough = (ContextTranslationType)VtdContextEntry.TranslationType.Get(ceLow) == ContextTranslationType.PassThrough,
            FaultProcessingDisabled = VtdContextEntry.FaultProcessingDisable.IsSet(ceLow),
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Readable(ulong address) => address <= _readLimit;

    /// <summary>
    /// QEMU <c>vtd_dev_to_context_entry</c> in legacy mode; returns <see cref="VtdFaultReason.Reserved"/>
    /// (0) on success. Order: root read (8), root P (1), root reserved (0xA), context read (9), context P (2),
    /// context reserved (0xB), AW against SAGAW (3, even for pass-through), TT against ECAP (3).
    /// </summary>
    private VtdFaultReason ResolveContext(ushort sourceId, out ulong low, out ulong high, out bool contextWasRead)
    {
        low = high = 0;
        contextWasRead = false;
        var rootEntry = _rootTable + (ulong)(sourceId >> 8) * VtdRootEntry.Size;
        if (!Readable(rootEntry + 8)) return VtdFaultReason.RootTableInvalid;
        var rootLow = _memory.ReadU64(new PhysAddr(rootEntry));
        var rootHigh = _memory.ReadU64(new PhysAddr(rootEntry + 8));
        if (!VtdRootEntry.Present.IsSet(rootLow)) return VtdFaultReason.RootEntryNotPresent;
        if ((rootLow & VtdRootEntry.ReservedLow(Config.HostAddressWidth)) != 0 || rootHigh != 0) return VtdFaultReason.RootEntryReserved;

        var contextEntry = (rootLow & _hawMask & ~0xFFFUL) + (ulong)(sourceId & 0xFF) * VtdContextEntry.Size;
        if (!Readable(contextEntry + 8)) return VtdFaultReason.ContextTableInvalid;
        low = _memory.ReadU64(new PhysAddr(contextEntry));
        high = _memory.ReadU64(new PhysAddr(contextEntry + 8));
        contextWasRead = true;
        if (!VtdContextEntry.Present.IsSet(low)) return VtdFaultReason.ContextEntryNotPresent;
        if ((high & VtdContextEntry.ReservedHigh) != 0 || (low & VtdContextEntry.ReservedLow(Config.HostAddressWidth)) != 0)
            return VtdFaultReason.ContextEntryReserved;

        // vtd_is_level_supported: the SAGAW bit for AW must be set (QEMU checks this before the TT check).
        var aw = (int)VtdContextEntry.AddressWidth.Get(high);
        if ((Config.Sagaw & (1 << aw)) == 0) return VtdFaultReason.ContextEntryInvalid;

        // vtd_ce_type_check.
        var tt = (ContextTranslationType)VtdContextEntry.TranslationType.Get(low);
        var ok = tt switch
        {
            ContextTranslationType.MultiLevel => true,
            ContextTranslationType.MultiLevelDeviceTlb => Config.DeviceIotlb,
            ContextTranslationType.PassThrough => Config.PassThrough,
            _ => false,
        };
        return ok ? VtdFaultReason.Reserved : VtdFaultReason.ContextEntryInvalid;
    }

    /// <summary>
    /// QEMU <c>vtd_iova_to_slpte</c>: per level read the entry (top-level read failure 3, lower 7), AND the
    /// permissions, check the needed permission (5/6) before the reserved bits (0xC), stop at level 1 or PS.
    /// Then the interrupt-window output check (0xE) and the IOTLB fill.
    /// </summary>
    private TranslationResult Walk(ushort sourceId, ulong address, bool isWrite, in CachedContext context)
    {
        PageWalks++;
        _tables.BeginWalk(); // the walk only reads: no page can leave the page map before it ends
        // The common walk, with no call inside the loop so that nothing is spilled and reloaded per level:
        // every table page remembered by the reader, every entry readable, permitted and free of reserved bits.
        // Anything else walks again from the top through WalkChecked, which reads the same entries (a walk
        // has no side effect) and reports the first fault in QEMU's order.
        var level = (int)context.Levels;
        var table = context.TableRoot;
        var need = isWrite ? VtdSlPte.Write : VtdSlPte.Read;
        var allowed = VtdSlPte.Read | VtdSlPte.Write; // R and W of every level ANDed
        ref var reserved = ref MemoryMarshal.GetArrayDataReference(_reserved); // 12 entries; 2 × level + PS ≤ 11
        ulong pte;
        while (true)
        {
            var offset = 8 * (uint)VtdSlPte.Index(address, level);
            if (!Readable(table + offset) || !_tables.TryReadRemembered(level, table, offset, out pte)) return WalkChecked(sourceId, address, isWrite, in context);
            allowed &= pte;
            var large = (int)(pte >> 7) & 1; // PS
            if ((pte & need) == 0 || (pte & Unsafe.Add(ref reserved, 2 * level + large)) != 0) return WalkChecked(sourceId, address, isWrite, in context);
            if (level == 1 || large != 0) break; // PS at levels 4 and 5 is reserved: not a leaf there
            table = pte & _tableMask;
            level--;
        }
        return Leaf(sourceId, address, isWrite, pte, level, allowed, in context);
    }

    /// <summary>The walk with every check and fault, reading each entry through the reader.</summary>
    private TranslationResult WalkChecked(ushort sourceId, ulong address, bool isWrite, in CachedContext context)
    {
        var level = (int)context.Levels;
        var table = context.TableRoot;
        var need = isWrite ? VtdSlPte.Write : VtdSlPte.Read;
        var allowed = VtdSlPte.Read | VtdSlPte.Write;
        ulong pte;
        while (true)
        {
            var offset = 8 * (uint)VtdSlPte.Index(address, level);
            if (!Readable(table + offset))
                return WalkFault(sourceId, address, isWrite, level == context.Levels ? VtdFaultReason.ContextEntryInvalid : VtdFaultReason.PagingEntryInvalid, in context);
            pte = _tables.Read(level, table, offset);
            allowed &= pte;
            if ((pte & need) == 0)
                return WalkFault(sourceId, address, isWrite, isWrite ? VtdFaultReason.WriteNotPermitted : VtdFaultReason.ReadNotPermitted, in context);
            var large = (int)(pte >> 7) & 1;
            if ((pte & _reserved[2 * level + large]) != 0)
                return WalkFault(sourceId, address, isWrite, VtdFaultReason.PagingEntryReserved, in context);
            if (level == 1 || large != 0) break;
            table = pte & _tableMask;
            level--;
        }
        return Leaf(sourceId, address, isWrite, pte, level, allowed, in context);
    }

    /// <summary>The leaf found: the interrupt-address output check (0xE), the IOTLB fill, the result.</summary>
    private TranslationResult Leaf(ushort sourceId, ulong address, bool isWrite, ulong pte, int level, ulong allowed, in CachedContext context)
    {
        var shift = VtdSlPte.LevelShift(level);
        var pageMask = (1UL << shift) - 1;
        var page = pte & _hawMask & ~pageMask;
        if (VtdInterruptWindow.Overlaps(page, page + pageMask))
            return WalkFault(sourceId, address, isWrite, VtdFaultReason.InterruptAddress, in context);

        var read = (allowed & VtdSlPte.Read) != 0;
        var write = (allowed & VtdSlPte.Write) != 0;
        if (level <= 3)
        {
            // Level 4/5 leaves cannot exist (PS is reserved there), so every leaf is cacheable.
            var entry = new IotlbEntry
            {
                OutputPage = page,
                DomainId = context.DomainId,
                Level = (byte)level,
                Read = read,
                Write = write,
            };
            _iotlb.Insert(sourceId, address, entry);
        }
        return TranslationResult.Translated(page | (address & pageMask), read, write, shift, false);
    }

    private TranslationResult WalkFault(ushort sourceId, ulong address, bool isWrite, VtdFaultReason reason, in CachedContext context) =>
        Fault(sourceId, address, isWrite, reason, context.FaultProcessingDisabled);

    /// <summary>QEMU <c>vtd_report_fault</c>: qualified faults with FPD = 1 are not recorded; others go to the recorder.</summary>
    private TranslationResult Fault(ushort sourceId, ulong address, bool isWrite, VtdFaultReason reason, bool fpd)
    {
        var outcome = fpd && VtdFaultReasons.IsQualified(reason)
            ? FaultRecordOutcome.SuppressedByFpd
            : _faults.Record(sourceId, address, reason, isWrite);
        _events?.Emit(new VtdFaultEvent(Config.RegisterBase, sourceId, address, isWrite, reason, outcome));
        return TranslationResult.Faulted(reason, outcome);
    }
}
