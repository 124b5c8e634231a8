using System.Runtime.CompilerServices;

// The tests compare the IOTLB's probing invalidation with a plain model of QEMU's scan and count the slots
// an invalidation examines (VtdIotlb.InvalidationProbes), so a merge that drops the fast path fails a test.
[assembly: InternalsVisibleTo("DmaSim.Hardware.Tests")]
