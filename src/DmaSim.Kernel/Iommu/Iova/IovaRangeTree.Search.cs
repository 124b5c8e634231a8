using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace DmaSim.Kernel.Iommu.Iova;

/// <summary>The tree's lookups and searches: by pfn, by start, and for the highest gap that holds a request.</summary>
internal sealed partial class IovaRangeTree
{
    /// <summary>The node whose [Lo, Hi] contains pfn (Linux <c>private_find_iova</c>).</summary>
    public int FindContaining(ulong pfn)
    {
        ref var nodes = ref Nodes;
        var n = _root;
        while (n != Nil)
        {
            ref var node = ref Of(ref nodes, n);
            if (pfn < node.Lo) n = node.Left;
            else if (pfn > node.Hi) n = node.Right;
            else return n;
        }
        return Nil;
    }

    /// <summary>The lowest node with Lo &gt; pfn.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see FindHighestFit
    public int LowestStartingAbove(ulong pfn)
    {
        ref var nodes = ref Nodes;
        int n = _root, best = Nil;
        while (n != Nil)
        {
            ref var node = ref Of(ref nodes, n);
            if (node.Lo > pfn)
            {
                best = n;
                n = node.Left;
            }
            else n = node.Right;
        }
        return best;
    }

    /// <summary>The lowest node with Hi &gt;= pfn.</summary>
    public int LowestEndingAtOrAbove(ulong pfn)
    {
        ref var nodes = ref Nodes;
        int n = _root, best = Nil;
        while (n != Nil)
        {
            ref var node = ref Of(ref nodes, n);
            if (node.Hi >= pfn)
            {
                best = n;
                n = node.Left;
            }
            else n = node.Right;
        }
        return best;
    }

    /// <summary>
    /// The highest node U with <paramref name="keyAbove"/> &lt; U.Lo ≤ <paramref name="keyAtMost"/> whose own
    /// gap holds <paramref name="size"/> pages (size-aligned, or merely that long). Nil when none does.
    /// </summary>
    /// <remarks>
    /// O(height): outside the two boundary paths a subtree is entered only when its maximum says it holds a
    /// match, and then the right-first descent finds one without backtracking.
    /// Runs only in the retry pass, often just once before an allocation fails (full32): without
    /// AggressiveOptimization that one call ran tier-0 code, a call per node access (issue 13: 5 → 11 µs).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int FindHighestFit(ulong keyAbove, bool hasKeyAbove, ulong keyAtMost, ulong size, bool aligned) => _augmented
        ? Search(_root, keyAbove, hasKeyAbove, keyAtMost, size, aligned)
        : Walk(HighestStartingAtOrBelow(keyAtMost), keyAbove, hasKeyAbove, size, aligned);

    // Walk-only mode: Linux's walk downwards from `from` over the nodes starting above keyAbove, one step per
    // node through the in-order thread (ThreadedPredecessor, read in place); one alignment mask serves every node.
    private int Walk(int from, ulong keyAbove, bool hasKeyAbove, ulong size, bool aligned)
    {
        Debug.Assert(!_augmented);
        ref var nodes = ref Nodes;
        var mask = StartMask(size, aligned);
        for (var n = from; n != Nil;)
        {
            ref var node = ref Of(ref nodes, n);
            if (hasKeyAbove && node.Lo <= keyAbove) break;
            if (Holds(ref node, size, mask)) return n;
            n = (int)node.SubFit; // the thread: the in-order predecessor
        }
        return Nil;
    }

    private int HighestStartingAtOrBelow(ulong key)
    {
        ref var nodes = ref Nodes;
        int n = _root, best = Nil;
        while (n != Nil)
        {
            ref var node = ref Of(ref nodes, n);
            if (node.Lo <= key)
            {
                best = n;
                n = node.Right;
            }
            else n = node.Left;
        }
        return best;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see FindHighestFit
    private int Search(int n, ulong keyAbove, bool hasKeyAbove, ulong keyAtMost, ulong size, bool aligned)
    {
        while (n != Nil)
        {
            ref var node = ref Clean(n);
            if (Sub(ref node, aligned) < size) return Nil;
            if (node.Lo > keyAtMost)
            {
                n = node.Left;
                continue;
            }
            if (hasKeyAbove && node.Lo <= keyAbove)
            {
                n = node.Right;
                continue;
            }
            var found = Search(node.Right, keyAbove, hasKeyAbove, keyAtMost, size, aligned);
            if (found != Nil) return found;
            if (Own(ref node, aligned) >= size) return n;
            n = node.Left;
        }
        return Nil;
    }

    /// <summary>
    /// The highest node U at or below node <paramref name="from"/> in order whose own gap holds
    /// <paramref name="size"/> pages: the same answer as <see cref="FindHighestFit"/> with keyAtMost =
    /// Lo(from), found by walking up from <paramref name="from"/> (a finger search), so a fit near the
    /// cached node costs a few nodes rather than a descent from the root.
    /// </summary>
    public int FindHighestFitAtOrBelow(int from, ulong size, bool aligned)
    {
        Debug.Assert(At(from).Lo != AnchorLo, "the anchor's gap is not in the maxima");
        if (!_augmented) return Walk(from, 0, hasKeyAbove: false, size, aligned);
        ref var nodes = ref Nodes;
        var n = from;
        var mask = StartMask(size, aligned);
        if (Holds(ref Of(ref nodes, n), size, mask)) return n;
        // Linux's own walk first, for a few nodes: it reads no maxima, so nothing needs re-pulling.
        for (var step = 0; step < NearbyNodes; step++)
        {
            n = TreePredecessor(n);
            if (n == Nil) return Nil;
            if (Holds(ref Of(ref nodes, n), size, mask)) return n;
        }
        // Only the subtrees below n in order are read, and only those are cleaned: changes above the cached
        // node (the frees of old ranges) stay marked. Highest then reads a clean subtree.
        var left = Of(ref nodes, n).Left;
        if (Sub(ref Clean(left), aligned) >= size) return Highest(left, size, aligned);
        for (var p = Of(ref nodes, n).Parent; p != Nil; n = p, p = Of(ref nodes, p).Parent)
        {
            ref var parent = ref Of(ref nodes, p);
            // Coming up from a right child: p and its left subtree are the next lower nodes.
            if (parent.Right != n) continue;
            if (Holds(ref parent, size, mask)) return p;
            if (Sub(ref Clean(parent.Left), aligned) >= size) return Highest(parent.Left, size, aligned);
        }
        return Nil;
    }

    // How many nodes the finger search steps through one by one, as Linux does, before it consults the maxima.
    private const int NearbyNodes = 4;

    // The highest fitting node in a clean subtree known to hold one: right-first, never backtracks.
    private int Highest(int n, ulong size, bool aligned)
    {
        // Ends at Nil only if the maxima lied (a stale mark): a wrong answer the tests see, not a hang.
        ref var nodes = ref Nodes;
        while (n != Nil)
        {
            ref var node = ref Of(ref nodes, n);
            if (Sub(ref Of(ref nodes, node.Right), aligned) >= size) n = node.Right;
            else if (Own(ref node, aligned) >= size) return n;
            else n = node.Left;
        }
        Debug.Fail("subtree maxima promised a fit that is not there");
        return Nil;
    }
}
