using System.Buffers;
using System.Buffers.Binary;
using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Hardware.Platform;
using DmaSim.Kernel.Dma;
using DmaSim.Scenarios;
using DmaSim.Simulation.Machine;

namespace DmaSim.Simulation.Devices;

/// <summary>
/// A Smart-Array-like controller and its driver. The driver keeps a coherent command ring and reply
/// queue, writes commands carrying the data buffers' DMA addresses into the ring and rings the doorbell;
/// the device fetches commands and posts completions with its descriptor address lines and moves data
/// with its data lines. Real bytes everywhere: the driver checks every read against what it wrote.
/// </summary>
public class StorageController : DeviceModel
{
    protected const int Slots = 64;
    protected const int CommandSize = 64;
    protected const int ReplySize = 16;
    private const uint CommandMagic = 0x434D4431; // "CMD1"
    private const uint ReplyMagic = 0x52504C31;   // "RPL1"
    private const ulong DefaultIoSize = ScenarioLimits.DefaultRunTransferBytes;
    private const ulong IoTimeNs = 20_000;
    private const ulong DefaultIoCount = 4;

    // lba -> what the disk holds: byte[] (what arrived) or WrittenData (exactly a driver write, drawn again when read).
    private readonly Dictionary<ulong, object> _disk = [];
    private byte[] _diskScratch = [];
    private byte[] _wantScratch = [];
    // The driver's write of the command in flight: when the disk receives exactly its bytes it keeps the write
    // (drawn again when needed) instead of a copy of the same bytes.
    private WrittenData? _writeData;
    private CoherentBuffer? _ring;
    private CoherentBuffer? _replies;
    private bool _probed;
    private bool _dead;
    private uint _tag;

    public StorageController(SimMachine machine, DeviceConfig config) : base(machine, config) { }

    /// <summary>The command ring, once probed (for reports and tests).</summary>
    public CoherentBuffer? Ring => _ring;

    public override void Run(RunStep step)
    {
        if (step.Run != RunJob.Io)
        {
            Report(FindingKind.UnsupportedJob, Outcome.Ok, $"{Name}: job '{Vocabulary.RunJobs.NameOf(step.Run)}' is not something a storage controller does; ignored");
            return;
        }
        if (!Probe()) return;
        var size = step.Size ?? DefaultIoSize;
        for (ulong i = 0; i < step.Count && !_dead; i++)
        {
            var lba = i;
            if (!WriteIo(lba, size)) continue;
            ReadIo(lba, size);
        }
    }

    /// <summary>Default workload: the `io` job, a write and a read-back of each of a few 64 KiB blocks.</summary>
    public override void RunDefault() => Run(new RunStep(Name, RunJob.Io, DefaultIoCount, null, 1, false, Config.Span));

    /// <summary>Driver probe: the coherent rings (hpsa allocates its command pool and reply queue this way).</summary>
    protected bool Probe()
    {
        if (_probed) return _ring is not null;
        _probed = true;
        _ring = Api.AllocCoherent(Dev, Slots * CommandSize);
        _replies = Api.AllocCoherent(Dev, Slots * ReplySize);
        if (_ring is null || _replies is null)
        {
            Report(FindingKind.CoherentAllocFailed, Outcome.MapError, $"{Name}: dma_alloc_coherent failed for the command ring or reply queue");
            return false;
        }
        Relabel(_ring.Value.Cpu, _ring.Value.Size, OwnerKind.CoherentBuffer, "command ring");
        Relabel(_replies.Value.Cpu, _replies.Value.Size, OwnerKind.CoherentBuffer, "reply queue");
        return true;
    }

    private bool WriteIo(ulong lba, ulong size)
    {
        var label = $"write buffer (lba {lba})";
        var page = AllocKernelBuffer(size, label);
        if (page is null) return false;
        // The bytes are drawn from the run's stream (one draw keys them); what is kept is that key, from which the
        // same bytes are computed again when needed (64 KiB × count per run not kept alive). The CPU writes them
        // straight into the buffer's pages (no staging copy).
        var written = new WrittenData(M.Random.NextUInt64(), (int)size);
        M.Memory.WritePayload(page.Value.Start, size, written.Key);
        var map = Api.Map(Dev, page.Value.Start, size, DmaDirection.ToDevice);
        // A correct driver checks every handle (Documentation/core-api/dma-api.rst, dma_mapping_error).
        var ok = !Api.MappingError(Dev, map.Address, !map.Ok);
        if (!ok) Report(FindingKind.MapError, Outcome.MapError, $"{Name}: dma_map_single of a {Sizes.Format(size)} write buffer failed: {map.Error}");
        else
        {
            _writeData = written;
            ok = Execute(write: true, lba, map.Address, page.Value.Start, size, label);
            _writeData = null;
            Api.Unmap(Dev, map.Address, size, DmaDirection.ToDevice);
            // The disk holding this very write (Receive found the bytes equal) needs no second look.
            if (ok && _disk.TryGetValue(lba, out var stored) && !ReferenceEquals(stored, written) && !written.IsIn(Bytes(stored, ref _diskScratch)))
                Report(FindingKind.DataMismatch, Outcome.Corruption, $"{Name}: lba {lba}: the disk received other bytes than the driver's write buffer held");
            _expected[lba] = written;
        }
        M.Kernel.K.Pages.FreePages(page.Value.Start, page.Value.Order);
        return ok;
    }

    private readonly Dictionary<ulong, WrittenData> _expected = [];

    private void ReadIo(ulong lba, ulong size)
    {
        var label = $"read buffer (lba {lba})";
        var page = AllocKernelBuffer(size, label);
        if (page is null) return;
        M.Memory.Fill(page.Value.Start, size, 0xCC);
        var map = Api.Map(Dev, page.Value.Start, size, DmaDirection.FromDevice);
        if (Api.MappingError(Dev, map.Address, !map.Ok)) Report(FindingKind.MapError, Outcome.MapError, $"{Name}: dma_map_single of a {Sizes.Format(size)} read buffer failed: {map.Error}");
        else
        {
            var ok = Execute(write: false, lba, map.Address, page.Value.Start, size, label);
            Api.Unmap(Dev, map.Address, size, DmaDirection.FromDevice);
            // The driver compares its read buffer with what it wrote, in place (the CPU reads its own pages).
            if (ok && _expected.TryGetValue(lba, out var want) && !ReadBufferHolds(page.Value.Start, size, want))
            {
                var got = ReadBack(size);
                M.Memory.Read(page.Value.Start, got);
                var wanted = want.Draw(Scratch(ref _wantScratch, want.Length));
                Report(FindingKind.DataMismatch, Outcome.Corruption, $"{Name}: lba {lba}: the data the driver read back differs from what it wrote ({CountDiff(got, wanted)} of {size} bytes)");
            }
        }
        M.Kernel.K.Pages.FreePages(page.Value.Start, page.Value.Order);
    }

    /// <summary>Whether the read buffer holds the driver's write, compared in place with the write's bytes.</summary>
    private bool ReadBufferHolds(PhysAddr buffer, ulong size, WrittenData want) =>
        (ulong)want.Length == size && M.Memory.HoldsPayload(buffer, size, want.Key);

    private static int CountDiff(Span<byte> a, Span<byte> b)
    {
        var n = 0;
        for (var i = 0; i < a.Length; i++) if (a[i] != b[i]) n++;
        return n;
    }

    private byte[] _readBack = [];

    /// <summary>Where the driver looks at a read buffer (the CPU's read of its own page), reused from read to read.</summary>
    private Span<byte> ReadBack(ulong size)
    {
        if ((ulong)_readBack.Length < size) _readBack = new byte[size];
        return _readBack.AsSpan(0, (int)size);
    }

    // The DMA intents' labels of the ring and reply slots, made once (a label per command was a string per DMA).
    private static readonly string[] _ringSlotLabels = [.. Enumerable.Range(0, Slots).Select(i => $"command ring slot {i}")];
    private static readonly string[] _replySlotLabels = [.. Enumerable.Range(0, Slots).Select(i => $"reply queue slot {i}")];

    /// <summary>One command: the driver fills a ring slot, the device fetches, moves data, completes (<paramref name="label"/>: the data buffer's).</summary>
    private bool Execute(bool write, ulong lba, DmaAddr data, PhysAddr dataCpu, ulong size, string label)
    {
        var ring = _ring!.Value;
        var replies = _replies!.Value;
        var tag = ++_tag;
        var slot = tag % Slots;
        // Driver: build the command in the coherent ring (CPU writes to its own view of the ring).
        Span<byte> cmd = stackalloc byte[CommandSize];
        BinaryPrimitives.WriteUInt32LittleEndian(cmd, CommandMagic);
        BinaryPrimitives.WriteUInt32LittleEndian(cmd[4..], tag);
        BinaryPrimitives.WriteUInt32LittleEndian(cmd[8..], write ? 1u : 2u);
        BinaryPrimitives.WriteUInt64LittleEndian(cmd[16..], lba);
        BinaryPrimitives.WriteUInt64LittleEndian(cmd[24..], data.Value);
        BinaryPrimitives.WriteUInt64LittleEndian(cmd[32..], size);
        var slotCpu = ring.Cpu.Add(slot * CommandSize);
        M.Memory.Write(slotCpu, cmd);
        M.Memory.Fill(replies.Cpu.Add(slot * ReplySize), ReplySize, 0);
        Tick(IoTimeNs / 4);

        // Device: fetch the command through the descriptor lines.
        Span<byte> fetched = stackalloc byte[CommandSize];
        var slotDma = ring.Dma.Add(slot * CommandSize);
        var r = DeviceRead(slotDma, fetched, DmaLines.Descriptor, new DmaIntent(_ringSlotLabels[slot], KernelViewOf(slotDma, slotCpu), IsControl: true));
        if (!r.Ok || BinaryPrimitives.ReadUInt32LittleEndian(fetched) != CommandMagic || BinaryPrimitives.ReadUInt32LittleEndian(fetched[4..]) != tag)
        {
            Stalled($"command tag {tag} never reached the controller: its fetch of ring slot {slot} at DMA address {slotDma} returned no valid command");
            return false;
        }
        var devAddr = new DmaAddr(BinaryPrimitives.ReadUInt64LittleEndian(fetched[24..]));
        var devLen = (int)BinaryPrimitives.ReadUInt64LittleEndian(fetched[32..]);
        var intent = new DmaIntent(label, KernelViewOf(devAddr, dataCpu), IsControl: false);
        if (write)
        {
            if (!Receive(devAddr, devLen, intent, out var block)) return Completed(tag, slot, status: 1, replies);
            _disk[lba] = block;
        }
        else if (!Send(devAddr, devLen, _disk.GetValueOrDefault(lba), intent)) return Completed(tag, slot, status: 1, replies);
        return Completed(tag, slot, status: 0, replies);
    }

    /// <summary>
    /// The device reads a write's data into its receive buffer. What the disk keeps: when the bytes are exactly
    /// the driver's write buffer, that write (its bytes drawn again when needed; compared page by page where they
    /// lie, as the fabric reads them); otherwise a copy of the bytes that arrived.
    /// </summary>
    /// <remarks>
    /// The receive buffer is scratch (what the disk keeps is a copy, or the write itself), so it comes from the
    /// shared pool: a controller per sweep cell allocated and zeroed 64 KiB for it, a quarter of the cell's
    /// garbage (issue 13). Its old bytes never reach the disk: a plain read that succeeds fills every byte, a compared
    /// read that finds the write's bytes leaves it untouched and the disk keeps the write, and one that does not
    /// refills it from the pages it read.
    /// </remarks>
    private bool Receive(DmaAddr devAddr, int devLen, DmaIntent intent, out object block)
    {
        var rented = ArrayPool<byte>.Shared.Rent(devLen);
        try
        {
            var buffer = rented.AsSpan(0, devLen);
            DmaResult r;
            var matches = false;
            if (_writeData is { } w && w.Length == devLen)
                r = M.Fabric.ReadExpectingPayload(Bdf, devAddr, buffer, w.Key, DmaLines.Data, intent, out matches);
            else r = DeviceRead(devAddr, buffer, DmaLines.Data, intent);
            block = matches ? _writeData! : r.Ok ? buffer.ToArray() : Array.Empty<byte>();
            return r.Ok;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The device writes a block's data to the host: a driver's write as its payload, kept bytes as they are, a block never written as zeros.</summary>
    private bool Send(DmaAddr devAddr, int devLen, object? block, DmaIntent intent) => block switch
    {
        WrittenData w => M.Fabric.WritePayload(Bdf, devAddr, w.Length, w.Key, DmaLines.Data, intent).Ok,
        byte[] bytes => DeviceWrite(devAddr, bytes, DmaLines.Data, intent).Ok,
        null => DeviceWrite(devAddr, new byte[devLen], DmaLines.Data, intent).Ok,
        _ => throw new InvalidOperationException("unknown disk block"),
    };

    /// <summary>The bytes of a disk block: kept bytes, or a driver's write drawn again into <paramref name="scratch"/>.</summary>
    private static Span<byte> Bytes(object block, ref byte[] scratch) => block switch
    {
        byte[] bytes => bytes,
        WrittenData w => w.Draw(Scratch(ref scratch, w.Length)),
        _ => throw new InvalidOperationException("unknown disk block"),
    };

    private static Span<byte> Scratch(ref byte[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new byte[length];
        return buffer.AsSpan(0, length);
    }

    /// <summary>Bytes a driver wrote: the key of the payload drawn from the run's stream, and how many.</summary>
    private sealed record WrittenData(ulong Key, int Length)
    {
        public Span<byte> Draw(Span<byte> into)
        {
            PayloadBytes.Fill(Key, into);
            return into;
        }

        /// <summary>Whether <paramref name="bytes"/> are exactly this write's bytes (computed in registers, not drawn into a buffer).</summary>
        public bool IsIn(ReadOnlySpan<byte> bytes) => bytes.Length == Length && PayloadBytes.Matches(Key, 0, bytes);

    }

    /// <summary>Device posts a completion; the driver polls its reply queue for it.</summary>
    private bool Completed(uint tag, ulong slot, uint status, CoherentBuffer replies)
    {
        Span<byte> reply = stackalloc byte[ReplySize];
        BinaryPrimitives.WriteUInt32LittleEndian(reply, ReplyMagic);
        BinaryPrimitives.WriteUInt32LittleEndian(reply[4..], tag);
        BinaryPrimitives.WriteUInt32LittleEndian(reply[8..], status);
        var replyCpu = replies.Cpu.Add(slot * ReplySize);
        var replyDma = replies.Dma.Add(slot * ReplySize);
        DeviceWrite(replyDma, reply, DmaLines.Descriptor, new DmaIntent(_replySlotLabels[slot], KernelViewOf(replyDma, replyCpu), IsControl: true));
        Tick(IoTimeNs);
        Span<byte> seen = stackalloc byte[ReplySize];
        M.Memory.Read(replyCpu, seen);
        if (BinaryPrimitives.ReadUInt32LittleEndian(seen) != ReplyMagic || BinaryPrimitives.ReadUInt32LittleEndian(seen[4..]) != tag)
        {
            Stalled($"completion for tag {tag} never appeared in the reply queue at {replyCpu}");
            return false;
        }
        return status == 0;
    }

    private void Stalled(string why)
    {
        Report(FindingKind.Stall, Outcome.Stall, $"{Name}: {why}; the driver waits for it forever (controller stalls)");
        // A stalled controller takes no further commands: the run of this device ends here.
        _dead = true;
    }
}
