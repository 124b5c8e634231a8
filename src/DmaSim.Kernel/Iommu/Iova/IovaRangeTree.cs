using System.Numerics;

namespace DmaSim.Kernel.Iommu.Iova;

/// <summary>
/// The ordered set of allocated IOVA ranges of one domain: an AVL tree keyed by <c>pfn_lo</c> (Linux uses
/// an rbtree; the order of the nodes is all that its algorithm observes, so the balancing scheme is free).
/// Each node also owns the free gap just below it, <c>[GapLo, Lo)</c>, and every subtree carries the
/// largest gap length and the largest size-aligned request any of its gaps can hold. That augmentation is
/// what turns Linux's linear "walk down from the cached node" into an O(log n) descent
/// (see docs/iova-allocator.md for the proof that the answer is the same node).
/// </summary>
/// <remarks>
/// Nodes live in parallel arrays and are named by index, so the domain can hold "cached node" references
/// exactly as Linux holds <c>rb_node</c> pointers: a node keeps its index for its whole life, deletion
/// relinks nodes rather than copying keys between them.
/// </remarks>
internal sealed class IovaRangeTree
{
    public const int Nil = -1;

    private ulong[] _lo = new ulong[64];
    private ulong[] _hi = new ulong[64];
    private ulong[] _gapLo = new ulong[64];
    private ulong[] _ownFit = new ulong[64];
    private ulong[] _ownLen = new ulong[64];
    private ulong[] _subFit = new ulong[64];
    private ulong[] _subLen = new ulong[64];
    private int[] _left = new int[64];
    private int[] _right = new int[64];
    private int[] _parent = new int[64];
    private int[] _height = new int[64];
    private int _root = Nil;
    private int _used;
    private int _freeList = Nil;

    /// <summary>The lowest pfn a gap may start at (Linux <c>start_pfn</c>): the floor of the lowest gap.</summary>
    public ulong Floor { get; }

    public int Count { get; private set; }

    public IovaRangeTree(ulong floor) => Floor = floor;

    public ulong Lo(int n) => _lo[n];
    public ulong Hi(int n) => _hi[n];
    public ulong GapLo(int n) => _gapLo[n];

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

    private ulong OwnFit(int n) => _ownFit[n];
    private ulong OwnLen(int n) => _ownLen[n];

    // The gap's own values change only with its bounds; caching them keeps Pull to a few loads and maxes.
    private void SetGap(int n, ulong gapLo)
    {
        _gapLo[n] = gapLo;
        _ownFit[n] = MaxAlignedFit(gapLo, _lo[n]);
        _ownLen[n] = _lo[n] > gapLo ? _lo[n] - gapLo : 0;
    }
    private int H(int n) => n == Nil ? 0 : _height[n];
    private ulong SubFit(int n) => n == Nil ? 0 : _subFit[n];
    private ulong SubLen(int n) => n == Nil ? 0 : _subLen[n];

    private void Pull(int n)
    {
        int l = _left[n], r = _right[n];
        _height[n] = 1 + Math.Max(H(l), H(r));
        _subFit[n] = Math.Max(OwnFit(n), Math.Max(SubFit(l), SubFit(r)));
        _subLen[n] = Math.Max(OwnLen(n), Math.Max(SubLen(l), SubLen(r)));
    }

    private void PullToRoot(int n)
    {
        for (; n != Nil; n = _parent[n]) Pull(n);
    }

    private bool PullChanged(int n)
    {
        var height = _height[n];
        var fit = _subFit[n];
        var len = _subLen[n];
        Pull(n);
        return height != _height[n] || fit != _subFit[n] || len != _subLen[n];
    }

    // n's own gap changed: re-pull it, then its ancestors until one comes out unchanged.
    private void PullUpFrom(int n)
    {
        Pull(n);
        for (n = _parent[n]; n != Nil && PullChanged(n); n = _parent[n]) { }
    }

    private int NewNode(ulong lo, ulong hi)
    {
        int n;
        if (_freeList != Nil)
        {
            n = _freeList;
            _freeList = _left[n];
        }
        else
        {
            if (_used == _lo.Length) Grow();
            n = _used++;
        }
        _lo[n] = lo;
        _hi[n] = hi;
        _left[n] = _right[n] = _parent[n] = Nil;
        _height[n] = 1;
        return n;
    }

    private void Grow()
    {
        var size = _lo.Length * 2;
        Array.Resize(ref _lo, size);
        Array.Resize(ref _hi, size);
        Array.Resize(ref _gapLo, size);
        Array.Resize(ref _ownFit, size);
        Array.Resize(ref _ownLen, size);
        Array.Resize(ref _subFit, size);
        Array.Resize(ref _subLen, size);
        Array.Resize(ref _left, size);
        Array.Resize(ref _right, size);
        Array.Resize(ref _parent, size);
        Array.Resize(ref _height, size);
    }

    private ulong GapFloorAbove(int pred) => pred == Nil ? Floor : Math.Max(_hi[pred] + 1, Floor);

    /// <summary>Inserts [lo, hi]; the caller guarantees it overlaps no node. Returns the new node.</summary>
    public int Insert(ulong lo, ulong hi)
    {
        var n = NewNode(lo, hi);
        int parent = Nil, cur = _root, pred = Nil, succ = Nil;
        var goLeft = false;
        while (cur != Nil)
        {
            parent = cur;
            goLeft = lo < _lo[cur];
            if (goLeft)
            {
                succ = cur;
                cur = _left[cur];
            }
            else
            {
                pred = cur;
                cur = _right[cur];
            }
        }
        _parent[n] = parent;
        if (parent == Nil) _root = n;
        else if (goLeft) _left[parent] = n;
        else _right[parent] = n;
        Count++;

        // The last turns of the descent are the new leaf's neighbours.
        SetGap(n, GapFloorAbove(pred));
        Pull(n);
        if (succ != Nil) SetGap(succ, Math.Max(hi + 1, Floor));
        Rebalance(parent);
        if (succ != Nil) PullUpFrom(succ);
        return n;
    }

    /// <summary>Removes node n; its successor's gap grows down to n's predecessor.</summary>
    public void Delete(int n)
    {
        var pred = Predecessor(n);
        var succ = Successor(n);
        if (succ != Nil) SetGap(succ, GapFloorAbove(pred));
        int rebalanceFrom;
        if (_left[n] == Nil || _right[n] == Nil)
        {
            var child = _left[n] != Nil ? _left[n] : _right[n];
            rebalanceFrom = _parent[n];
            Transplant(n, child);
        }
        else
        {
            // The successor is the leftmost node of the right subtree; relink it into n's place.
            var y = succ;
            if (_parent[y] == n)
            {
                rebalanceFrom = y;
            }
            else
            {
                rebalanceFrom = _parent[y];
                Transplant(y, _right[y]);
                _right[y] = _right[n];
                _parent[_right[y]] = y;
            }
            Transplant(n, y);
            _left[y] = _left[n];
            _parent[_left[y]] = y;
            // y now stands where n stood: "changed" must be judged against what n's parent last saw.
            _height[y] = _height[n];
            _subFit[y] = _subFit[n];
            _subLen[y] = _subLen[n];
        }
        _left[n] = _freeList;
        _freeList = n;
        Count--;
        Rebalance(rebalanceFrom);
        // The successor's gap grew: not visible to an early-stopping rebalance, so pulled on its own.
        if (succ != Nil) PullUpFrom(succ);
    }

    /// <summary>Lowers node n's start (reserve_iova merging); the order of nodes is unchanged.</summary>
    public void SetLo(int n, ulong lo)
    {
        _lo[n] = lo;
        SetGap(n, _gapLo[n]);
        PullToRoot(n);
    }

    private void Transplant(int u, int v)
    {
        var p = _parent[u];
        if (p == Nil) _root = v;
        else if (_left[p] == u) _left[p] = v;
        else _right[p] = v;
        if (v != Nil) _parent[v] = p;
    }

    private void Rebalance(int n)
    {
        while (n != Nil)
        {
            // Ancestors depend only on their children's height and maxima: once a node is balanced and
            // those are unchanged, nothing above changes either.
            var changed = PullChanged(n);
            var balance = H(_left[n]) - H(_right[n]);
            if (balance > 1)
            {
                if (H(_left[_left[n]]) < H(_right[_left[n]])) RotateLeft(_left[n]);
                n = RotateRight(n);
                changed = true;
            }
            else if (balance < -1)
            {
                if (H(_right[_right[n]]) < H(_left[_right[n]])) RotateRight(_right[n]);
                n = RotateLeft(n);
                changed = true;
            }
            if (!changed) return;
            n = _parent[n];
        }
    }

    private int RotateLeft(int x)
    {
        var y = _right[x];
        _right[x] = _left[y];
        if (_left[y] != Nil) _parent[_left[y]] = x;
        Transplant(x, y);
        _left[y] = x;
        _parent[x] = y;
        Pull(x);
        Pull(y);
        return y;
    }

    private int RotateRight(int x)
    {
        var y = _left[x];
        _left[x] = _right[y];
        if (_right[y] != Nil) _parent[_right[y]] = x;
        Transplant(x, y);
        _right[y] = x;
        _parent[x] = y;
        Pull(x);
        Pull(y);
        return y;
    }

    public int First()
    {
        var n = _root;
        if (n == Nil) return Nil;
        while (_left[n] != Nil) n = _left[n];
        return n;
    }

    public int Predecessor(int n)
    {
        if (_left[n] != Nil)
        {
            n = _left[n];
            while (_right[n] != Nil) n = _right[n];
            return n;
        }
        var p = _parent[n];
        while (p != Nil && _left[p] == n)
        {
            n = p;
            p = _parent[p];
        }
        return p;
    }

    public int Successor(int n)
    {
        if (_right[n] != Nil)
        {
            n = _right[n];
            while (_left[n] != Nil) n = _left[n];
            return n;
        }
        var p = _parent[n];
        while (p != Nil && _right[p] == n)
        {
            n = p;
            p = _parent[p];
        }
        return p;
    }

    /// <summary>The node whose [Lo, Hi] contains pfn (Linux <c>private_find_iova</c>).</summary>
    public int FindContaining(ulong pfn)
    {
        var n = _root;
        while (n != Nil)
        {
            if (pfn < _lo[n]) n = _left[n];
            else if (pfn > _hi[n]) n = _right[n];
            else return n;
        }
        return Nil;
    }

    /// <summary>The lowest node with Lo &gt; pfn.</summary>
    public int LowestStartingAbove(ulong pfn)
    {
        int n = _root, best = Nil;
        while (n != Nil)
        {
            if (_lo[n] > pfn)
            {
                best = n;
                n = _left[n];
            }
            else n = _right[n];
        }
        return best;
    }

    /// <summary>The lowest node with Hi &gt;= pfn.</summary>
    public int LowestEndingAtOrAbove(ulong pfn)
    {
        int n = _root, best = Nil;
        while (n != Nil)
        {
            if (_hi[n] >= pfn)
            {
                best = n;
                n = _left[n];
            }
            else n = _right[n];
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
    /// </remarks>
    public int FindHighestFit(ulong keyAbove, bool hasKeyAbove, ulong keyAtMost, ulong size, bool aligned) =>
        Search(_root, keyAbove, hasKeyAbove, keyAtMost, size, aligned);

    private int Search(int n, ulong keyAbove, bool hasKeyAbove, ulong keyAtMost, ulong size, bool aligned)
    {
        while (n != Nil)
        {
            if ((aligned ? _subFit[n] : _subLen[n]) < size) return Nil;
            if (_lo[n] > keyAtMost)
            {
                n = _left[n];
                continue;
            }
            if (hasKeyAbove && _lo[n] <= keyAbove)
            {
                n = _right[n];
                continue;
            }
            var found = Search(_right[n], keyAbove, hasKeyAbove, keyAtMost, size, aligned);
            if (found != Nil) return found;
            if ((aligned ? OwnFit(n) : OwnLen(n)) >= size) return n;
            n = _left[n];
        }
        return Nil;
    }

    /// <summary>Checks the AVL shape, ordering, gap bookkeeping and augmentation (tests only).</summary>
    internal void Validate()
    {
        var count = 0;
        var prev = Nil;
        for (var n = First(); n != Nil; n = Successor(n))
        {
            count++;
            if (prev != Nil && _lo[n] <= _hi[prev]) throw new InvalidOperationException($"overlap at {_lo[n]:x}");
            if (_gapLo[n] != GapFloorAbove(prev)) throw new InvalidOperationException($"stale gap at {_lo[n]:x}");
            if (_ownFit[n] != MaxAlignedFit(_gapLo[n], _lo[n])) throw new InvalidOperationException($"stale fit at {_lo[n]:x}");
            prev = n;
        }
        if (count != Count) throw new InvalidOperationException("count");
        Check(_root);
    }

    private (int Height, ulong Fit, ulong Len) Check(int n)
    {
        if (n == Nil) return (0, 0, 0);
        var l = Check(_left[n]);
        var r = Check(_right[n]);
        if (Math.Abs(l.Height - r.Height) > 1) throw new InvalidOperationException("unbalanced");
        var fit = Math.Max(OwnFit(n), Math.Max(l.Fit, r.Fit));
        var len = Math.Max(OwnLen(n), Math.Max(l.Len, r.Len));
        var height = 1 + Math.Max(l.Height, r.Height);
        if (fit != _subFit[n] || len != _subLen[n] || height != _height[n])
            throw new InvalidOperationException($"stale augmentation at {_lo[n]:x}");
        return (height, fit, len);
    }
}
