using DmaSim.Checking;
using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Mm;
using DmaSim.Scenarios;
using DmaSim.Simulation.Machine;

namespace DmaSim.Simulation;

/// <summary>
/// Executes scripted `op` steps: a generic driver doing exactly the DMA-API calls and CPU accesses the
/// scenario lists — also the wrong ones (twice, after release, with the wrong size or direction) — and
/// the device doing exactly the DMAs it lists, at any offset and length. Nothing is clamped or skipped:
/// the fabric, the remapping unit and the checkers decide what happened. Buffer names are global to the run.
/// </summary>
public sealed partial class ScriptRunner
{
    private readonly SimMachine _m;
    private readonly Dictionary<string, ScriptBuffer> _buffers = [];

    public ScriptRunner(SimMachine machine) => _m = machine;

    private DmaApi Api => _m.Kernel.Dma;

    public void Run(OpStep step, int iteration)
    {
        switch (step)
        {
            case AllocCoherentStep s: AllocCoherent(s, iteration); break;
            case FreeCoherentStep s: FreeCoherent(s, iteration); break;
            case AllocBufferStep s: AllocBuffer(s, iteration); break;
            case MapStep s: Map(s, iteration); break;
            case UnmapStep s: Unmap(s, iteration); break;
            case SyncStep s: Sync(s, iteration); break;
            case AccessStep { ByDevice: true } s: DeviceDma(s, iteration); break;
            case AccessStep s: CpuAccess(s, iteration); break;
            case SetMaskStep s: SetMask(s); break;
            case UnbindStep s: Api.Unbind(Device(s.Device)); break;
            case MapSgStep s: MapSg(s, iteration); break;
            case UnmapSgStep s: UnmapSg(s, iteration); break;
        }
    }

    private KernelDevice Device(string name) => _m.Kernel.Devices.First(d => d.Name == name);

    private void AllocCoherent(AllocCoherentStep s, int iteration)
    {
        var name = s.NameFor(iteration)!;
        var b = Api.AllocCoherent(Device(s.Device), s.Size);
        if (b is null) { Report(s.Device, FindingKind.MapError, Outcome.MapError, $"dma_alloc_coherent({Sizes.Format(s.Size)}) for {name} failed"); return; }
        var owner = new FrameOwner(OwnerKind.CoherentBuffer, s.Device, name);
        _m.Owners.Assign(b.Value.Footprint, owner);
        Add(new ScriptBuffer
        {
            Name = name,
            Device = s.Device,
            Cpu = b.Value.Cpu,
            Size = s.Size,
            Order = b.Value.Order,
            Owner = owner,
            Handle = b.Value.Dma,
            Direction = DmaDirection.Bidirectional,
            Coherent = true,
        });
    }

    /// <summary>dma_free_coherent with the handle the driver holds, however often the script says.</summary>
    private void FreeCoherent(FreeCoherentStep s, int iteration)
    {
        if (Get(s.Target, iteration) is not { Handle: { } handle } b) return;
        Api.FreeCoherent(Device(s.Device), new CoherentBuffer(b.Cpu, handle, b.Size, b.Order));
        b.Live = false;
    }

    private void AllocBuffer(AllocBufferStep s, int iteration)
    {
        if (AllocKernelBuffer(s.Device ?? "kernel", s.NameFor(iteration)!, s.Size, s.At) is { } b) Add(b);
    }

    private void Map(MapStep s, int iteration)
    {
        var name = s.NameFor(iteration)!;
        var src = s.Buffer is { } br ? Get(br, iteration) : AllocKernelBuffer(s.Device, name + " (data)", s.Size ?? PhysAddr.PageSize, null);
        if (src is null) return;
        if (s.Size is null && s.Offset >= src.Size)
            throw new InputException(s.Span, $"map: offset {Hex.Format(s.Offset)} is at or past the end of '{src.Name}' ({Sizes.Format(src.Size)}); give 'size:' to say how much");
        var size = s.Size ?? src.RestFrom(s.Offset);
        var dir = ToKernel(s.Direction);
        var dev = Device(s.Device);
        var cpu = src.Cpu.Add(s.Offset);
        var m = Api.Map(dev, cpu, size, dir, s.Function == MapFunction.MapPage ? DmaCall.MapPage : DmaCall.MapSingle);
        // A driver that checks calls dma_mapping_error on every handle; one that does not, never does.
        if (s.CheckError) Api.MappingError(dev, m.Address, !m.Ok);
        if (!m.Ok) { Report(s.Device, FindingKind.MapError, Outcome.MapError, $"dma_map_single of {Sizes.Format(size)} ({name}) failed: {m.Error}"); return; }
        Add(new ScriptBuffer
        {
            Name = name,
            Device = s.Device,
            Cpu = cpu,
            Size = size,
            Handle = m.Address,
            Direction = dir,
            Function = s.Function,
            Backing = src,
            BackingOffset = s.Offset,
            Owner = OwnerReachedBy(dev, m.Address, cpu),
        });
    }

    /// <summary>dma_unmap_single/page with the handle held and the size, direction and function the script gives.</summary>
    private void Unmap(UnmapStep s, int iteration)
    {
        if (Get(s.Target, iteration) is not { Handle: { } handle } b) return;
        var function = s.Function ?? b.Function;
        Api.Unmap(Device(s.Device), handle, s.Size ?? b.Size, s.Direction is { } d ? ToKernel(d) : b.Direction,
            function == MapFunction.MapPage ? DmaCall.UnmapPage : DmaCall.UnmapSingle);
        b.Live = false;
    }

    private void Sync(SyncStep s, int iteration)
    {
        if (Get(s.Target, iteration) is not { } b) return;
        var dev = Device(s.Device);
        var dir = s.Direction is { } d ? ToKernel(d) : b.Direction;
        if (b.IsSg) { Api.SyncSg(dev, b.SgEntries, dir, s.ForCpu); return; }
        if (b.Handle is not { } handle) return;
        var len = (ulong)AccessLength(s.Bytes ?? b.RestFrom(s.Offset), s.Span, "sync");
        var at = Beyond(handle, s.Offset, len, s.Span, s.ForCpu ? "sync-for-cpu" : "sync-for-device");
        if (s.ForCpu) Api.SyncForCpu(dev, at, len, dir);
        else Api.SyncForDevice(dev, at, len, dir);
    }

    private void SetMask(SetMaskStep s)
    {
        var dev = Device(s.Device);
        if (s.DmaMaskBits is { } mb) Api.SetMask(dev, DmaMask.Bits(mb));
        if (s.CoherentDmaMaskBits is { } cb) Api.SetCoherentMask(dev, DmaMask.Bits(cb));
    }

    /// <summary>dma_map_sg of fresh kernel buffers, one per entry.</summary>
    private void MapSg(MapSgStep s, int iteration)
    {
        var name = s.NameFor(iteration)!;
        var parts = new List<ScriptBuffer>();
        foreach (var (size, i) in s.Segments.Select((x, i) => (x, i)))
        {
            if (AllocKernelBuffer(s.Device, $"{name}[{i}] (data)", size, null) is not { } part) return;
            parts.Add(part);
        }
        var dev = Device(s.Device);
        var dir = ToKernel(s.Direction);
        var handles = Api.MapSg(dev, [.. parts.Select(p => (p.Cpu, p.Size))], dir);
        if (handles is null) { Report(s.Device, FindingKind.MapError, Outcome.MapError, $"dma_map_sg of {parts.Count} entries ({name}) failed"); return; }
        var segments = parts.Select((p, i) => new ScriptBuffer
        {
            Name = $"{name}[{i}]",
            Device = s.Device,
            Cpu = p.Cpu,
            Size = p.Size,
            Handle = handles[i],
            Direction = dir,
            Backing = p,
            Owner = OwnerReachedBy(dev, handles[i], p.Cpu),
        }).ToList();
        Add(new ScriptBuffer { Name = name, Device = s.Device, Cpu = parts[0].Cpu, Size = (ulong)parts.Sum(p => (decimal)p.Size), Direction = dir, Segments = segments });
    }

    private void UnmapSg(UnmapSgStep s, int iteration)
    {
        if (Get(s.Target, iteration) is not { IsSg: true } b) return;
        Api.UnmapSg(Device(s.Device), b.SgEntries, b.Direction);
        b.Live = false;
        foreach (var part in b.Segments) part.Live = false;
    }

    /// <summary>
    /// The owner of the memory a device reaches through a fresh handle: the bounce slot when swiotlb
    /// bounced it, else the buffer itself. Recorded now, because after a release the page may change hands.
    /// </summary>
    private FrameOwner OwnerReachedBy(KernelDevice dev, DmaAddr handle, PhysAddr cpu) =>
        _m.Owners.OwnerOf(Bounced(dev, handle) ? handle.AsIdentity() : cpu);

    private bool Bounced(KernelDevice dev, DmaAddr handle) =>
        _m.Kernel.K.Swiotlb is { } pool && pool.IsBounceAddress(handle.AsIdentity()) && dev.Domain != DeviceDomain.Translated;

    private ScriptBuffer? AllocKernelBuffer(string devName, string name, ulong size, PhysAddr? at)
    {
        var owner = new FrameOwner(OwnerKind.KernelBuffer, devName == "kernel" ? null : devName, name);
        if (at is { } a)
        {
            // A buffer at a chosen address (e.g. a highmem page the test wants): tagged as the driver's.
            _m.Owners.Assign(PhysRange.FromSize(a, size), owner);
            return new ScriptBuffer { Name = name, Device = devName, Cpu = a, Size = size, Owner = owner };
        }
        var page = _m.Kernel.K.Pages.AllocPages(PageAllocator.GetOrder(size), Gfp.Kernel, owner);
        if (page is null) { Report(devName, FindingKind.Oom, Outcome.MapError, $"out of memory allocating {Sizes.Format(size)} for {name}"); return null; }
        return new ScriptBuffer { Name = name, Device = devName, Cpu = page.Value.Start, Size = size, Order = page.Value.Order, Owner = owner };
    }

    /// <summary>An access's bytes are real: more than <see cref="ScenarioLimits.MaxAccessBytes"/> is refused at the op.</summary>
    private static int AccessLength(ulong length, SourceSpan at, string what) =>
        length <= ScenarioLimits.MaxAccessBytes ? (int)length : throw ScenarioLimits.AccessTooLarge(at, what, length);

    /// <summary>A handle plus a scripted offset, refused at the op when the sum leaves the 64-bit DMA address space.</summary>
    private static DmaAddr Beyond(DmaAddr handle, ulong offset, ulong length, SourceSpan at, string what) =>
        offset <= ulong.MaxValue - handle.Value && length - 1 <= ulong.MaxValue - handle.Value - offset ? handle.Add(offset)
            : throw new InputException(at, $"{what}: {handle} + offset {Hex.Format(offset)} (and its bytes) runs past the 64-bit DMA address space");

    private static DmaDirection ToKernel(StepDirection d) => (DmaDirection)(int)d;

    private void Add(ScriptBuffer b) => _buffers[b.Name] = b;

    private ScriptBuffer? Get(BufferRef r, int iteration) => _buffers.GetValueOrDefault(r.Resolve(iteration));

    private void Report(string device, FindingKind kind, Outcome outcome, string message) =>
        _m.Checker.Add(new Finding(kind, device, outcome, message));
}
