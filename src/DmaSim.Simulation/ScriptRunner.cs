using DmaSim.Checking;
using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Hardware.Platform;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Mm;
using DmaSim.Scenarios;
using DmaSim.Simulation.Machine;

namespace DmaSim.Simulation;

/// <summary>
/// Executes scripted `op` steps: a generic driver doing exactly the DMA-API calls and CPU accesses the
/// scenario lists, and the device doing exactly the DMAs it lists. Buffer names are global to the run.
/// </summary>
public sealed class ScriptRunner
{
    private readonly SimMachine _m;
    private readonly Dictionary<string, Buffer> _buffers = [];

    public ScriptRunner(SimMachine machine) => _m = machine;

    private sealed class Buffer
    {
        public required string Name { get; init; }
        public required string Device { get; init; }
        public required PhysAddr Cpu { get; init; }
        public required ulong Size { get; init; }
        public int Order { get; init; } = -1;
        public bool Coherent { get; init; }
        public DmaAddr? Dma { get; set; }
        public DmaDirection Direction { get; set; }
        public Buffer? Backing { get; init; }
        public ulong BackingOffset { get; init; }
        /// <summary>What the last writer (CPU or device) put there, for the other side to check.</summary>
        public byte[]? Expected { get; set; }
        public ulong ExpectedOffset { get; set; }
    }

    public void Run(OpStep step, int iteration)
    {
        var name = step.NameFor(iteration);
        var dev = step.Device is null ? null : _m.Kernel.Devices.First(d => d.Name == step.Device);
        var api = _m.Kernel.Dma;
        var devName = step.Device ?? "kernel";
        switch (step.Op)
        {
            case ScriptOp.AllocCoherent:
                {
                    var size = step.Size ?? PhysAddr.PageSize;
                    var b = api.AllocCoherent(dev!, size);
                    if (b is null) { Report(devName, "map-error", Outcome.MapError, $"dma_alloc_coherent({Sizes.Format(size)}) for {name} failed"); return; }
                    _m.Owners.Assign(b.Value.Footprint, new FrameOwner(OwnerKind.CoherentBuffer, devName, name));
                    Add(new Buffer { Name = name!, Device = devName, Cpu = b.Value.Cpu, Size = size, Order = b.Value.Order, Coherent = true, Dma = b.Value.Dma, Direction = DmaDirection.Bidirectional });
                    return;
                }
            case ScriptOp.FreeCoherent:
                {
                    var b = Get(step.Target!.Value, iteration);
                    if (b is null) return;
                    api.FreeCoherent(dev!, new CoherentBuffer(b.Cpu, b.Dma!.Value, b.Size, b.Order));
                    _buffers.Remove(b.Name);
                    return;
                }
            case ScriptOp.AllocBuffer:
                {
                    var size = step.Size ?? PhysAddr.PageSize;
                    var b = AllocKernelBuffer(devName, name!, size, step.At);
                    if (b is not null) Add(b);
                    return;
                }
            case ScriptOp.Map:
                {
                    Buffer? src;
                    if (step.Buffer is { } br) src = Get(br, iteration);
                    else src = AllocKernelBuffer(devName, (name ?? "buffer") + " (data)", step.Size ?? PhysAddr.PageSize, null);
                    if (src is null) return;
                    var offset = step.Offset ?? 0;
                    var size = step.Size ?? RestOf(src, offset, step, "map");
                    var dir = (DmaDirection)(int)(step.Direction ?? StepDirection.Bidirectional);
                    var m = api.Map(dev!, src.Cpu.Add(offset), size, dir);
                    if (!m.Ok) { Report(devName, "map-error", Outcome.MapError, $"dma_map_single of {Sizes.Format(size)} ({name}) failed: {m.Error}"); return; }
                    if (name is not null)
                        Add(new Buffer { Name = name, Device = devName, Cpu = src.Cpu.Add(offset), Size = size, Dma = m.Address, Direction = dir, Backing = src, BackingOffset = offset });
                    return;
                }
            case ScriptOp.Unmap:
                {
                    var b = Get(step.Target!.Value, iteration);
                    if (b?.Dma is null) return;
                    api.Unmap(dev!, b.Dma.Value, b.Size, step.Direction is { } d ? (DmaDirection)(int)d : b.Direction);
                    b.Dma = null;
                    return;
                }
            case ScriptOp.SyncForCpu or ScriptOp.SyncForDevice:
                {
                    var b = Get(step.Target!.Value, iteration);
                    if (b?.Dma is null) return;
                    var dir = step.Direction is { } d ? (DmaDirection)(int)d : b.Direction;
                    var off = step.Offset ?? 0;
                    var len = (ulong)AccessLength(step, b, off, "sync");
                    if (step.Op == ScriptOp.SyncForCpu) api.SyncForCpu(dev!, b.Dma.Value.Add(off), len, dir);
                    else api.SyncForDevice(dev!, b.Dma.Value.Add(off), len, dir);
                    return;
                }
            case ScriptOp.DmaRead or ScriptOp.DmaWrite:
                DeviceDma(step, iteration, devName, dev!);
                return;
            case ScriptOp.CpuWrite:
                {
                    var b = Get(step.Target!.Value, iteration);
                    if (b is null) return;
                    var off = step.Offset ?? 0;
                    var data = new byte[AccessLength(step, b, off, "cpu-write")];
                    _m.Random.NextBytes(data);
                    _m.Memory.Write(b.Cpu.Add(off), data);
                    b.Expected = data;
                    b.ExpectedOffset = off;
                    return;
                }
            case ScriptOp.CpuRead:
                {
                    var b = Get(step.Target!.Value, iteration);
                    if (b?.Expected is null) return;
                    var got = new byte[b.Expected.Length];
                    _m.Memory.Read(b.Cpu.Add(b.ExpectedOffset), got);
                    if (!got.AsSpan().SequenceEqual(b.Expected))
                        Report(devName, "data-mismatch", Outcome.Corruption, $"the CPU reads of {b.Name} differ from what the device wrote ({got.Length} bytes at offset {b.ExpectedOffset})");
                    return;
                }
            case ScriptOp.SetMask:
                if (step.DmaMaskBits is { } mb) api.SetMask(dev!, DmaMask.Bits(mb));
                if (step.CoherentDmaMaskBits is { } cb) api.SetCoherentMask(dev!, DmaMask.Bits(cb));
                return;
        }
    }

    private void DeviceDma(OpStep step, int iteration, string devName, KernelDevice dev)
    {
        var b = Get(step.Target!.Value, iteration);
        if (b is null) return;
        if (b.Dma is null) { Report(devName, "use-after-unmap", Outcome.Ok, $"{devName} DMA to {b.Name}, which is not mapped: the driver gave the device a stale address"); return; }
        var off = step.Offset ?? 0;
        var len = AccessLength(step, b, off, step.Op == ScriptOp.DmaWrite ? "dma-write" : "dma-read");
        var dma = b.Dma.Value.Add(off);
        var cpu = b.Cpu.Add(off);
        var bounced = _m.Kernel.K.Swiotlb is { } pool && pool.IsBounceAddress(dma.AsIdentity()) && dev.Domain != DeviceDomain.Translated;
        var intent = new DmaIntent(b.Name, bounced ? dma.AsIdentity() : cpu, IsControl: false);
        var bdf = SimMachine.ToBdf(_m.Scenario.Device(devName).Bdf);
        if (step.Op == ScriptOp.DmaWrite)
        {
            var data = new byte[len];
            _m.Random.NextBytes(data);
            // A blocked write changes nothing, so there is nothing for the CPU to find afterwards.
            if (!_m.Fabric.Write(bdf, dma, data, DmaLines.Data, intent).Ok) return;
            b.Expected = data;
            b.ExpectedOffset = off;
            // The CPU sees the device's bytes through the buffer the mapping was made from.
            if (b.Backing is { } backing)
            {
                backing.Expected = data;
                backing.ExpectedOffset = b.BackingOffset + off;
            }
        }
        else
        {
            var got = new byte[len];
            var r = _m.Fabric.Read(bdf, dma, got, DmaLines.Data, intent);
            var (want, wantOffset) = b.Expected is not null ? (b.Expected, b.ExpectedOffset)
                : b.Backing?.Expected is { } bw ? (bw, b.Backing.ExpectedOffset - b.BackingOffset) : (null, 0UL);
            if (r.Ok && want is not null && wantOffset == off && want.Length == len && !got.AsSpan().SequenceEqual(want))
                Report(devName, "data-mismatch", Outcome.Corruption, $"{devName} read other bytes from {b.Name} than the CPU wrote");
        }
        _m.Clock.Advance(1000);
    }

    private Buffer? AllocKernelBuffer(string devName, string name, ulong size, PhysAddr? at)
    {
        var owner = new FrameOwner(OwnerKind.KernelBuffer, devName == "kernel" ? null : devName, name);
        if (at is { } a)
        {
            // A buffer at a chosen address (e.g. a highmem page the test wants): tagged as the driver's.
            _m.Owners.Assign(PhysRange.FromSize(a, size), owner);
            return new Buffer { Name = name, Device = devName, Cpu = a, Size = size };
        }
        var page = _m.Kernel.K.Pages.AllocPages(PageAllocator.GetOrder(size), Gfp.Kernel, owner);
        if (page is null) { Report(devName, "oom", Outcome.MapError, $"out of memory allocating {Sizes.Format(size)} for {name}"); return null; }
        return new Buffer { Name = name, Device = devName, Cpu = page.Value.Start, Size = size, Order = page.Value.Order };
    }

    /// <summary>
    /// The bytes an access moves: inside the buffer, `bytes:` clipped at its end (the whole rest without
    /// `bytes:`); from an offset at or past its end, exactly `bytes:` (a scripted out-of-bounds access).
    /// Bounded by <see cref="ScenarioLimits.MaxAccessBytes"/>, since the bytes are real.
    /// </summary>
    private static int AccessLength(OpStep step, Buffer b, ulong offset, string what)
    {
        var length = offset < b.Size ? Math.Min(step.Bytes ?? ulong.MaxValue, b.Size - offset) : RestOf(b, offset, step, what);
        if (length > ScenarioLimits.MaxAccessBytes) throw ScenarioLimits.AccessTooLarge(step.Span, what, length);
        return (int)length;
    }

    /// <summary>The bytes from <paramref name="offset"/> to the buffer's end; past the end only `bytes:` (or `size:`) can say how many.</summary>
    private static ulong RestOf(Buffer b, ulong offset, OpStep step, string what)
    {
        if (offset < b.Size) return b.Size - offset;
        return step.Bytes ?? throw new InputException(step.Span, $"{what}: offset {Hex.Format(offset)} is at or past the end of '{b.Name}' ({Sizes.Format(b.Size)}); give '{(what == "map" ? "size" : "bytes")}:' to say how much");
    }

    private void Add(Buffer b) => _buffers[b.Name] = b;

    private Buffer? Get(BufferRef r, int iteration) => _buffers.GetValueOrDefault(r.Resolve(iteration));

    private void Report(string device, string kind, Outcome outcome, string message) =>
        _m.Checker.Add(new Finding(kind, device, outcome, message));
}
