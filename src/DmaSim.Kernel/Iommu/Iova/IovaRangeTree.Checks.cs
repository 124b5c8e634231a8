using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DmaSim.Kernel.Iommu.Iova;

/// <summary>What the tests read of the tree, and the full invariant check they run after random operations.</summary>
internal sealed partial class IovaRangeTree
{
    /// <summary>Nodes whose maxima are stale (tests only: guards the lazy upkeep).</summary>
    internal int MarkedNodes => _marked;

    internal const int MarkedBound = MaxMarked;

    /// <summary>Whether the subtree maxima are kept now (tests only).</summary>
    internal bool KeepsMaxima => _augmented;

    /// <summary>Bytes per node, and whether node 0 starts on a cache line (tests only: the layout is the point of issue 13.1).</summary>
    internal static int NodeBytes => Unsafe.SizeOf<Node>();

    internal bool NodesStartOnACacheLine =>
        ((long)Marshal.UnsafeAddrOfPinnedArrayElement(_store, _base) & (LineBytes - 1)) == 0;

    /// <summary>Checks the AVL shape, ordering, gap bookkeeping and augmentation (tests only).</summary>
    internal void Validate()
    {
        var count = 0;
        var prev = Nil;
        for (var n = First(); n != Nil; n = Successor(n))
        {
            count++;
            ref var node = ref At(n);
            if (prev != Nil && node.Lo <= At(prev).Hi) throw new InvalidOperationException($"overlap at {node.Lo:x}");
            if (node.GapLo != GapFloorAbove(prev)) throw new InvalidOperationException($"stale gap at {node.Lo:x}");
            if (!_augmented && ThreadedPredecessor(n) != prev) throw new InvalidOperationException($"broken thread at {node.Lo:x}");
            if (_augmented && (node.OwnFit == StaleFit ? !node.Dirty : node.OwnFit != OwnFitOf(node.GapLo, node.Lo)))
                throw new InvalidOperationException($"stale fit at {node.Lo:x}");
            prev = n;
        }
        if (count != Count) throw new InvalidOperationException("count");
        if (At(Nil).Height != 0 || At(Nil).SubFit != 0 || At(Nil).SubLen != 0 || At(Nil).Dirty)
            throw new InvalidOperationException("sentinel written");
        var marked = 0;
        Check(_root, parentDirty: true, ref marked);
        if (marked != _marked) throw new InvalidOperationException($"{_marked} nodes counted as marked, {marked} are");
    }

    // Reads only: a marked node may hold stale maxima, but its parent must be marked too; an unmarked one
    // must be exact, as must every height.
    private (int Height, ulong Fit, ulong Len) Check(int n, bool parentDirty, ref int marked)
    {
        if (n == Nil) return (0, 0, 0);
        ref var node = ref At(n);
        if (node.Dirty && !_augmented) throw new InvalidOperationException($"marked in walk-only mode at {node.Lo:x}");
        if (node.Dirty && !parentDirty) throw new InvalidOperationException($"marked under an unmarked parent at {node.Lo:x}");
        if (node.Dirty) marked++;
        var l = Check(node.Left, node.Dirty, ref marked);
        var r = Check(node.Right, node.Dirty, ref marked);
        if (Math.Abs(l.Height - r.Height) > 1) throw new InvalidOperationException("unbalanced");
        var fit = Math.Max(OwnFitOf(node.GapLo, node.Lo), Math.Max(l.Fit, r.Fit));
        var len = Math.Max(OwnLen(ref node), Math.Max(l.Len, r.Len));
        var height = 1 + Math.Max(l.Height, r.Height);
        if (height != node.Height || (_augmented && !node.Dirty && (fit != node.SubFit || len != node.SubLen)))
            throw new InvalidOperationException($"stale augmentation at {node.Lo:x}");
        return (height, fit, len);
    }
}
