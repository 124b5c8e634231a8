using System.Buffers;
using System.Buffers.Binary;
using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Hardware.Platform;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Mm;
using DmaSim.Scenarios;
using DmaSim.Simulation.Machine;

namespace DmaSim.Simulation.Devices;

/// <summary>
/// The driver pattern of the default workload for a device without a built-in model (`scripted`, and every
/// device `dmasim import` writes): the descriptor-ring pattern real NIC, storage and USB drivers share.
/// Probe allocates one coherent descriptor ring (e1000e: e1000e_setup_tx_resources/_rx_resources →
/// e1000_alloc_ring_dma → dma_alloc_coherent, drivers/net/ethernet/intel/e1000e/netdev.c, 6.1); each
/// transfer maps a kernel buffer with dma_map_single (transmit: DMA_TO_DEVICE; receive: DMA_FROM_DEVICE,
/// e1000_alloc_rx_buffers), checks dma_mapping_error, writes a descriptor carrying the handle into the ring
/// and rings the doorbell; the device fetches the descriptor and writes its status back (the DD bit) through
/// its descriptor address lines, and moves the data through its data lines; the driver polls the status,
/// syncs the buffer for the CPU (dma_sync_single_for_cpu, as the copybreak path of e1000_clean_rx_irq does),
/// checks the bytes and unmaps. Buffers lie all over RAM, as a long-running page cache gives them: the first
/// at the top of RAM, each next one in the next lower sixth of usable RAM (seeded), all posted together as
/// a receive ring's buffers are; where no free block is near its spot, the buddy allocator's answer for
/// GFP_KERNEL (top of ZONE_NORMAL) or GFP_DMA32.
/// </summary>
public sealed class RingDevice : DeviceModel
{
    private const int DescriptorSize = 16;
    private const int RingSlots = 256;
    private const uint DoneBit = 1;
    private const ulong TransferNs = 10_000;

    /// <summary>Sizes of the default workload's buffers: a page, an MTU-sized receive buffer rounded up, a 64 KiB TSO/IO buffer.</summary>
    private static readonly ulong[] _sizes = [4 * Sizes.KiB, 64 * Sizes.KiB, 16 * Sizes.KiB, 4 * Sizes.KiB, 64 * Sizes.KiB, 8 * Sizes.KiB];

    /// <summary>Zones the buffers come from, in turn (GFP_KERNEL, GFP_DMA32 as e.g. a 32-bit-only block layer bounce gives).</summary>
    private static readonly Gfp[] _zones = [Gfp.Kernel, Gfp.Kernel, Gfp.Kernel | Gfp.Dma32, Gfp.Kernel, Gfp.Kernel | Gfp.Dma32, Gfp.Kernel];

    private CoherentBuffer? _ring;
    private bool _dead;
    private uint _tag;

    public RingDevice(SimMachine machine, DeviceConfig config) : base(machine, config) { }

    /// <summary>The descriptor ring, once probed (for tests).</summary>
    public CoherentBuffer? Ring => _ring;

    /// <summary>`run: firmware-dma` is the platform's, whatever the model; other `run:` jobs stay refused for scripted devices.</summary>
    public override void Run(RunStep step)
    {
        if (step.Run == RunJob.FirmwareDma) RunFirmwareDma(step.Count);
        else Report(FindingKind.UnsupportedJob, Outcome.Ok, $"{Name} is a {ContractWords.DeviceModels.NameOf(Config.Model)}: it has no built-in job; use op steps");
    }

    public override void RunDefault()
    {
        _ring = Api.AllocCoherent(Dev, RingSlots * DescriptorSize);
        if (_ring is null)
        {
            Report(FindingKind.CoherentAllocFailed, Outcome.MapError, $"{Name}: dma_alloc_coherent failed for the descriptor ring");
            return;
        }
        Relabel(_ring.Value.Cpu, _ring.Value.Size, OwnerKind.CoherentBuffer, "descriptor ring");
        var posted = new List<(PageAllocation Page, ulong Size, bool Transmit)>();
        for (var i = 0; i < _sizes.Length; i++)
        {
            var size = _sizes[i];
            var transmit = i % 2 == 0;
            var label = $"{(transmit ? "transmit" : "receive")} buffer {i}";
            var page = SpreadBuffer(i, size, label) ?? AllocKernelBuffer(size, label, _zones[i]);
            if (page is not null) posted.Add((page.Value, size, transmit));
        }
        foreach (var (page, size, transmit) in posted)
        {
            if (!_dead) Transfer(page.Start, size, transmit);
        }
        foreach (var (page, _, _) in posted) M.Kernel.K.Pages.FreePages(page.Start, page.Order);
    }

    /// <summary>
    /// Buffer <paramref name="i"/> of the spread: the first at the top of RAM, each next one somewhere (seeded)
    /// in the next lower sixth of usable RAM, counted over the e820 usable ranges — the pages a long-running
    /// page cache hands a driver. The nearest free block at or below the spot; null when none is free nearby.
    /// </summary>
    private PageAllocation? SpreadBuffer(int i, ulong size, string label)
    {
        var usable = M.E820.Entries.Where(e => e.Type == E820Type.Usable).Select(e => e.Range).ToList();
        var total = usable.Aggregate(0UL, (t, r) => t + r.Size);
        var order = PageAllocator.GetOrder(size);
        var block = PhysAddr.PageSize << order;
        if (total < block * (ulong)_sizes.Length) return null;
        var sixth = total / (ulong)_sizes.Length;
        var offset = i == 0 ? total - block : total - (sixth * (ulong)(i + 1)) + M.Random.Next(sixth);
        foreach (var r in usable)
        {
            if (offset >= r.Size) { offset -= r.Size; continue; }
            var at = (r.Start.Value + offset) & ~(block - 1);
            var owner = new FrameOwner(OwnerKind.KernelBuffer, Name, label);
            for (var tries = 0; tries < 64 && at >= r.Start.Value; tries++, at -= block)
            {
                if (M.Kernel.K.Pages.AllocPagesAt(new PhysAddr(at), order, owner) is { } page) return page;
                if (at < block) break;
            }
            return null;
        }
        return null;
    }

    /// <summary>One descriptor's life: map, post, device fetch + data + status write-back, driver poll, sync, unmap.</summary>
    private void Transfer(PhysAddr cpu, ulong size, bool transmit)
    {
        var dir = transmit ? DmaDirection.ToDevice : DmaDirection.FromDevice;
        var label = $"{(transmit ? "transmit" : "receive")} buffer at {cpu}";
        // Host scratch for the driver's bytes and what the device read, rented per transfer: an imported machine runs
        // this for 20+ devices per cell, and fresh arrays (zeroed, then collected) cost more than the transfer.
        var rented = ArrayPool<byte>.Shared.Rent((int)size * 2);
        try
        {
            Transfer(cpu, size, transmit, dir, label, rented.AsSpan(0, (int)size), rented.AsSpan((int)size, (int)size));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private void Transfer(PhysAddr cpu, ulong size, bool transmit, DmaDirection dir, string label, Span<byte> data, Span<byte> scratch)
    {
        // Transmit: the driver's bytes into its buffer. Receive: what the device will send; the driver poisons its
        // buffer first so bytes the device never wrote show.
        M.Random.NextBytes(data);
        if (transmit) M.Memory.Write(cpu, data);
        else M.Memory.Fill(cpu, size, 0xCC);
        var map = Api.Map(Dev, cpu, size, dir);
        if (Api.MappingError(Dev, map.Address, !map.Ok))
        {
            Report(FindingKind.MapError, Outcome.MapError, $"{Name}: dma_map_single of a {Sizes.Format(size)} {(transmit ? "transmit" : "receive")} buffer at {cpu} failed: {map.Error}");
            return;
        }
        var ring = _ring!.Value;
        var tag = ++_tag;
        var slot = tag % RingSlots;
        var slotCpu = ring.Cpu.Add(slot * DescriptorSize);
        var slotDma = ring.Dma.Add(slot * DescriptorSize);
        // Driver: the descriptor (buffer address, length, tag) in the coherent ring, then the doorbell.
        var desc = new byte[DescriptorSize];
        BinaryPrimitives.WriteUInt64LittleEndian(desc, map.Address.Value);
        BinaryPrimitives.WriteUInt32LittleEndian(desc.AsSpan(8), (uint)size);
        BinaryPrimitives.WriteUInt32LittleEndian(desc.AsSpan(12), tag << 1);
        M.Memory.Write(slotCpu, desc);
        Tick(TransferNs / 4);

        // Device: fetch the descriptor through its descriptor address lines.
        var fetched = new byte[DescriptorSize];
        var r = DeviceRead(slotDma, fetched, DmaLines.Descriptor, new DmaIntent($"descriptor ring slot {slot}", KernelViewOf(slotDma, slotCpu), IsControl: true));
        var ok = r.Ok && fetched.AsSpan().SequenceEqual(desc);
        if (ok)
        {
            var devAddr = new DmaAddr(BinaryPrimitives.ReadUInt64LittleEndian(fetched));
            var intent = new DmaIntent(label, KernelViewOf(devAddr, cpu), IsControl: false) { Extent = size };
            var moved = transmit ? DeviceReadData(devAddr, data, scratch, intent) : DeviceWrite(devAddr, data, DmaLines.Data, intent).Ok;
            // Status write-back: the descriptor with the done bit, through the descriptor lines.
            var status = (byte[])desc.Clone();
            BinaryPrimitives.WriteUInt32LittleEndian(status.AsSpan(12), (tag << 1) | (moved ? DoneBit : 0));
            DeviceWrite(slotDma, status, DmaLines.Descriptor, new DmaIntent($"descriptor ring slot {slot} (status)", KernelViewOf(slotDma, slotCpu), IsControl: true));
            Tick(TransferNs);
            var seen = new byte[DescriptorSize];
            M.Memory.Read(slotCpu, seen);
            ok = BinaryPrimitives.ReadUInt32LittleEndian(seen.AsSpan(12)) == ((tag << 1) | DoneBit);
            if (!ok) Stalled($"descriptor {tag} never completed: its status in ring slot {slot} at {slotCpu} never showed the done bit");
        }
        else Stalled($"descriptor {tag} never reached the device: its fetch of ring slot {slot} at DMA address {slotDma} returned no valid descriptor");

        if (!transmit)
        {
            Api.SyncForCpu(Dev, map.Address, size, dir);
            // The driver checks its buffer in place (the CPU reads its own pages).
            if (ok && !M.Memory.ContentEquals(cpu, data))
                Report(FindingKind.DataMismatch, Outcome.Corruption, $"{Name}: the {Sizes.Format(size)} receive buffer at {cpu} does not hold what the device wrote");
        }
        Api.Unmap(Dev, map.Address, size, dir);
    }

    /// <summary>The device reads a transmit buffer; what it got must be what the driver wrote.</summary>
    private bool DeviceReadData(DmaAddr addr, ReadOnlySpan<byte> want, Span<byte> got, DmaIntent intent)
    {
        if (!DeviceRead(addr, got, DmaLines.Data, intent).Ok) return false;
        if (!got.SequenceEqual(want))
            Report(FindingKind.DataMismatch, Outcome.Corruption, $"{Name}: the device sent other bytes than the {Sizes.Format((ulong)want.Length)} transmit buffer held");
        return true;
    }

    private void Stalled(string why)
    {
        Report(FindingKind.Stall, Outcome.Stall, $"{Name}: {why}; the driver's watchdog sees a hung queue (device stalls)");
        _dead = true;
    }
}
