using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DmaSim.Kernel.Iommu.Iova;

/// <summary>
/// The ordered set of allocated IOVA ranges of one domain: an AVL tree keyed by <c>pfn_lo</c> (Linux uses
/// an rbtree; the order of the nodes is all that its algorithm observes, so the balancing scheme is free).
/// Each node also owns the free gap just below it, <c>[GapLo, Lo)</c>. Past 1,024 nodes every subtree also
/// carries the largest gap length and the largest size-aligned request any of its gaps can hold (kept
/// lazily). That augmentation is what turns Linux's linear "walk down from the cached node" into an
/// O(log n) descent (see docs/iova-allocator.md for the proof that the answer is the same node); a smaller
/// tree walks, as Linux does, through an in-order thread.
/// </summary>
/// <remarks>
/// Nodes live in one array of cache-line structs and are named by index, so the domain can hold "cached node" references
/// exactly as Linux holds <c>rb_node</c> pointers: a node keeps its index for its whole life, deletion
/// relinks nodes rather than copying keys between them.
/// </remarks>
internal sealed partial class IovaRangeTree
{
    /// <summary>No node. Index 0 is a sentinel whose height and maxima are 0, so the tree code needs no Nil tests there.</summary>
    public const int Nil = 0;

    // One node per 64-byte cache line: a descent costs one miss per level where 11 parallel arrays cost up to
    // eleven (issue 13: churn at 300,000 live was memory-bound). Fields the descents read come first.
    [StructLayout(LayoutKind.Sequential)]
    private struct Node
    {
        public ulong Lo;
        public ulong Hi;
        public ulong SubFit;
        public ulong SubLen;
        public int Left;
        public int Right;
        public int Parent;
        public short Height;
        public bool Dirty; // SubFit/SubLen stale; every ancestor of a dirty node is dirty too
        public ulong GapLo;
        public ulong OwnFit;
    }

    private const int NodeWords = 8; // sizeof(Node) / sizeof(ulong)
    private const int LineBytes = 64;
    private const int PinnedFromNodes = 1024; // 64 KiB of nodes: past L1, where straddled lines start to cost

    // Nodes live in an array of words. A large store is pinned and starts at its first 64-byte boundary, so
    // no node straddles two cache lines (a Node[] starts 16 bytes into its object) and the address the offset
    // was computed from never moves. A small one is not pinned: it stays in L1 anyway, and a pinned
    // allocation per domain (one per device and cell in a sweep) cost 5 % of the seed sweep in the GC's
    // pinned-heap path (perf, AOT build, 2026-12-06).
    private ulong[] _store = [];
    private int _base;
    private int _capacity;
    private int _root = Nil;
    private int _used = 1; // index 0 is the sentinel
    private int _freeList = Nil;
    private int _marked;
    private const int MaxMarked = 48;

    // Below this many nodes the tree keeps no maxima at all and every search is Linux's own walk, node by
    // node: a few hundred nodes of one cache line each sit in L1, where stepping through them costs less than
    // marking and re-pulling (the issue-13 tree workload at 256 live). Above it the maxima are built once,
    // in O(n), and kept (lazily) until the tree shrinks below half of it, so crossing back and forth costs
    // O(1) per change, amortised. The walk's worst case is this many nodes.
    internal const int DefaultAugmentFrom = 1024;
    private int _augmentFrom = DefaultAugmentFrom;
    private bool _augmented;

    /// <summary>Node count above which the subtree maxima are kept (0: always; tests run both ways).</summary>
    internal int AugmentFrom
    {
        get => _augmentFrom;
        set
        {
            _augmentFrom = value;
            if (!_augmented && Count > value) StartAugmenting();
        }
    }

    /// <summary>The lowest pfn a gap may start at (Linux <c>start_pfn</c>): the floor of the lowest gap.</summary>
    public ulong Floor { get; }

    public int Count { get; private set; }

    public IovaRangeTree(ulong floor)
    {
        Floor = floor;
        // Room for 64 nodes besides the sentinel, doubling: the store grows at the same node counts as the
        // arrays it replaced did (FastPathBehaviourTests' allocation budget sees a resize in its window).
        Reallocate(65);
        At(Nil) = default;
    }

    private ref Node At(int n)
    {
        Debug.Assert((uint)n < (uint)_capacity);
        return ref Unsafe.As<ulong, Node>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_store), _base + n * NodeWords));
    }

    // The sentinel's node, the base a hot loop indexes from (Of). At(n) reloads the store and its offset after
    // every node write, since the JIT cannot tell a node write from a field write; a local ref stays in a
    // register. Valid until the next NewNode (the only caller of Reallocate).
    private ref Node Nodes => ref At(Nil);

    private ref Node Of(ref Node nodes, int n)
    {
        Debug.Assert((uint)n < (uint)_capacity && Unsafe.AreSame(ref nodes, ref Nodes));
        return ref Unsafe.Add(ref nodes, n);
    }

    private void Reallocate(int capacity)
    {
        var pinned = capacity > PinnedFromNodes;
        var store = GC.AllocateArray<ulong>((capacity + 1) * NodeWords, pinned);
        var skip = pinned ? LineSkip(store) : 0;
        _store.AsSpan(_base, _capacity * NodeWords).CopyTo(store.AsSpan(skip));
        (_store, _base, _capacity) = (store, skip, capacity);
    }

    private static int LineSkip(ulong[] pinnedStore)
    {
        var address = (long)Marshal.UnsafeAddrOfPinnedArrayElement(pinnedStore, 0);
        return (int)((LineBytes - (address & (LineBytes - 1))) & (LineBytes - 1)) / sizeof(ulong);
    }

    public ulong Lo(int n) => At(n).Lo;
    public ulong Hi(int n) => At(n).Hi;
    public ulong GapLo(int n) => At(n).GapLo;

    /// <summary>The largest size-aligned request (size s, start aligned to roundup_pow_of_two(s)) that fits in [a, b).</summary>
    /// <remarks>
    /// The set of sizes that fit is downward closed (a smaller size has an alignment that divides the larger
    /// one's, so the larger one's start also serves it), which makes one number per gap exact. With
    /// j = floor(log2(b - a)) only the alignment orders j+1, j and j-1 can hold the maximum.
    /// </remarks>
    public static ulong MaxAlignedFit(ulong a, ulong b)
    {
        if (b <= a) return 0;
        var length = b - a;
        var j = 63 - BitOperations.LeadingZeroCount(length);
        for (var k = Math.Min(j + 1, 63); k >= 0; k--)
        {
            var align = 1UL << k;
            if (a > ulong.MaxValue - (align - 1)) continue;
            var start = (a + align - 1) & ~(align - 1);
            if (start >= b) continue;
            var room = b - start;
            var smallestOfOrder = k == 0 ? 1UL : (align >> 1) + 1;
            if (room >= smallestOfOrder) return Math.Min(room, align);
        }
        return 0;
    }

    // The anchor (Lo = ~0, IovaDomain.IovaAnchor) owns the gap above every range. The domain checks that gap
    // by hand, clamped by the limit (it is the gap of the lowest node at or above the limit), and never asks
    // a search that could return the anchor; so the maxima leave it out. With it in, the root's maxima always
    // said "something fits" and every removal of the highest range re-pulled the whole right spine.
    private const ulong AnchorLo = ulong.MaxValue;

    private static ulong OwnLen(ref Node n) => n.Lo > n.GapLo && n.Lo != AnchorLo ? n.Lo - n.GapLo : 0;

    private static ulong OwnFitOf(ulong gapLo, ulong lo) => lo == AnchorLo ? 0 : MaxAlignedFit(gapLo, lo);
    private static ulong Own(ref Node n, bool aligned)
    {
        Debug.Assert(!aligned || n.OwnFit != StaleFit, "own fit read before Clean");
        return aligned ? n.OwnFit : OwnLen(ref n);
    }

    // OwnFit of a node whose gap changed and that no Clean has reached since (it is marked, too).
    private const ulong StaleFit = ulong.MaxValue;

    // Whether the node's own gap holds the request, from its bounds alone (no OwnFit needed): the highest
    // start at or below Lo - size, aligned, must not lie below the gap. Sizes that fit are downward closed,
    // so this is OwnFit >= size without computing OwnFit.
    private static bool Holds(ref Node n, ulong size, ulong startMask) =>
        n.Lo != AnchorLo && n.Lo >= size && ((n.Lo - size) & startMask) >= n.GapLo;

    // Clears the start's low bits a size-aligned request must have clear (none for an unaligned one).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong StartMask(ulong size, bool aligned) => aligned ? ~(BitOperations.RoundUpToPowerOf2(size) - 1) : ~0UL;
    private static ulong Sub(ref Node n, bool aligned) => aligned ? n.SubFit : n.SubLen;

    // The gap's fit changes only with its bounds: Clean recomputes it then, and only then, and the walk
    // near the cached node tests the bounds directly (Holds), so a change costs no fit computation.
    private void SetGap(int n, ulong gapLo)
    {
        ref var node = ref Of(ref Nodes, n);
        node.GapLo = gapLo;
        node.OwnFit = StaleFit;
        MarkDirty(n);
    }

    // The subtree maxima are kept lazily: a change marks the node and its ancestors up to the first one already
    // marked (one parent load per level, where re-pulling loaded both children too), and a search re-pulls
    // only the marked nodes it reads (Clean). An allocation that finds its gap near the cached node, as most
    // do, reads no maxima at all; the eager re-pull climbed 5.5 levels per change at 256 live and 14.6 at
    // 65,536 (issue 13, 2026-12-07), most of the tree workload's time.
    private void MarkDirty(int n)
    {
        if (!_augmented) return;
        ref var nodes = ref Nodes;
        while (n != Nil)
        {
            ref var node = ref Of(ref nodes, n);
            if (node.Dirty) return;
            node.Dirty = true;
            _marked++;
            n = node.Parent;
        }
    }

    private void Mark(ref Node nodes, int n)
    {
        if (!_augmented) return;
        ref var node = ref Of(ref nodes, n);
        if (!node.Dirty) (node.Dirty, _marked) = (true, _marked + 1);
    }

    /// <summary>Re-pulls the maxima of every marked node in n's subtree (children before parents).</summary>
    private ref Node Clean(int n)
    {
        ref var nodes = ref Nodes;
        ref var node = ref Of(ref nodes, n);
        if (!node.Dirty) return ref node;
        // The children's marks are tested here, so a clean child costs no call.
        ref var l = ref Of(ref nodes, node.Left);
        if (l.Dirty) Clean(node.Left);
        ref var r = ref Of(ref nodes, node.Right);
        if (r.Dirty) Clean(node.Right);
        if (node.OwnFit == StaleFit) node.OwnFit = OwnFitOf(node.GapLo, node.Lo);
        PullMaxima(ref node, ref l, ref r);
        node.Dirty = false;
        _marked--;
        return ref node;
    }

    // Bounds the marked set, so no single search pays for a long run of changes (a full 32-bit space filled
    // by a million allocations that never read the maxima, then one that fails and reads them all).
    private void CleanIfManyMarked()
    {
        if (_marked > MaxMarked) Clean(_root);
    }

    private void StartAugmenting()
    {
        Rebuild(_root);
        _augmented = true;
    }

    // Leaves no node marked, so the walk-only mode never sees a mark (it sets none).
    private void StopAugmenting()
    {
        Clean(_root);
        _augmented = false;
        for (int n = First(), prev = Nil; n != Nil; prev = n, n = Successor(n)) At(n).SubFit = (uint)prev;
    }

    // Walk-only mode threads the nodes in order through the field it has no other use for: SubFit holds the
    // in-order predecessor, so the walk steps with one load per node, where the tree's predecessor is a
    // climb or a descent (39 % of the tree workload at 256 live, perf 2026-12-07). Rebuild overwrites it.
    private int ThreadedPredecessor(int n) => (int)At(n).SubFit;

    // Every node's own fit and subtree maxima from scratch (nothing is marked in walk-only mode).
    private void Rebuild(int n)
    {
        if (n == Nil) return;
        ref var node = ref At(n);
        Rebuild(node.Left);
        Rebuild(node.Right);
        ref var l = ref At(node.Left);
        ref var r = ref At(node.Right);
        node.OwnFit = OwnFitOf(node.GapLo, node.Lo);
        PullMaxima(ref node, ref l, ref r);
    }

    private static void PullMaxima(ref Node node, ref Node l, ref Node r)
    {
        node.SubFit = Math.Max(node.OwnFit, Math.Max(l.SubFit, r.SubFit));
        node.SubLen = Math.Max(OwnLen(ref node), Math.Max(l.SubLen, r.SubLen));
    }

    private void SetHeight(ref Node nodes, int n)
    {
        ref var node = ref Of(ref nodes, n);
        node.Height = (short)(1 + Math.Max(Of(ref nodes, node.Left).Height, Of(ref nodes, node.Right).Height));
    }

    private int NewNode(ulong lo, ulong hi)
    {
        int n;
        if (_freeList != Nil)
        {
            n = _freeList;
            _freeList = At(n).Left;
        }
        else
        {
            if (_used == _capacity) Reallocate((_capacity - 1) * 2 + 1);
            n = _used++;
        }
        ref var node = ref At(n);
        node.Lo = lo;
        node.Hi = hi;
        node.Left = node.Right = node.Parent = Nil;
        node.Height = 1;
        node.Dirty = false;
        return n;
    }

    private ulong GapFloorAbove(int pred) => pred == Nil ? Floor : Math.Max(At(pred).Hi + 1, Floor);

    /// <summary>Inserts [lo, hi]; the caller guarantees it overlaps no node. Returns the new node.</summary>
    public int Insert(ulong lo, ulong hi)
    {
        ref var nodes = ref Nodes;
        int parent = Nil, cur = _root, succ = Nil;
        var goLeft = false;
        while (cur != Nil)
        {
            parent = cur;
            ref var node = ref Of(ref nodes, cur);
            goLeft = lo < node.Lo;
            if (goLeft) succ = cur;
            cur = goLeft ? node.Left : node.Right;
        }
        return Link(NewNode(lo, hi), parent, goLeft, succ);
    }

    /// <summary>
    /// Inserts [lo, hi] into the gap of node <paramref name="owner"/> (GapLo(owner) ≤ lo, hi &lt; Lo(owner)):
    /// the new node becomes owner's in-order predecessor without a descent from the root.
    /// </summary>
    public int InsertBelow(int owner, ulong lo, ulong hi)
    {
        Debug.Assert(At(owner).GapLo <= lo && hi < At(owner).Lo);
        var n = NewNode(lo, hi);
        ref var nodes = ref Nodes; // after NewNode, which may move the store
        var left = Of(ref nodes, owner).Left;
        if (left == Nil) return Link(n, owner, goLeft: true, owner);
        for (var right = Of(ref nodes, left).Right; right != Nil; right = Of(ref nodes, left).Right) left = right;
        return Link(n, left, goLeft: false, owner);
    }

    // Hangs leaf n under parent; succ is n's in-order successor (Nil when n is the highest node).
    private int Link(int n, int parent, bool goLeft, int succ)
    {
        ref var nodes = ref Nodes;
        ref var node = ref Of(ref nodes, n);
        node.Parent = parent;
        if (parent == Nil) _root = n;
        else if (goLeft) Of(ref nodes, parent).Left = n;
        else Of(ref nodes, parent).Right = n;
        Count++;

        // n's gap is what its successor's was (or starts at the predecessor, which is the same floor).
        ref var successor = ref Of(ref nodes, succ); // the sentinel when succ is Nil, never written then
        SetGap(n, succ != Nil ? successor.GapLo : GapFloorAbove(TreePredecessor(n)));
        if (succ != Nil) SetGap(succ, Math.Max(node.Hi + 1, Floor));
        if (!_augmented)
        {
            node.SubFit = (uint)(succ != Nil ? (int)successor.SubFit : TreePredecessor(n));
            if (succ != Nil) successor.SubFit = (uint)n;
        }
        Rebalance(parent);
        if (_augmented) CleanIfManyMarked();
        else if (Count > _augmentFrom) StartAugmenting();
        return n;
    }

    /// <summary>Removes node n, whose in-order successor is <paramref name="succ"/>; that gap grows down to n's predecessor.</summary>
    public void Delete(int n, int succ)
    {
        Debug.Assert(succ == Successor(n));
        ref var nodes = ref Nodes;
        ref var node = ref Of(ref nodes, n);
        if (succ != Nil) SetGap(succ, node.GapLo);
        if (!_augmented && succ != Nil) Of(ref nodes, succ).SubFit = node.SubFit;
        int from;
        if (node.Left == Nil || node.Right == Nil)
        {
            var child = node.Left != Nil ? node.Left : node.Right;
            from = node.Parent;
            Transplant(ref nodes, n, child);
        }
        else
        {
            // The successor is the leftmost node of the right subtree; relink it into n's place.
            var y = succ;
            ref var ny = ref Of(ref nodes, y);
            if (ny.Parent == n)
            {
                from = y;
            }
            else
            {
                from = ny.Parent;
                Transplant(ref nodes, y, ny.Right);
                ny.Right = node.Right;
                Of(ref nodes, ny.Right).Parent = y;
            }
            Transplant(ref nodes, n, y);
            ny.Left = node.Left;
            Of(ref nodes, ny.Left).Parent = y;
            // y now stands where n stood, over n's children (which may be marked): y is marked too.
            ny.Height = node.Height;
            if (ny.Dirty) (ny.Dirty, _marked) = (false, _marked - 1);
            MarkDirty(y);
        }
        MarkDirty(from);
        if (node.Dirty) (node.Dirty, _marked) = (false, _marked - 1);
        node.Left = _freeList;
        _freeList = n;
        Count--;
        Rebalance(from);
        if (!_augmented) return;
        if (Count < _augmentFrom / 2) StopAugmenting();
        else CleanIfManyMarked();
    }

    /// <summary>Lowers node n's start (reserve_iova merging); the order of nodes is unchanged.</summary>
    public void SetLo(int n, ulong lo)
    {
        At(n).Lo = lo;
        SetGap(n, At(n).GapLo);
        CleanIfManyMarked();
    }

    private void Transplant(ref Node nodes, int u, int v)
    {
        var p = Of(ref nodes, u).Parent;
        if (p == Nil) _root = v;
        else
        {
            ref var parent = ref Of(ref nodes, p);
            if (parent.Left == u) parent.Left = v;
            else parent.Right = v;
        }
        if (v != Nil) Of(ref nodes, v).Parent = p;
    }

    // Restores heights and AVL balance from n up; stops at the first node whose subtree height is unchanged,
    // since nothing above depends on more. Every node on the climb is marked (the change below it marked it),
    // so rotations only reshape marked nodes and mark the two they move.
    private void Rebalance(int n)
    {
        ref var nodes = ref Nodes;
        while (n != Nil)
        {
            ref var node = ref Of(ref nodes, n);
            int l = node.Left, r = node.Right;
            int before = node.Height, hl = Of(ref nodes, l).Height, hr = Of(ref nodes, r).Height;
            if (hl - hr > 1)
            {
                ref var left = ref Of(ref nodes, l);
                if (Of(ref nodes, left.Left).Height < Of(ref nodes, left.Right).Height) RotateLeft(l);
                n = RotateRight(n);
            }
            else if (hr - hl > 1)
            {
                ref var right = ref Of(ref nodes, r);
                if (Of(ref nodes, right.Right).Height < Of(ref nodes, right.Left).Height) RotateRight(r);
                n = RotateLeft(n);
            }
            else
            {
                var height = 1 + Math.Max(hl, hr);
                if (height == before) return;
                node.Height = (short)height;
                n = node.Parent;
                continue;
            }
            ref var top = ref Of(ref nodes, n);
            if (top.Height == before) return;
            n = top.Parent;
        }
    }

    private int RotateLeft(int x)
    {
        ref var nodes = ref Nodes;
        ref var nx = ref Of(ref nodes, x);
        var y = nx.Right;
        ref var ny = ref Of(ref nodes, y);
        var inner = ny.Left;
        nx.Right = inner;
        if (inner != Nil) Of(ref nodes, inner).Parent = x;
        Transplant(ref nodes, x, y);
        ny.Left = x;
        nx.Parent = y;
        SetHeight(ref nodes, x);
        SetHeight(ref nodes, y);
        Mark(ref nodes, x);
        Mark(ref nodes, y);
        return y;
    }

    private int RotateRight(int x)
    {
        ref var nodes = ref Nodes;
        ref var nx = ref Of(ref nodes, x);
        var y = nx.Left;
        ref var ny = ref Of(ref nodes, y);
        var inner = ny.Right;
        nx.Left = inner;
        if (inner != Nil) Of(ref nodes, inner).Parent = x;
        Transplant(ref nodes, x, y);
        ny.Right = x;
        nx.Parent = y;
        SetHeight(ref nodes, x);
        SetHeight(ref nodes, y);
        Mark(ref nodes, x);
        Mark(ref nodes, y);
        return y;
    }

    public int First()
    {
        var n = _root;
        if (n == Nil) return Nil;
        while (At(n).Left != Nil) n = At(n).Left;
        return n;
    }

    public int Predecessor(int n) => _augmented ? TreePredecessor(n) : ThreadedPredecessor(n);

    private int TreePredecessor(int n)
    {
        ref var nodes = ref Nodes;
        var left = Of(ref nodes, n).Left;
        if (left != Nil)
        {
            n = left;
            for (var right = Of(ref nodes, n).Right; right != Nil; right = Of(ref nodes, n).Right) n = right;
            return n;
        }
        var p = Of(ref nodes, n).Parent;
        while (p != Nil && Of(ref nodes, p).Left == n)
        {
            n = p;
            p = Of(ref nodes, p).Parent;
        }
        return p;
    }

    public int Successor(int n)
    {
        ref var nodes = ref Nodes;
        var right = Of(ref nodes, n).Right;
        if (right != Nil)
        {
            n = right;
            for (var left = Of(ref nodes, n).Left; left != Nil; left = Of(ref nodes, n).Left) n = left;
            return n;
        }
        var p = Of(ref nodes, n).Parent;
        while (p != Nil && Of(ref nodes, p).Right == n)
        {
            n = p;
            p = Of(ref nodes, p).Parent;
        }
        return p;
    }
}
