namespace DmaSim.Kernel.Boot;

/// <summary>
/// The simulated kernel called panic() while booting (e.g. 2.6.32 swiotlb_init: "DMA: Cannot allocate
/// SWIOTLB buffer"). Nothing after it runs, as on the real machine; the message is panic()'s text
/// without the "Kernel panic - not syncing: " prefix.
/// </summary>
public sealed class KernelPanicException : Exception
{
    public KernelPanicException() : base("panic") { }
    public KernelPanicException(string message) : base(message) { }
    public KernelPanicException(string message, Exception inner) : base(message, inner) { }

    /// <summary>The line the kernel prints.</summary>
    public string LogLine => "Kernel panic - not syncing: " + Message;
}
