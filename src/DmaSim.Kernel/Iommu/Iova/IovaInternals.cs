using System.Runtime.CompilerServices;

// The tests check the augmented tree's invariants (IovaRangeTree.Validate) after random operations.
[assembly: InternalsVisibleTo("DmaSim.Kernel.Tests")]
