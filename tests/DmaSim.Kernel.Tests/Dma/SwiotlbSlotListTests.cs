using DmaSim.Core;
using DmaSim.Kernel.Dma;

namespace DmaSim.Kernel.Tests.Dma;

/// <summary>
/// Guards the in-segment fast paths of <see cref="SwiotlbPool"/>'s Take, Release and Record: after every step
/// of a random mix of takes and releases (of the recorded size and, as a 2.6.32 driver may, of another size,
/// runs ending at or crossing a segment end included) each slot's <c>list</c>, original address and alloc size
/// equal what the kernel's slot-by-slot loops (swiotlb_area_find_slots, swiotlb_release_slots) leave.
/// </summary>
public class SwiotlbSlotListTests
{
    private const int Seg = Swiotlb.IoTlbSegSize;
    private const int Slots = 4 * Seg;
    private const ulong Invalid = ulong.MaxValue;

    private sealed class KernelLoops
    {
        public readonly int[] List = Enumerable.Range(0, Slots).Select(i => Seg - (i % Seg)).ToArray();
        public readonly ulong[] Orig = Enumerable.Repeat(Invalid, Slots).ToArray();
        public readonly ulong[] AllocSize = new ulong[Slots];

        public void Take(int index, int n, ulong allocSize, ulong orig)
        {
            for (var i = index; i < index + n; i++) List[i] = 0;
            var count = 0;
            for (var i = index - 1; i >= 0 && i % Seg != Seg - 1 && List[i] != 0; i--) List[i] = ++count;
            for (var i = 0; i < n; i++)
            {
                AllocSize[index + i] = allocSize - ((ulong)i << Swiotlb.IoTlbShift);
                Orig[index + i] = orig + ((ulong)i << Swiotlb.IoTlbShift);
            }
        }

        public void Release(int index, int n)
        {
            n = Math.Min(n, Slots - index);
            var count = index + n < (index / Seg + 1) * Seg ? List[index + n] : 0;
            for (var i = index + n - 1; i >= index; i--)
            {
                List[i] = ++count;
                Orig[i] = Invalid;
                AllocSize[i] = 0;
            }
            for (var i = index - 1; i >= 0 && i % Seg != Seg - 1 && List[i] != 0; i--) List[i] = ++count;
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Fast_paths_leave_the_slots_as_the_kernels_loops_do(int seed)
    {
        var pool = new SwiotlbPool(PhysRange.FromSize(new PhysAddr(0x1000_0000), (ulong)Slots << Swiotlb.IoTlbShift), areas: 1);
        var model = new KernelLoops();
        var rng = new Random(seed);
        var live = new List<(int Index, int Slots)>();
        for (var step = 0; step < 2000; step++)
        {
            if (live.Count > 0 && (rng.Next(2) == 0 || live.Count > 40))
            {
                var (index, n) = live[rng.Next(live.Count)];
                live.Remove((index, n));
                // Mostly the mapped size; sometimes another one (a 2.6.32 unmap frees what the driver says).
                var release = rng.Next(5) == 0 ? 1 + rng.Next(Seg) : n;
                pool.Release(index, release);
                model.Release(index, release);
                live.RemoveAll(m => m.Index < index + release && index < m.Index + m.Slots);
            }
            else
            {
                var want = 1 + rng.Next(rng.Next(4) == 0 ? Seg : 8);
                var at = pool.Find(0, want, 1, Swiotlb.IoTlbSize - 1, 0, 0);
                if (at < 0) continue;
                var orig = 0x2_0000_0000UL + ((ulong)step << 16);
                pool.Record(at, want, (ulong)want << Swiotlb.IoTlbShift, orig);
                model.Take(at, want, (ulong)want << Swiotlb.IoTlbShift, orig);
                live.Add((at, want));
            }
            for (var i = 0; i < Slots; i++)
            {
                Assert.Equal(model.List[i], pool.List(i));
                Assert.Equal(model.AllocSize[i], pool.AllocSize(i));
                Assert.Equal(model.Orig[i] == Invalid ? null : model.Orig[i], pool.Orig(i));
            }
        }
    }
}
