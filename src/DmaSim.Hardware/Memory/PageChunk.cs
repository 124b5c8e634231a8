using DmaSim.Core;

namespace DmaSim.Hardware.Memory;

/// <summary>One page's part of a byte range: the page, where the part starts in it, its length, and the range's bytes before it.</summary>
internal readonly record struct PageChunk(ulong Pfn, int Offset, int Length, ulong Done)
{
    /// <summary>The parts of [<paramref name="address"/>, address + <paramref name="length"/>), page by page.</summary>
    public static Enumerator Of(ulong address, ulong length) => new(address, length);

    /// <summary>A struct enumerator (foreach over it allocates nothing).</summary>
    public struct Enumerator(ulong address, ulong length)
    {
        private ulong _next = address;
        private ulong _done;
        private int _length;

        public PageChunk Current { get; private set; }

        public readonly Enumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            _done += (ulong)_length;
            _next += (ulong)_length;
            if (_done >= length) return false;
            var offset = (int)(_next & (PhysAddr.PageSize - 1));
            _length = (int)Math.Min(PhysAddr.PageSize - (ulong)offset, length - _done);
            Current = new PageChunk(_next >> PhysAddr.PageShift, offset, _length, _done);
            return true;
        }
    }
}
