using CsCheck;
using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Hardware.Pci;
using DmaSim.Hardware.Platform;

namespace DmaSim.Hardware.Tests.Platform;

/// <summary>
/// A compared read and a payload write are the same transactions as a plain read and a write of the drawn
/// bytes: the same pages translated, the same faults, holes read as all ones and written to nowhere; a
/// compared read hands over the bytes whenever they are not the expected payload or it faulted.
/// </summary>
public class DmaFabricPayloadTests
{
    private static readonly Bdf _device = new(0, 3, 0);
    private const ulong Ram = 0x1000_0000;      // 256 MiB of RAM, then a hole of 64 KiB, then RAM again
    private const ulong HoleStart = Ram, HoleEnd = Ram + 0x1_0000;

    // The remapper adds an offset to the DMA address and faults on one chosen page (-1: none).
    private sealed class ShiftingRemapper(ulong shift, long faultPage) : IDmaRemapper
    {
        public string Name => "test-unit";

        public RemapResult Remap(ushort sourceId, ulong address, bool isWrite) =>
            (long)(address >> 12) == faultPage ? RemapResult.Fault(5, "not present") : RemapResult.Untranslated(address + shift);
    }

    private static (DmaFabric Fabric, PhysicalMemory Memory) Platform(ulong shift, long faultPage)
    {
        var memory = new PhysicalMemory(40);
        var owners = new FrameOwners();
        owners.Assign(new PhysRange(new PhysAddr(0), new PhysAddr(HoleStart - 1)), FrameOwner.Free);
        owners.Assign(new PhysRange(new PhysAddr(HoleEnd), new PhysAddr(0x2000_0000 - 1)), FrameOwner.Free);
        var pci = new PciTopology();
        pci.Add(new PciFunction(_device, "dev", PciFunctionKind.Endpoint, true));
        var fabric = new DmaFabric(memory, owners, pci, new EventStream(new SimClock()));
        fabric.AddPort(new DmaPort("dev", _device, 64, 64));
        fabric.WireRemapping(_ => new ShiftingRemapper(shift, faultPage));
        return (fabric, memory);
    }

    // DMA addresses around the hole (at shift 0) so some transfers cross it; lengths up to 5 pages.
    private sealed record Case(ulong Dma, int Length, ulong Key, int Flip, int FaultAt, bool Shifted)
    {
        public ulong Shift => Shifted ? 0x100_0000UL : 0;

        public (DmaFabric Fabric, PhysicalMemory Memory) Platform() =>
            DmaFabricPayloadTests.Platform(Shift, FaultAt < 0 ? -1 : (long)((Dma >> 12) + (ulong)FaultAt));
    }

    private static readonly Gen<Case> _cases =
        Gen.Select(Gen.ULong[HoleStart - 0x6000, HoleEnd + 0x1000], Gen.Int[1, 5 * 4096], Gen.ULong, Gen.Int[-1, 5 * 4096], Gen.Int[-1, 5], Gen.Bool)
            .Select((dma, length, key, flip, faultAt, shifted) => new Case(dma, length, key, flip, faultAt, shifted));

    [Fact]
    public void A_compared_read_is_a_read_that_compares_in_place() =>
        _cases.Sample(c =>
        {
            var shift = c.Shift;
            var (fabric, memory) = c.Platform();
            memory.WritePayload(new PhysAddr(c.Dma + shift), (ulong)c.Length, c.Key);
            if (c.Flip >= 0 && c.Flip < c.Length) memory.Fill(new PhysAddr(c.Dma + shift + (ulong)c.Flip), 1, 0x5A);
            var plain = Enumerable.Repeat((byte)0x11, c.Length).ToArray();
            var compared = Enumerable.Repeat((byte)0x11, c.Length).ToArray();
            var r1 = fabric.Read(_device, new DmaAddr(c.Dma), plain, DmaLines.Data);
            var r2 = fabric.ReadExpectingPayload(_device, new DmaAddr(c.Dma), compared, c.Key, DmaLines.Data, null, out var matches);
            Assert.Equal(r1.Ok, r2.Ok);
            Assert.Equal(r1.Transaction.Segments, r2.Transaction.Segments);
            Assert.Equal(r1.Ok && PayloadBytes.Matches(c.Key, 0, plain), matches);
            if (!matches) Assert.Equal(plain, compared);
        }, iter: 300);

    [Fact]
    public void A_payload_write_stores_what_a_write_of_the_drawn_bytes_stores() =>
        _cases.Sample(c =>
        {
            var shift = c.Shift;
            var (bytesFabric, bytesMemory) = c.Platform();
            var (payloadFabric, payloadMemory) = c.Platform();
            var drawn = new byte[c.Length];
            PayloadBytes.Fill(c.Key, drawn);
            var r1 = bytesFabric.Write(_device, new DmaAddr(c.Dma), drawn, DmaLines.Data);
            var r2 = payloadFabric.WritePayload(_device, new DmaAddr(c.Dma), c.Length, c.Key, DmaLines.Data);
            Assert.Equal(r1.Ok, r2.Ok);
            Assert.Equal(r1.Transaction.Segments, r2.Transaction.Segments);
            var window = new PhysAddr((c.Dma + shift - 0x1000) & ~0xFFFUL);
            var a = new byte[7 * 4096];
            var b = new byte[7 * 4096];
            bytesMemory.Read(window, a);
            payloadMemory.Read(window, b);
            Assert.Equal(a, b);
            Assert.Equal(bytesMemory.TouchedPages, payloadMemory.TouchedPages);
        }, iter: 300);

    private sealed class NamedUnit(string name) : IDmaRemapper
    {
        public string Name => name;

        public RemapResult Remap(ushort sourceId, ulong address, bool isWrite) => RemapResult.Untranslated(address);
    }

    [Fact]
    public void A_requester_is_routed_by_the_topology_as_it_is_when_it_issues_the_dma()
    {
        // The wiring answers by topology: behind a bridge, the second unit. The fabric remembers answers, but not past a change.
        var memory = new PhysicalMemory(40);
        var owners = new FrameOwners();
        owners.Assign(new PhysRange(new PhysAddr(0), new PhysAddr(0xFFFF_FFFF)), FrameOwner.Free);
        var pci = new PciTopology();
        var behind = new Bdf(2, 0, 0);
        pci.Add(new PciFunction(behind, "dev", PciFunctionKind.Endpoint, true));
        var fabric = new DmaFabric(memory, owners, pci, new EventStream(new SimClock()));
        fabric.AddPort(new DmaPort("dev", behind, 64, 64));
        var (root, bridged) = (new NamedUnit("dmar0"), new NamedUnit("dmar1"));
        fabric.WireRemapping(b => pci.UpstreamBridge(b) is null ? root : bridged);
        var buffer = new byte[64];
        Assert.Equal("dmar0", fabric.Read(behind, new DmaAddr(0x1000), buffer, DmaLines.Data).Transaction.Remapper);
        pci.Add(new PciFunction(new Bdf(0, 0x1c, 0), "rp", PciFunctionKind.PcieRootPort, true, SecondaryBus: 2));
        Assert.Equal("dmar1", fabric.Read(behind, new DmaAddr(0x1000), buffer, DmaLines.Data).Transaction.Remapper);
    }
}
