using DmaSim.Core;
using DmaSim.Hardware.Platform;
using DmaSim.Scenarios;
using DmaSim.Simulation.Machine;

namespace DmaSim.Simulation;

public sealed partial class ScriptRunner
{
    /// <summary>
    /// The device DMAs exactly what the step says: the handle the driver gave it (also a stale one) plus
    /// the offset, for the given length, wherever that reaches. The intent says which bytes the buffer
    /// really has, so the checker can tell a hit from an overrun. A coherent buffer holds the device's
    /// control structures (rings, completions): the device reaches it with its descriptor address lines
    /// (`descriptor-address-bits`), as the built-in models fetch their rings; a mapping with its data lines.
    /// </summary>
    private void DeviceDma(AccessStep s, int iteration)
    {
        var device = s.Device ?? throw new InvalidOperationException("the loader requires a device for dma-read/dma-write");
        if (Get(s.Target, iteration) is not { } b) return;
        var (part, offset) = b.Locate(s.Offset);
        if (part.Handle is not { } handle) return;
        var len = AccessLength(s.Bytes ?? b.RestFrom(s.Offset), s.Span, s.IsWrite ? "dma-write" : "dma-read");
        var dma = Beyond(handle, offset, (ulong)len, s.Span, s.IsWrite ? "dma-write" : "dma-read");
        var dev = Device(device);
        var expected = Bounced(dev, handle) ? dma.AsIdentity() : part.Cpu.Add(offset);
        var lines = part.Coherent ? DmaLines.Descriptor : DmaLines.Data;
        var intent = new DmaIntent(part.Name, expected, IsControl: part.Coherent)
        {
            Extent = offset < part.Size ? part.Size - offset : 0,
            Owner = part.Owner,
            Released = !part.Live || !b.Live,
        };
        var bdf = SimMachine.ToBdf(_m.Scenario.Device(device).Bdf);
        if (s.IsWrite) DeviceWrite(part, offset, len, bdf, dma, lines, intent);
        else DeviceRead(device, part, offset, len, bdf, dma, lines, intent);
        _m.Clock.Advance(1000);
    }

    /// <summary>What the device wrote is remembered on the memory the mapping was made from (one content per buffer).</summary>
    private void DeviceWrite(ScriptBuffer b, ulong offset, int len, Hardware.Pci.Bdf bdf, DmaAddr dma, DmaLines lines, DmaIntent intent)
    {
        var data = new byte[len];
        _m.Random.NextBytes(data);
        // A blocked write changes nothing, so there is nothing for the CPU to find afterwards.
        if (!_m.Fabric.Write(bdf, dma, data, lines, intent).Ok) return;
        var memory = b.Backing ?? b;
        memory.Expected = data;
        memory.ExpectedOffset = b.BackingOffset + offset;
    }

    private void DeviceRead(string device, ScriptBuffer b, ulong offset, int len, Hardware.Pci.Bdf bdf, DmaAddr dma, DmaLines lines, DmaIntent intent)
    {
        var got = new byte[len];
        var r = _m.Fabric.Read(bdf, dma, got, lines, intent);
        var memory = b.Backing ?? b;
        if (r.Ok && memory.Expected is { } want && memory.ExpectedOffset == b.BackingOffset + offset && want.Length == len && !got.AsSpan().SequenceEqual(want))
            Report(device, FindingKind.DataMismatch, Outcome.Corruption, $"{device} read other bytes from {b.Name} than the CPU wrote");
    }

    /// <summary>The driver's CPU side stays inside its buffer: CPU overruns are not what this simulator checks.</summary>
    private void CpuAccess(AccessStep s, int iteration)
    {
        if (Get(s.Target, iteration) is not { } target) return;
        var device = s.Device ?? "kernel";
        // The CPU reads and writes the memory a mapping was made from.
        var b = target.Backing ?? target;
        var off = Math.Min(target.BackingOffset + s.Offset, b.Size);
        var len = AccessLength(Math.Min(s.Bytes ?? b.Size - off, b.Size - off), s.Span, s.IsWrite ? "cpu-write" : "cpu-read");
        if (s.IsWrite)
        {
            var data = new byte[len];
            _m.Random.NextBytes(data);
            _m.Memory.Write(b.Cpu.Add(off), data);
            b.Expected = data;
            b.ExpectedOffset = off;
            return;
        }
        if (b.Expected is null) return;
        var got = new byte[b.Expected.Length];
        _m.Memory.Read(b.Cpu.Add(b.ExpectedOffset), got);
        if (!got.AsSpan().SequenceEqual(b.Expected))
            Report(device, FindingKind.DataMismatch, Outcome.Corruption, $"the CPU reads of {b.Name} differ from what the device wrote ({got.Length} bytes at offset {b.ExpectedOffset})");
    }
}
